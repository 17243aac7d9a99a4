"""What an export can be asked for: formats, margin schemes, filters, overlap handling."""

from dataclasses import dataclass
from datetime import datetime

from apps.preferences.models import SafetyLabel, Strength

FORMATS = ("trl", "trl-text", "hh", "raw")
FILE_TYPES = ("jsonl", "parquet")
OVERLAP_MODES = ("all", "first", "majority")
# Leave out the judgments of annotators with an active flag on the row's batch ("flagged",
# paused ones included) or only of those paused from it ("paused"); "" keeps everyone.
EXCLUDE_ANNOTATOR_MODES = ("", "flagged", "paused")
SPLITS = ("train", "test")
ANNOTATOR_ID_MODES = ("pseudonymous", "raw")

# Strongest first: "at least better" means significantly_better or better.
STRENGTH_ORDER = (
    Strength.SIGNIFICANTLY_BETTER,
    Strength.BETTER,
    Strength.SLIGHTLY_BETTER,
    Strength.NEGLIGIBLY_BETTER_OR_UNSURE,
)

# Llama 2, Table 27: the margin m(r) in -log(sigmoid(r_chosen - r_rejected - m(r))).
# Keyed by the plain strength value, as stored and exported (not the enum member).
MARGINS: dict[str, dict[str, float] | None] = {
    "small": {
        Strength.SIGNIFICANTLY_BETTER.value: 1.0,
        Strength.BETTER.value: 2 / 3,
        Strength.SLIGHTLY_BETTER.value: 1 / 3,
        Strength.NEGLIGIBLY_BETTER_OR_UNSURE.value: 0.0,
    },
    "large": {
        Strength.SIGNIFICANTLY_BETTER.value: 3.0,
        Strength.BETTER.value: 2.0,
        Strength.SLIGHTLY_BETTER.value: 1.0,
        Strength.NEGLIGIBLY_BETTER_OR_UNSURE.value: 0.0,
    },
    "none": None,
}

SAFETY_LABELS = tuple(SafetyLabel.values)


@dataclass(frozen=True)
class ExportOptions:
    """One export's settings, validated. Stored on a job as `as_dict()`."""

    format: str = "trl"
    file_type: str = "jsonl"
    margin: str = "small"
    batches: tuple[int, ...] = ()
    track: str | None = None
    min_strength: str | None = None
    drop_negligible: bool = False
    safety_labels: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    overlap: str = "all"
    test_fraction: float = 0.0
    split_seed: int = 0
    split: str | None = None
    annotator_ids: str = "pseudonymous"
    include_gold: bool = False
    drop_disagreements: bool = False
    exclude_annotators: str = ""
    weight: bool = False

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "file_type": self.file_type,
            "margin": self.margin,
            "batches": list(self.batches),
            "track": self.track,
            "min_strength": self.min_strength,
            "drop_negligible": self.drop_negligible,
            "safety_labels": list(self.safety_labels),
            "variants": list(self.variants),
            "created_after": self.created_after.isoformat() if self.created_after else None,
            "created_before": self.created_before.isoformat() if self.created_before else None,
            "overlap": self.overlap,
            "test_fraction": self.test_fraction,
            "split_seed": self.split_seed,
            "split": self.split,
            "annotator_ids": self.annotator_ids,
            "include_gold": self.include_gold,
            "drop_disagreements": self.drop_disagreements,
            "exclude_annotators": self.exclude_annotators,
            "weight": self.weight,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ExportOptions":
        values = dict(data)
        for key in ("batches", "safety_labels", "variants"):
            values[key] = tuple(values.get(key) or ())
        for key in ("created_after", "created_before"):
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})
