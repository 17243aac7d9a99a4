"""The quality API's answer: the figures of the quality page, NaN written as null."""

import math

from rest_framework import serializers


class FiniteFloatField(serializers.FloatField):
    """A float that is null when there was nothing to measure (JSON has no NaN)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None or not math.isfinite(value):
            return None
        return float(value)


class EstimateOutputSerializer(serializers.Serializer):
    value = FiniteFloatField()
    low = FiniteFloatField(help_text="Lower end of the 95% confidence interval.")
    high = FiniteFloatField(help_text="Upper end of the 95% confidence interval.")
    n = serializers.IntegerField(help_text="Pairs judged by two or more annotators.")


class AgreementOutputSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The group: all, a track, a category or an ISO week.")
    judgments = serializers.IntegerField()
    pairs = serializers.IntegerField()
    shared_pairs = serializers.IntegerField(help_text="Pairs judged by two or more annotators.")
    side = EstimateOutputSerializer(help_text="Share of annotator pairs choosing the same side.")
    ac2 = EstimateOutputSerializer(
        help_text="Gwet's AC2, ordinal weights on the signed eight-point scale."
    )
    alpha = EstimateOutputSerializer(help_text="Krippendorff's alpha, ordinal.")


class GoldOutputSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Gold judgments in the work (qualification apart).")
    correct = serializers.IntegerField()
    accuracy = FiniteFloatField()
    low = FiniteFloatField()
    high = FiniteFloatField()
    qualification_n = serializers.IntegerField()
    qualification_correct = serializers.IntegerField()


class FlagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    annotator_id = serializers.IntegerField()
    username = serializers.CharField()
    reason = serializers.CharField()
    details = serializers.JSONField()
    pauses_work = serializers.BooleanField()
    flagged_at = serializers.DateTimeField()
    flagged_by = serializers.CharField(help_text="Empty when quality control raised it.")


class AnnotatorOutputSerializer(serializers.Serializer):
    annotator_id = serializers.IntegerField(source="figures.annotator_id")
    username = serializers.CharField()
    state = serializers.ChoiceField(choices=["active", "flagged", "paused"])
    flag_id = serializers.IntegerField(source="flag.id", allow_null=True, default=None)
    judgments = serializers.IntegerField(source="figures.judgments")
    left_share = FiniteFloatField(source="figures.left_share")
    left_low = FiniteFloatField(source="figures.left_low")
    left_high = FiniteFloatField(source="figures.left_high")
    left_p = FiniteFloatField(
        source="figures.left_p", help_text="Two-sided binomial test against 1/2."
    )
    unsure_share = FiniteFloatField(source="figures.unsure_share")
    median_seconds = FiniteFloatField(source="figures.median_seconds")
    fast_share = FiniteFloatField(
        source="figures.fast_share", help_text="Share judged faster than the batch's floor."
    )
    longest_streak = serializers.IntegerField(source="figures.longest_streak")
    agreement_n = serializers.IntegerField(source="figures.agreement_n")
    agreement_side = FiniteFloatField(source="figures.agreement_side")
    agreement_side_low = FiniteFloatField(source="figures.agreement_side_low")
    agreement_side_high = FiniteFloatField(source="figures.agreement_side_high")
    agreement_ac2 = FiniteFloatField(source="figures.agreement_ac2")
    agreement_ac2_low = FiniteFloatField(source="figures.agreement_ac2_low")
    agreement_ac2_high = FiniteFloatField(source="figures.agreement_ac2_high")
    gold_n = serializers.IntegerField(source="figures.gold_n")
    gold_correct = serializers.IntegerField(source="figures.gold_correct")
    gold_accuracy = FiniteFloatField(source="figures.gold_accuracy")
    gold_low = FiniteFloatField(source="figures.gold_low")
    gold_high = FiniteFloatField(source="figures.gold_high")
    gold_below_threshold = serializers.BooleanField(source="figures.gold_below_threshold")
    qualification_n = serializers.IntegerField(source="figures.qualification_n")
    qualification_correct = serializers.IntegerField(source="figures.qualification_correct")
    weight = FiniteFloatField(
        source="figures.weight", help_text="Dawid-Skene reliability weight in [0, 1]."
    )
    outliers = serializers.SerializerMethodField()

    def get_outliers(self, row) -> list[str]:
        return sorted(row.figures.outliers)


class QualityReportOutputSerializer(serializers.Serializer):
    batch_ids = serializers.ListField(child=serializers.IntegerField())
    judgments = serializers.IntegerField(help_text="Counted: not withdrawn, not qualification.")
    annotators = serializers.IntegerField()
    pairs = serializers.IntegerField()
    shared_pairs = serializers.IntegerField()
    floor_seconds = serializers.FloatField()
    gold_min_accuracy = serializers.FloatField()
    gold_min_count = serializers.IntegerField()
    overall = AgreementOutputSerializer()
    by_track = AgreementOutputSerializer(many=True)
    by_category = AgreementOutputSerializer(many=True)
    by_week = AgreementOutputSerializer(many=True)
    gold = GoldOutputSerializer()
    per_annotator = AnnotatorOutputSerializer(many=True, source="annotator_rows")
    flags = FlagOutputSerializer(many=True)
