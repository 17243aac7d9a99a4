from rest_framework import serializers

from apps.preferences.models import Strength

from .models import Lease


class MessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    content = serializers.CharField()


class ResponseSerializer(serializers.Serializer):
    text = serializers.CharField()
    html = serializers.CharField(help_text="The text as sanitised Markdown, ready to show.")
    finish_reason = serializers.CharField(
        help_text='"stop": the model ended the response; "length": cut at the token limit.'
    )


class LeaseOutputSerializer(serializers.Serializer):
    """A leased pair in the caller's own left/right order (no variant names: blind judging)."""

    id = serializers.IntegerField(source="lease.pk")
    batch = serializers.IntegerField(source="lease.batch_id")
    track = serializers.CharField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    expired = serializers.BooleanField()
    context = MessageSerializer(many=True)
    left = ResponseSerializer()
    right = ResponseSerializer()
    qualification = serializers.BooleanField(
        help_text="True for a pair of the batch's qualification set: its submit answer "
        "carries feedback (the expected answer). False for every other pair."
    )


class SubmitInputSerializer(serializers.Serializer):
    chosen_side = serializers.ChoiceField(choices=["left", "right"])
    strength = serializers.ChoiceField(choices=Strength.choices)
    time_spent_ms = serializers.IntegerField(min_value=0, max_value=24 * 3600 * 1000)
    left_is_safe = serializers.BooleanField(required=False, allow_null=True, default=None)
    right_is_safe = serializers.BooleanField(required=False, allow_null=True, default=None)
    idempotency_key = serializers.CharField(required=False, max_length=100)


class QualificationFeedbackSerializer(serializers.Serializer):
    """After a qualification answer: what was expected, in the caller's left/right order.

    Sides are "left" or "right"; strengths are the values of the submit's `strength`.
    """

    chosen_side = serializers.CharField(help_text='Your side: "left" or "right".')
    strength = serializers.CharField(help_text="Your strength.")
    expected_side = serializers.CharField(help_text='The expected side: "left" or "right".')
    min_strength = serializers.CharField(
        help_text="The weakest strength accepted; any stronger one is accepted too."
    )
    explanation = serializers.CharField(allow_blank=True)
    matched = serializers.BooleanField()
    answered = serializers.IntegerField(help_text="Qualification pairs answered so far.")
    total = serializers.IntegerField(help_text="Pairs in the qualification set.")
    status = serializers.CharField(
        help_text='The qualification run after this answer: "in_progress", "passed" or "failed".'
    )


class SubmitOutputSerializer(serializers.Serializer):
    comparison = serializers.IntegerField(source="comparison.pk")
    late = serializers.BooleanField()
    feedback = QualificationFeedbackSerializer(
        allow_null=True,
        help_text="On a qualification pair: the expected answer and whether yours matched; "
        "null otherwise.",
    )


class SkipInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class FlagInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Lease.FlagReason.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LeaseEndedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
