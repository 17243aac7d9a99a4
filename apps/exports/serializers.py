"""Input validation for filters and export options, and output shapes for the API."""

from datetime import UTC, datetime, time

from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_date
from rest_framework import serializers
from rest_framework.fields import empty

from apps.batches.models import Track
from apps.catalog.models import ModelVariant
from apps.preferences.models import Strength

from .formats import annotator_pseudonym, safety_label_of
from .models import ExportJob
from .options import (
    ANNOTATOR_ID_MODES,
    EXCLUDE_ANNOTATOR_MODES,
    FILE_TYPES,
    FORMATS,
    MARGINS,
    OVERLAP_MODES,
    SAFETY_LABELS,
    SPLITS,
    ExportOptions,
)
from .selectors import export_job_state

# Largest primary key: a larger id is a 400 here, not an overflow in SQLite's driver (a 500).
BIGINT_MAX = 2**63 - 1


class CommaSeparatedListField(serializers.ListField):
    """A list from `?x=1,2&x=3` in a query string, or a JSON array in a body."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            values = dictionary.getlist(self.field_name)
            if not values:
                return empty
            return [part.strip() for value in values for part in value.split(",") if part.strip()]
        return super().get_value(dictionary)


class DateOrDateTimeField(serializers.DateTimeField):
    """ISO 8601 date (midnight UTC) or datetime."""

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) == 10:
            try:
                day = parse_date(value)
            except ValueError:
                day = None
            if day is None:
                self.fail("invalid", format="YYYY-MM-DD or an ISO 8601 datetime")
            return datetime.combine(day, time.min, tzinfo=UTC)
        return super().to_internal_value(value)


class FilterSerializer(serializers.Serializer):
    """Which comparisons: the allow-listed filters shared by listing and exporting."""

    batches = CommaSeparatedListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX), required=False
    )
    track = serializers.ChoiceField(choices=Track.values, required=False)
    min_strength = serializers.ChoiceField(choices=Strength.values, required=False)
    drop_negligible = serializers.BooleanField(required=False, default=False)
    safety_labels = CommaSeparatedListField(
        child=serializers.ChoiceField(choices=SAFETY_LABELS), required=False
    )
    variants = CommaSeparatedListField(child=serializers.CharField(), required=False)
    created_after = DateOrDateTimeField(required=False)
    created_before = DateOrDateTimeField(required=False)
    overlap = serializers.ChoiceField(choices=OVERLAP_MODES, required=False, default="all")
    include_gold = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep gold pairs (honeypots and the qualification set); left out by default.",
        error_messages={"invalid": "Use true or false."},
    )
    drop_disagreements = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Leave out every judgment of a pair whose judgments disagree on the side "
        "(withdrawn judgments and annotators left out by exclude_annotators do not count).",
        error_messages={"invalid": "Use true or false."},
    )
    exclude_annotators = serializers.ChoiceField(
        choices=[mode for mode in EXCLUDE_ANNOTATOR_MODES if mode],
        allow_blank=True,
        required=False,
        default="",
        help_text="`flagged`: leave out annotators with an active flag on the judgment's batch "
        "(paused ones too); `paused`: only those paused from it; empty: keep everyone.",
        error_messages={
            "invalid_choice": '"{input}" is not a way to exclude annotators: use "flagged" '
            '(flagged or paused on the batch), "paused" (paused only), or leave it empty.'
        },
    )

    def validate_batches(self, value: list[int]) -> list[int]:
        # A batch the requester may not read gets the same answer as one that does not exist,
        # so the answer never tells which ids exist.
        readable = self.context["visible"].filter(pk__in=value).values_list("pk", flat=True)
        if unreadable := sorted(set(value) - set(readable)):
            noun = "id" if len(unreadable) == 1 else "ids"
            ids = ", ".join(map(str, unreadable))
            raise serializers.ValidationError(f"No batch you may read has the {noun} {ids}.")
        return value

    def validate_variants(self, value: list[str]) -> list[str]:
        known = set(ModelVariant.objects.filter(name__in=value).values_list("name", flat=True))
        if unknown := sorted(set(value) - known):
            raise serializers.ValidationError(f"Unknown model variant(s): {unknown}.")
        return value

    def validate(self, attrs: dict) -> dict:
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after >= before:
            raise serializers.ValidationError({"created_before": "Must be after created_after."})
        return attrs

    def options(self, **extra) -> ExportOptions:
        data = {**self.validated_data, **extra}
        for key in ("batches", "safety_labels", "variants"):
            data[key] = tuple(data.get(key) or ())
        return ExportOptions(**{k: v for k, v in data.items() if k != "page_size"})


class PageSizeSerializer(serializers.Serializer):
    """`page_size` of a list endpoint: out of range is a 400, not a silent default."""

    page_size = serializers.IntegerField(
        min_value=1, max_value=settings.EXPORT_API_MAX_PAGE_SIZE, required=False
    )


class ComparisonFilterSerializer(FilterSerializer):
    page_size = serializers.IntegerField(
        min_value=1, max_value=settings.EXPORT_API_MAX_PAGE_SIZE, required=False
    )


class ExportParamsSerializer(FilterSerializer):
    """What to export and how."""

    format = serializers.ChoiceField(choices=FORMATS, default="trl")
    file_type = serializers.ChoiceField(choices=FILE_TYPES, default="jsonl")
    margin = serializers.ChoiceField(choices=tuple(MARGINS), default="small")
    test_fraction = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.0)
    split_seed = serializers.IntegerField(min_value=0, max_value=2**31, default=0)
    split = serializers.ChoiceField(choices=SPLITS, required=False)
    annotator_ids = serializers.ChoiceField(choices=ANNOTATOR_ID_MODES, default="pseudonymous")
    weight = serializers.BooleanField(
        default=False,
        help_text="Add a per-row `weight` column: the annotator's reliability weight in [0, 1] "
        "over the exported batches (1.0 while quality control has none for them yet).",
        error_messages={"invalid": "Use true or false."},
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs.get("split") and not attrs.get("test_fraction"):
            raise serializers.ValidationError({"split": "Set test_fraction above 0 to split."})
        if attrs.get("annotator_ids") == "raw" and not self.context["user"].is_staff:
            raise serializers.ValidationError({"annotator_ids": "Only staff may export user ids."})
        return attrs


ALLOWED_QUERY = {
    "comparisons": set(ComparisonFilterSerializer().fields) | {"cursor"},
    "export": set(ExportParamsSerializer().fields),
    "batches": {"cursor", "page_size"},
}


def query_check(*, params, allowed: str) -> None:
    """Reject parameters outside the allow-list: a typo must not silently widen an export."""
    if unknown := sorted(set(params) - ALLOWED_QUERY[allowed]):
        raise serializers.ValidationError({"unknown_parameters": unknown})


class SamplingOutputSerializer(serializers.Serializer):
    variant = serializers.CharField(source="variant.name")
    temperature_min = serializers.FloatField()
    temperature_max = serializers.FloatField()
    top_p = serializers.FloatField()
    max_new_tokens = serializers.IntegerField()


class BatchOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    track = serializers.CharField()
    status = serializers.CharField()
    iteration = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    sampling_a = SamplingOutputSerializer()
    sampling_b = SamplingOutputSerializer()
    comparisons = serializers.IntegerField(source="comparison_count")


class SampleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.CharField()
    text = serializers.CharField()
    variant = serializers.CharField(source="variant.name")
    temperature = serializers.FloatField()
    top_p = serializers.FloatField()
    max_new_tokens = serializers.IntegerField()
    seed = serializers.IntegerField()


class ComparisonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pair_id = serializers.IntegerField()
    dialogue_id = serializers.IntegerField(source="pair.dialogue_id", allow_null=True)
    pool_item_id = serializers.IntegerField(source="pair.pool_item_id", allow_null=True)
    category = serializers.SerializerMethodField()
    batch_id = serializers.IntegerField()
    track = serializers.CharField()
    turn_index = serializers.IntegerField()
    context = serializers.JSONField()
    chosen = SampleOutputSerializer()
    rejected = SampleOutputSerializer()
    left = serializers.SerializerMethodField()
    strength = serializers.CharField()
    safety_label = serializers.SerializerMethodField()
    annotator = serializers.SerializerMethodField()
    time_spent_ms = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_left(self, obj) -> str:
        return "chosen" if obj.left_id == obj.chosen_id else "rejected"

    def get_category(self, obj) -> str | None:
        item = obj.pair.pool_item
        return (item.category or None) if item is not None else None

    def get_safety_label(self, obj) -> str | None:
        return safety_label_of(obj.chosen_is_safe, obj.rejected_is_safe)

    def get_annotator(self, obj) -> str:
        return annotator_pseudonym(obj.annotator_id)


class ExportJobOutputSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "state",
            "rows_written",
            "rows_total",
            "progress",
            "error",
            "options",
            "card",
            "files",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]

    def get_state(self, obj) -> str:
        return export_job_state(job=obj)

    def get_files(self, obj) -> dict[str, str]:
        if obj.state != ExportJob.State.DONE:
            return {}
        url = reverse("exports:job-download", args=[obj.pk])
        return {name: f"{url}?file={name}" for name in ("data", "card", "readme")}

    def get_progress(self, obj) -> float | None:
        if not obj.rows_total:
            return 1.0 if obj.state == ExportJob.State.DONE else None
        return round(obj.rows_written / obj.rows_total, 4)
