"""The judgments quality control measures, as compact numpy arrays from one query.

Every figure of the quality page starts here: one `values_list` over the comparisons, the
side chosen, the screen side, the strength level, the ISO week and the pool category computed
in SQL, then column arrays. No ORM object is built, so 100,000 judgments load in a fraction of
a second.
"""

from dataclasses import dataclass

import numpy as np
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractIsoYear, ExtractWeek

from apps.preferences.models import Comparison
from apps.stats.scale import STRENGTH_LEVELS, signed_scale_codes

# Gold outcome per judgment: not on a gold pair, answered against it, answered as expected.
GOLD_NONE, GOLD_WRONG, GOLD_RIGHT = -1, 0, 1
UNCATEGORISED = ""


@dataclass(frozen=True)
class Judgments:
    """Parallel per-judgment arrays (one entry per comparison), indices into the id arrays.

    `item` indexes `pair_ids`, `rater` indexes `annotator_ids`; `code` is the signed
    eight-point scale of `apps.stats.scale`; `week` is ISO year * 100 + ISO week;
    `qualification` marks judgments on a qualification-set gold pair.
    """

    comparison_id: np.ndarray
    item: np.ndarray
    rater: np.ndarray
    code: np.ndarray
    chose_a: np.ndarray
    chose_left: np.ndarray
    seconds: np.ndarray
    floor_seconds: np.ndarray
    week: np.ndarray
    gold: np.ndarray
    qualification: np.ndarray
    category: np.ndarray
    track: np.ndarray
    pair_ids: np.ndarray
    annotator_ids: np.ndarray
    categories: list[str]
    tracks: list[str]

    def __len__(self) -> int:
        return len(self.comparison_id)

    @property
    def n_raters(self) -> int:
        return len(self.annotator_ids)

    def subset(self, mask: np.ndarray) -> "Judgments":
        """The judgments where `mask` holds, keeping the item and rater indices (and ids)."""
        columns = {
            name: getattr(self, name)[mask]
            for name in (
                "comparison_id",
                "item",
                "rater",
                "code",
                "chose_a",
                "chose_left",
                "seconds",
                "floor_seconds",
                "week",
                "gold",
                "qualification",
                "category",
                "track",
            )
        }
        return Judgments(
            **columns,
            pair_ids=self.pair_ids,
            annotator_ids=self.annotator_ids,
            categories=self.categories,
            tracks=self.tracks,
        )


_LEVEL = Case(
    *(When(strength=strength, then=Value(level)) for strength, level in STRENGTH_LEVELS.items()),
    output_field=IntegerField(),
)
_GOLD = Case(
    When(gold_correct=True, then=Value(GOLD_RIGHT)),
    When(gold_correct=False, then=Value(GOLD_WRONG)),
    default=Value(GOLD_NONE),
    output_field=IntegerField(),
)
_COLUMNS = (
    "pk",
    "pair_id",
    "annotator_id",
    "chose_a",
    "level",
    "chose_left",
    "time_spent_ms",
    "min_seconds",
    "week",
    "gold",
    "qualification",
    "category",
    "track",
)


def judgments_for_batches(*, batch_ids: list[int]) -> Judgments:
    """The batches' judgments that count (not withdrawn), as arrays."""
    return judgments_from(
        comparisons=Comparison.objects.filter(batch_id__in=batch_ids, withdrawn_at__isnull=True)
    )


def judgments_from(*, comparisons: QuerySet[Comparison]) -> Judgments:
    """Arrays of the given comparisons, in one query (the queryset's own order is dropped)."""
    rows = (
        comparisons.order_by()
        .annotate(
            chose_a=ExpressionWrapper(Q(chosen__slot="a"), output_field=BooleanField()),
            chose_left=ExpressionWrapper(Q(left_id=F("chosen_id")), output_field=BooleanField()),
            level=_LEVEL,
            min_seconds=F("batch__min_seconds_per_judgment"),
            week=ExtractIsoYear("created_at") * 100 + ExtractWeek("created_at"),
            gold=_GOLD,
            qualification=Coalesce(
                F("pair__gold__for_qualification"), Value(False), output_field=BooleanField()
            ),
            category=Coalesce(F("pair__pool_item__category"), Value(UNCATEGORISED)),
        )
        .values_list(*_COLUMNS)
    )
    columns = list(zip(*rows, strict=True)) or [()] * len(_COLUMNS)
    (pk, pair, annotator, chose_a, level, left, ms, floor, week, gold, qual, category, track) = (
        columns
    )
    pair_ids, item = np.unique(np.asarray(pair, dtype=np.int64), return_inverse=True)
    annotator_ids, rater = np.unique(np.asarray(annotator, dtype=np.int64), return_inverse=True)
    categories, category_index = np.unique(np.asarray(category, dtype=object), return_inverse=True)
    tracks, track_index = np.unique(np.asarray(track, dtype=object), return_inverse=True)
    chose_a_array = np.asarray(chose_a, dtype=bool)
    return Judgments(
        comparison_id=np.asarray(pk, dtype=np.int64),
        item=item.reshape(-1).astype(np.int64),
        rater=rater.reshape(-1).astype(np.int64),
        code=signed_scale_codes(
            chose_a=chose_a_array, strength_level=np.asarray(level, dtype=np.int64)
        ),
        chose_a=chose_a_array,
        chose_left=np.asarray(left, dtype=bool),
        seconds=np.asarray(ms, dtype=np.float64) / 1000,
        floor_seconds=np.asarray(floor, dtype=np.float64),
        week=np.asarray(week, dtype=np.int64),
        gold=np.asarray(gold, dtype=np.int8),
        qualification=np.asarray(qual, dtype=bool),
        category=category_index.reshape(-1).astype(np.int64),
        track=track_index.reshape(-1).astype(np.int64),
        pair_ids=pair_ids,
        annotator_ids=annotator_ids,
        categories=[str(c) for c in categories],
        tracks=[str(t) for t in tracks],
    )
