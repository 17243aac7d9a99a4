from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.batches.models import Track


class Strength(models.TextChoices):
    """How much better the chosen response is (Llama 2, section 3.2.1)."""

    SIGNIFICANTLY_BETTER = "significantly_better", "Significantly better"
    BETTER = "better", "Better"
    SLIGHTLY_BETTER = "slightly_better", "Slightly better"
    NEGLIGIBLY_BETTER_OR_UNSURE = "negligibly_better_or_unsure", "Negligibly better / unsure"


class SafetyLabel(models.TextChoices):
    CHOSEN_SAFE_OTHER_UNSAFE = "chosen_safe_other_unsafe", "Chosen is safe, the other is not"
    BOTH_SAFE = "both_safe", "Both responses are safe"
    BOTH_UNSAFE = "both_unsafe", "Both responses are unsafe"


STRENGTH_RANK = {  # larger is stronger; a gold answer accepts its band and anything stronger
    Strength.NEGLIGIBLY_BETTER_OR_UNSURE: 0,
    Strength.SLIGHTLY_BETTER: 1,
    Strength.BETTER: 2,
    Strength.SIGNIFICANTLY_BETTER: 3,
}

UNSAFE_CHOSEN_OVER_SAFE_MESSAGE = (
    "A safe response must be preferred over an unsafe one: you chose the unsafe response "
    "while the other is safe. Choose the safe response, or correct the safety labels."
)


class Comparison(models.Model):
    """One annotator's forced choice between the two responses of a pair."""

    pair = models.ForeignKey("pairs.Pair", on_delete=models.PROTECT, related_name="comparisons")
    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="comparisons")
    track = models.CharField(max_length=20, choices=Track.choices)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comparisons"
    )
    turn_index = models.PositiveIntegerField()
    context = models.JSONField(help_text="Chat messages up to and including the judged user turn.")
    chosen = models.ForeignKey("pairs.Sample", on_delete=models.PROTECT, related_name="+")
    rejected = models.ForeignKey("pairs.Sample", on_delete=models.PROTECT, related_name="+")
    left = models.ForeignKey(
        "pairs.Sample",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The sample shown on the left of the screen.",
    )
    strength = models.CharField(max_length=40, choices=Strength.choices)
    chosen_is_safe = models.BooleanField(null=True, blank=True)
    rejected_is_safe = models.BooleanField(null=True, blank=True)
    time_spent_ms = models.PositiveIntegerField()
    gold_correct = models.BooleanField(
        null=True,
        blank=True,
        help_text="On a pair that was gold when judged: whether it matched the gold answer.",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["batch", "annotator"], name="comparison_by_batch_annotator"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(withdrawn_at__isnull=True) & Q(withdrawn_reason=""))
                | (Q(withdrawn_at__isnull=False) & ~Q(withdrawn_reason="")),
                name="comparison_withdrawn_has_reason",
            ),
            models.UniqueConstraint(
                fields=["pair", "annotator"], name="comparison_once_per_annotator"
            ),
            models.CheckConstraint(
                condition=~Q(chosen=F("rejected")), name="comparison_chosen_differs_from_rejected"
            ),
            models.CheckConstraint(
                condition=Q(left=F("chosen")) | Q(left=F("rejected")),
                name="comparison_left_is_one_of_the_pair",
            ),
            models.CheckConstraint(
                condition=Q(strength__in=Strength.values), name="comparison_strength_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(track=Track.SAFETY)
                    & Q(chosen_is_safe__isnull=False)
                    & Q(rejected_is_safe__isnull=False)
                )
                | (
                    Q(track=Track.HELPFULNESS)
                    & Q(chosen_is_safe__isnull=True)
                    & Q(rejected_is_safe__isnull=True)
                ),
                name="comparison_safety_labels_only_on_safety_track",
            ),
            models.CheckConstraint(
                condition=~(Q(chosen_is_safe=False) & Q(rejected_is_safe=True)),
                name="comparison_never_unsafe_chosen_over_safe",
            ),
        ]

    def __str__(self) -> str:
        return f"Comparison {self.pk} on pair {self.pair_id}"

    @property
    def safety_label(self) -> str | None:
        if self.chosen_is_safe is None:
            return None
        if self.chosen_is_safe and not self.rejected_is_safe:
            return SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE
        if self.chosen_is_safe:
            return SafetyLabel.BOTH_SAFE
        return SafetyLabel.BOTH_UNSAFE


class GoldAnswer(models.Model):
    """The expected judgment of a gold pair (a honeypot): which sample should win, and at
    least how strongly. Gold pairs are mixed into annotators' queues unmarked (or make up a
    batch's qualification set) and kept out of training exports by default."""

    class Source(models.TextChoices):
        REVIEW = "review", "Review page"
        ADMIN = "admin", "Admin"
        POOL_FILE = "pool_file", "Pool file"

    pair = models.OneToOneField("pairs.Pair", on_delete=models.CASCADE, related_name="gold")
    batch = models.ForeignKey("batches.Batch", on_delete=models.CASCADE, related_name="gold")
    expected_slot = models.CharField(
        max_length=1, help_text="The sample (a or b) that should be chosen."
    )
    min_strength = models.CharField(
        max_length=40,
        choices=Strength.choices,
        default=Strength.NEGLIGIBLY_BETTER_OR_UNSURE,
        help_text="The weakest strength accepted; any stronger one is accepted too.",
    )
    for_qualification = models.BooleanField(
        default=False, help_text="Part of the qualification set rather than mixed into work."
    )
    explanation = models.TextField(
        blank=True, help_text="Shown after a qualification answer: why this side is better."
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_slot__in=["a", "b"]), name="gold_expected_slot_valid"
            ),
            models.CheckConstraint(
                condition=Q(min_strength__in=Strength.values), name="gold_min_strength_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Gold answer for pair {self.pair_id}: {self.expected_slot}"

    def accepts(self, *, chosen_slot: str, strength: str) -> bool:
        return (
            chosen_slot == self.expected_slot
            and STRENGTH_RANK[strength] >= STRENGTH_RANK[self.min_strength]
        )
