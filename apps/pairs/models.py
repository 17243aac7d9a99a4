"""Pairs: two responses to one context, the samples that make them, and the judgments a pool
pair needs. Every entry point (dialogues, pools, the queue) and the worker go through here.

A pair records where it came from (a dialogue's user turn, or a pool item) by foreign key; this
app never imports the apps those rows belong to.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Pair(models.Model):
    """Two responses to the same context, to be compared. Which side shows which is random.

    A pair comes either from an annotator's own dialogue (they judge it themselves) or from a
    batch's prompt pool (the work queue leases it to `batch.overlap` other annotators, each
    with their own left/right order recorded on the lease).
    """

    class Slot(models.TextChoices):
        A = "a", "A"
        B = "b", "B"

    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="pairs")
    dialogue = models.ForeignKey(
        "dialogues.Dialogue", on_delete=models.CASCADE, related_name="pairs", null=True, blank=True
    )
    user_turn = models.OneToOneField(
        "dialogues.Turn", on_delete=models.CASCADE, related_name="pair", null=True, blank=True
    )
    pool_item = models.OneToOneField(
        "pools.PoolItem", on_delete=models.CASCADE, related_name="pair", null=True, blank=True
    )
    context = models.JSONField(help_text="Chat messages up to and including the user turn.")
    left_slot = models.CharField(max_length=1, choices=Slot.choices)
    ready_at = models.DateTimeField(
        null=True, blank=True, help_text="When both responses were generated."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(dialogue__isnull=False, user_turn__isnull=False, pool_item__isnull=True)
                    | Q(dialogue__isnull=True, user_turn__isnull=True, pool_item__isnull=False)
                ),
                name="pair_from_a_dialogue_or_the_pool",
            )
        ]

    def __str__(self) -> str:
        return f"Pair {self.pk}"

    @property
    def is_pool(self) -> bool:
        return self.pool_item_id is not None

    @property
    def turn_index(self) -> int:
        """Index of the judged user turn within its context."""
        return len(self.context) - 1


class Sample(models.Model):
    """One generated response, with the exact settings that produced it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Priority(models.IntegerChoices):
        """Who waits for it: live work (an annotator watching the page) goes before bulk."""

        LIVE = 0, "Live (someone is watching)"
        BULK = 1, "Bulk (pool)"

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="samples")
    slot = models.CharField(max_length=1, choices=Pair.Slot.choices)
    variant = models.ForeignKey("catalog.ModelVariant", on_delete=models.PROTECT)
    temperature = models.FloatField()
    top_p = models.FloatField()
    max_new_tokens = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.BULK)
    text = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=20, blank=True)
    context_truncated = models.BooleanField(default=False)
    supplied = models.BooleanField(
        default=False, help_text="The text came with the pool file; no model generated it."
    )
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pair", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["pair", "slot"], name="sample_one_per_slot"),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completion_tokens__isnull=False),
                name="sample_done_has_tokens",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="sample_failed_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(top_p__gt=0) & Q(top_p__lte=1), name="sample_top_p_range"
            ),
            models.CheckConstraint(condition=Q(temperature__gte=0), name="sample_temperature_ge_0"),
        ]
        indexes = [
            # What a worker claims, in its order: the queue's partial index, for samples.
            models.Index(
                fields=["priority", "created_at", "id"],
                condition=Q(status__in=["pending", "running"]),
                name="sample_claimable",
            )
        ]

    def __str__(self) -> str:
        return f"Sample {self.pk} ({self.slot}, {self.status})"


class JudgmentSlot(models.Model):
    """One of the `batch.overlap` judgments a pool pair needs; the unit the queue hands out.

    Claiming locks a claimable slot row (FOR UPDATE SKIP LOCKED) and writes its new state in the
    same transaction, so a slot is never leased to two annotators, and a pair with k slots gets
    at most k judgments.
    """

    class Status(models.TextChoices):
        FREE = "free", "Free"
        LEASED = "leased", "Leased"
        DONE = "done", "Done"
        WITHDRAWN = "withdrawn", "Withdrawn"

    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="+")
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="slots")
    index = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FREE)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pair", "index"]
        constraints = [
            models.UniqueConstraint(fields=["pair", "index"], name="slot_unique_index"),
            models.UniqueConstraint(
                fields=["pair", "annotator"],
                condition=Q(annotator__isnull=False),
                name="slot_one_per_annotator_per_pair",
            ),
            models.CheckConstraint(
                condition=(Q(status="free") & Q(annotator__isnull=True))
                | (Q(status="withdrawn"))
                | (Q(status__in=["leased", "done"]) & Q(annotator__isnull=False)),
                name="slot_leased_or_done_has_annotator",
            ),
            models.CheckConstraint(
                condition=~Q(status="leased") | Q(lease_expires_at__isnull=False),
                name="slot_lease_has_expiry",
            ),
        ]
        indexes = [
            models.Index(
                fields=["batch", "pair", "index"],
                condition=Q(status__in=["free", "leased"]),
                name="slot_claimable",
            )
        ]

    def __str__(self) -> str:
        return f"Slot {self.index} of pair {self.pair_id} ({self.status})"
