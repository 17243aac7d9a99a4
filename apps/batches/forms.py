"""Staff forms for batches: the batch settings and one form per sampling side."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .models import Batch, Track
from .selectors import batch_has_pool_items, variant_latest, variants_for_sampling
from .services import BATCH_SETTINGS, QUALITY_SETTINGS, SAMPLING_SETTINGS, clone_name

TEMPERATURE_LIMIT = 5.0
MAX_NEW_TOKENS_LIMIT = 8192
OVERLAP_LIMIT = 10
LEASE_MINUTES_LIMIT = 24 * 60
MAX_OPEN_LEASES_LIMIT = 100
GUIDELINES_MAX_LENGTH = 50_000


OVERLAP_LOCKED_MESSAGE = (
    "Overlap cannot change once the batch has a prompt pool: pairs are already being leased "
    "to that many annotators each. Clone the batch to use another overlap."
)


class VariantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name if obj.is_active else f"{obj.name} (inactive)"


class BatchForm(forms.Form):
    """Everything about a batch except its two sampling sides and its status."""

    name = forms.CharField(max_length=200)
    track = forms.ChoiceField(choices=Track.choices)
    guidelines = forms.CharField(
        required=False,
        max_length=GUIDELINES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown. Shown to annotators sanitised: no HTML beyond basic formatting.",
    )
    max_turns = forms.IntegerField(
        min_value=1, max_value=100, help_text="User turns per dialogue, at most."
    )
    target_comparisons = forms.IntegerField(
        min_value=1, max_value=10_000_000, help_text="How many comparisons this batch collects."
    )
    overlap = forms.IntegerField(
        min_value=1,
        max_value=OVERLAP_LIMIT,
        help_text="How many distinct annotators judge each prompt-pool pair (1 to 10). "
        "Fixed once the batch has a prompt pool.",
    )
    allow_written_prompts = forms.BooleanField(
        required=False, help_text="Annotators may write their own prompts, not only judge the pool."
    )
    lease_minutes = forms.IntegerField(
        min_value=1,
        max_value=LEASE_MINUTES_LIMIT,
        help_text="A claimed pair goes back to the pool after this many minutes unjudged.",
    )
    max_open_leases = forms.IntegerField(
        min_value=1,
        max_value=MAX_OPEN_LEASES_LIMIT,
        help_text="The most pool pairs one annotator may hold at once.",
    )
    open_to_all_annotators = forms.BooleanField(
        required=False,
        help_text="Every annotator may work on it. Untick to allow only the annotators and "
        "groups chosen below.",
    )
    # Quality control (optional in a post: a missing value keeps the model's default)
    gold_rate = forms.FloatField(
        required=False,
        min_value=0,
        max_value=0.5,
        label="Gold rate",
        help_text="Share of the pool pairs handed to an annotator that are gold (check) pairs, "
        "0 to 0.5. Gold pairs are mixed in unmarked, never twice to one person.",
    )
    gold_min_count = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        label="Gold judgments before flagging",
        help_text="An annotator is judged on gold accuracy only after this many gold pairs.",
    )
    gold_min_accuracy = forms.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        label="Gold accuracy threshold",
        help_text="0 to 1. An annotator is flagged once their gold accuracy is shown to be "
        "under this (the upper end of its 95% interval is below it).",
    )
    gold_pause = forms.BooleanField(
        required=False,
        label="Pause flagged annotators",
        help_text="A flagged annotator gets no new work in this batch until staff lift the "
        "flag on the quality page.",
    )
    qualification_required = forms.BooleanField(
        required=False,
        label="Require qualification",
        help_text="Annotators first answer this batch's qualification set (gold pairs marked "
        "for qualification), seeing the expected answer after each, before real work.",
    )
    qualification_pass_share = forms.FloatField(
        required=False,
        min_value=0.01,
        max_value=1,
        label="Qualification pass share",
        help_text="Share of the qualification set to answer as expected to pass (0 to 1).",
    )
    min_seconds_per_judgment = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=3600,
        label="Seconds per judgment, at least",
        help_text="Judgments faster than this count as rushed on the quality page.",
    )
    annotators = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, batch: Batch | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch  # the batch being edited; None on create and clone

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the batch a name.")
        others = Batch.objects.filter(name=name)
        if self.batch is not None:
            others = others.exclude(pk=self.batch.pk)
        if others.exists():
            raise forms.ValidationError("Another batch already has this name.")
        return name

    def clean_overlap(self) -> int:
        overlap = self.cleaned_data["overlap"]
        if (
            self.batch is not None
            and overlap != self.batch.overlap
            and batch_has_pool_items(batch=self.batch)
        ):
            raise forms.ValidationError(
                f"{OVERLAP_LOCKED_MESSAGE} (It stays {self.batch.overlap}.)"
            )
        return overlap

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            not cleaned.get("open_to_all_annotators")
            and not cleaned.get("annotators")
            and not cleaned.get("groups")
            and "annotators" not in self.errors
            and "groups" not in self.errors
        ):
            self.add_error(
                "open_to_all_annotators",
                "Nobody could work on this batch: open it to all annotators, or choose at "
                "least one annotator or group.",
            )
        return cleaned

    def settings(self) -> dict:
        values = {field: self.cleaned_data[field] for field in BATCH_SETTINGS}
        for field in QUALITY_SETTINGS:
            if values[field] is None:
                values[field] = Batch._meta.get_field(field).get_default()
        return values


class SamplingForm(forms.Form):
    """One side of a pair: a variant and a temperature range drawn per response."""

    variant = VariantChoiceField(
        queryset=variants_for_sampling(),
        empty_label=None,
        error_messages={
            "required": "Choose a model variant (none exists yet? add one in the admin).",
        },
    )
    temperature_min = forms.FloatField(
        label="Temperature, minimum", min_value=0, max_value=TEMPERATURE_LIMIT
    )
    temperature_max = forms.FloatField(
        label="Temperature, maximum",
        min_value=0,
        max_value=TEMPERATURE_LIMIT,
        help_text="Each response draws its temperature uniformly from this range (0 to 5).",
    )
    top_p = forms.FloatField(
        label="top_p",
        help_text="Above 0, at most 1.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    max_new_tokens = forms.IntegerField(
        label="Max new tokens", min_value=1, max_value=MAX_NEW_TOKENS_LIMIT, help_text="1 to 8192."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("temperature_min", "temperature_max"):
            self.fields[name].widget.attrs["step"] = "any"

    def clean_top_p(self) -> float:
        top_p = self.cleaned_data["top_p"]
        if not 0 < top_p <= 1:
            raise forms.ValidationError("top_p must be above 0 and at most 1.")
        return top_p

    def clean(self) -> dict:
        cleaned = super().clean()
        low, high = cleaned.get("temperature_min"), cleaned.get("temperature_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "temperature_max",
                f"The maximum temperature ({high:g}) must be at least the minimum ({low:g}).",
            )
        return cleaned

    def settings(self) -> dict:
        return {field: self.cleaned_data[field] for field in SAMPLING_SETTINGS}


def sampling_initial(config) -> dict:
    return {field: getattr(config, field) for field in SAMPLING_SETTINGS}


def sampling_initial_new(*, low: bool) -> dict:
    """A new batch's side: the latest variant, a low or a high temperature range."""
    variant = variant_latest()
    return {
        "variant": variant,
        "temperature_min": 0.3 if low else 0.8,
        "temperature_max": 0.6 if low else 1.0,
        "top_p": variant.default_top_p if variant else 0.9,
        "max_new_tokens": variant.default_max_new_tokens if variant else 256,
    }


def batch_initial_new() -> dict:
    return {
        "track": Track.HELPFULNESS,
        "max_turns": 6,
        "target_comparisons": 1000,
        "overlap": 1,
        "allow_written_prompts": True,
        "lease_minutes": 30,
        "max_open_leases": 3,
        "open_to_all_annotators": True,
    } | {field: Batch._meta.get_field(field).get_default() for field in QUALITY_SETTINGS}


def batch_initial(batch: Batch) -> dict:
    initial = {field: getattr(batch, field) for field in BATCH_SETTINGS}
    initial["annotators"] = list(batch.annotators.all())
    initial["groups"] = list(batch.groups.all())
    return initial


def clone_initial(source: Batch) -> tuple[dict, dict, dict]:
    """The clone page's starting values: the source's settings and assignment under the next
    iteration's name, with the latest model variant swapped in on both sides."""
    latest = variant_latest()
    sides = []
    for config in (source.sampling_a, source.sampling_b):
        values = sampling_initial(config)
        if latest is not None:
            values["variant"] = latest
        sides.append(values)
    settings = batch_initial(source) | {"name": clone_name(source)}
    return settings, sides[0], sides[1]
