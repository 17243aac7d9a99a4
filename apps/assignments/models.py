from django.conf import settings
from django.db import models
from django.db.models import Q


class Lease(models.Model):
    """One annotator's claim on a slot, from claim to its end: the queue's history."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted"
        RELEASED = "released", "Released"
        SKIPPED = "skipped", "Skipped"
        FLAGGED = "flagged", "Flagged"
        EXPIRED = "expired", "Expired"
        LATE_REJECTED = "late_rejected", "Submitted too late"

    class FlagReason(models.TextChoices):
        BROKEN = "broken", "Broken (garbled, cut off, wrong language)"
        BOTH_UNUSABLE = "both_unusable", "Both responses unusable"
        HARMFUL = "harmful", "Harmful content"

    slot = models.ForeignKey("pairs.JudgmentSlot", on_delete=models.CASCADE, related_name="leases")
    pair = models.ForeignKey("pairs.Pair", on_delete=models.CASCADE, related_name="leases")
    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="leases")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leases"
    )
    left_slot = models.CharField(
        max_length=1, help_text="Which sample (a or b) this annotator sees on the left."
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    claimed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.TextField(blank=True)
    flag_reason = models.CharField(max_length=20, choices=FlagReason.choices, blank=True)
    flag_note = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    comparison = models.OneToOneField(
        "preferences.Comparison",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lease",
    )

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            # A re-claim after a lease ran out reopens it, so two tabs never hold two live
            # leases on one pair; only a released pair may be leased to them afresh.
            models.UniqueConstraint(
                fields=["pair", "annotator"],
                condition=~Q(status="released"),
                name="lease_one_per_annotator_per_pair_unless_released",
            ),
            models.CheckConstraint(
                condition=Q(left_slot__in=["a", "b"]), name="lease_left_slot_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(comparison__isnull=False),
                name="lease_submitted_has_comparison",
            ),
            models.CheckConstraint(
                condition=~Q(status="flagged") | ~Q(flag_reason=""),
                name="lease_flagged_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["annotator", "batch", "status"], name="lease_by_annotator"),
        ]

    def __str__(self) -> str:
        return f"Lease {self.pk} on pair {self.pair_id} ({self.status})"
