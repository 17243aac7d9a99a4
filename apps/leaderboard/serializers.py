"""The leaderboard API's input and answers."""

from rest_framework import serializers

from .forms import MAX_BOOTSTRAP_ROUNDS


class RunInputSerializer(serializers.Serializer):
    batch_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list)
    study_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        default=list,
        help_text="Side-by-side evaluation studies whose ratings count as comparisons.",
    )
    strength_weighted = serializers.BooleanField(default=True)
    position_control = serializers.BooleanField(default=False)
    length_control = serializers.BooleanField(default=False)
    bootstrap_rounds = serializers.IntegerField(
        min_value=0, max_value=MAX_BOOTSTRAP_ROUNDS, default=100
    )

    def validate(self, attrs):
        if not attrs["batch_ids"] and not attrs["study_ids"]:
            raise serializers.ValidationError("Give at least one of batch_ids and study_ids.")
        return attrs


class IntervalOutputSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)


class VariantOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ModelVariant id.")
    name = serializers.CharField()
    rank = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True, help_text="Bradley-Terry log-odds, mean 0.")
    low = serializers.FloatField(allow_null=True, help_text="95% bootstrap interval.")
    high = serializers.FloatField(allow_null=True)
    elo = serializers.FloatField(allow_null=True, help_text="1000 + 400/ln(10) x score.")
    elo_low = serializers.FloatField(allow_null=True)
    elo_high = serializers.FloatField(allow_null=True)
    comparisons = serializers.IntegerField()


class WinRatesOutputSerializer(serializers.Serializer):
    variant_ids = serializers.ListField(child=serializers.IntegerField())
    matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="matrix[i][j]: weighted share of i-vs-j comparisons i won (ties half).",
    )


class MovementOutputSerializer(serializers.Serializer):
    iterations = serializers.ListField(child=serializers.IntegerField())
    variant_ids = serializers.ListField(child=serializers.IntegerField())
    scores = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True))
    )
    ranks = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True))
    )
    score_change = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True))
    )
    rank_change = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True))
    )


class ResultOutputSerializer(serializers.Serializer):
    comparisons = serializers.IntegerField()
    ties = serializers.IntegerField()
    options = serializers.DictField()
    level_weights = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="Weight per level (tie, slightly, better, much better) when strength-weighted.",
    )
    variants = VariantOutputSerializer(many=True)
    coefficients = serializers.DictField(
        child=IntervalOutputSerializer(), help_text="position and/or length, log-odds."
    )
    win_rates = WinRatesOutputSerializer()
    movement = MovementOutputSerializer()


class RunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    progress = serializers.FloatField()
    step = serializers.CharField()
    error = serializers.CharField()
    batch_ids = serializers.SerializerMethodField()
    study_ids = serializers.SerializerMethodField()
    strength_weighted = serializers.BooleanField()
    position_control = serializers.BooleanField()
    length_control = serializers.BooleanField()
    bootstrap_rounds = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    result = ResultOutputSerializer(allow_null=True, help_text="Present once done.")

    def get_batch_ids(self, run) -> list[int]:
        return sorted(run.batches.values_list("pk", flat=True))

    def get_study_ids(self, run) -> list[int]:
        return sorted(run.studies.values_list("pk", flat=True))
