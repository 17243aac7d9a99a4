"""The evaluation API's answers: a study's results as on its page (NaN written as null)."""

from rest_framework import serializers

NULLABLE = {"allow_null": True}


class StudyAgreementOutputSerializer(serializers.Serializer):
    ac2 = serializers.FloatField(
        **NULLABLE, help_text="Gwet's AC2 with ordinal weights over every rater."
    )
    low = serializers.FloatField(**NULLABLE, help_text="Lower end of the 95% interval.")
    high = serializers.FloatField(**NULLABLE, help_text="Upper end of the 95% interval.")
    items = serializers.IntegerField(help_text="Items rated by two or more raters.")
    weights = serializers.CharField()


class PairAgreementOutputSerializer(StudyAgreementOutputSerializer):
    variant_a = serializers.IntegerField()
    variant_b = serializers.IntegerField()
    label = serializers.CharField()


class GroupOutputSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The variant pair (A vs B) or the variant.")
    breakdown = serializers.ChoiceField(choices=["all", "category", "turns"])
    group = serializers.CharField(help_text="all, the category, or single-turn / multi-turn.")
    n_ratings = serializers.IntegerField()
    n_prompts = serializers.IntegerField()


def _shares(names: tuple[str, ...], what: str) -> dict:
    fields = {}
    for name in names:
        fields[name] = serializers.FloatField(**NULLABLE, help_text=f"Share of ratings: {what}.")
        fields[f"{name}_low"] = serializers.FloatField(**NULLABLE)
        fields[f"{name}_high"] = serializers.FloatField(**NULLABLE)
    return fields


WinRateOutputSerializer = type(
    "WinRateOutputSerializer",
    (GroupOutputSerializer,),
    {
        "variant_a": serializers.IntegerField(),
        "variant_b": serializers.IntegerField(),
        **_shares(("win", "tie", "loss"), "A won, tie, B won (score above, at, below 0)"),
    },
)
ViolationOutputSerializer = type(
    "ViolationOutputSerializer",
    (GroupOutputSerializer,),
    {
        "variant": serializers.IntegerField(),
        **_shares(("violation", "no_violation"), "rated 1 or 2, or 3 to 5"),
    },
)
DistributionOutputSerializer = type(
    "DistributionOutputSerializer",
    (GroupOutputSerializer,),
    {"variant": serializers.IntegerField(), **_shares(("1", "2", "3", "4", "5"), "at the level")},
)


class StudyResultsOutputSerializer(serializers.Serializer):
    study = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["side_by_side", "safety"])
    ratings = serializers.IntegerField()
    items_rated = serializers.IntegerField()
    prompts_rated = serializers.IntegerField()
    raters = serializers.IntegerField()
    bootstrap_rounds = serializers.IntegerField(help_text="Resamples of the prompts per interval.")
    confidence = serializers.FloatField()
    agreement = StudyAgreementOutputSerializer(allow_null=True)
    agreement_by_pair = PairAgreementOutputSerializer(many=True)
    win_rates = WinRateOutputSerializer(many=True)
    violations = ViolationOutputSerializer(many=True)
    distribution = DistributionOutputSerializer(many=True)
