from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Track(models.TextChoices):
    HELPFULNESS = "helpfulness", "Helpfulness"
    SAFETY = "safety", "Safety"


class SamplingConfig(models.Model):
    """How one side of a pair is sampled: a variant and a temperature range drawn per response."""

    variant = models.ForeignKey("catalog.ModelVariant", on_delete=models.PROTECT)
    temperature_min = models.FloatField()
    temperature_max = models.FloatField()
    top_p = models.FloatField(default=0.9)
    max_new_tokens = models.PositiveIntegerField(default=256)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(temperature_min__gte=0) & Q(temperature_max__lte=5),
                name="sampling_temperature_bounds",
            ),
            models.CheckConstraint(
                condition=Q(temperature_min__lte=F("temperature_max")),
                name="sampling_temperature_min_le_max",
            ),
            models.CheckConstraint(
                condition=Q(top_p__gt=0) & Q(top_p__lte=1), name="sampling_top_p_range"
            ),
            models.CheckConstraint(
                condition=Q(max_new_tokens__gte=1) & Q(max_new_tokens__lte=8192),
                name="sampling_max_new_tokens_range",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.variant} T={self.temperature_min:g}-{self.temperature_max:g} "
            f"top_p={self.top_p:g} max={self.max_new_tokens}"
        )


class Batch(models.Model):
    """A (weekly) data-collection batch: one track, guidelines and two sampling configurations."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200, unique=True)
    track = models.CharField(max_length=20, choices=Track.choices)
    guidelines = models.TextField(blank=True)
    sampling_a = models.ForeignKey(SamplingConfig, on_delete=models.PROTECT, related_name="+")
    sampling_b = models.ForeignKey(SamplingConfig, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    iteration = models.PositiveIntegerField(default=1)
    max_turns = models.PositiveIntegerField(default=6)
    target_comparisons = models.PositiveIntegerField(
        default=1000, help_text="How many comparisons this batch should collect."
    )
    overlap = models.PositiveSmallIntegerField(
        default=1, help_text="How many distinct annotators judge each prompt-pool pair."
    )
    allow_written_prompts = models.BooleanField(
        default=True, help_text="Annotators may write their own prompts, not only judge the pool."
    )
    lease_minutes = models.PositiveIntegerField(
        default=30, help_text="A claimed pair goes back to the pool after this long unjudged."
    )
    max_open_leases = models.PositiveSmallIntegerField(
        default=3, help_text="The most pool pairs one annotator may hold at once."
    )
    open_to_all_annotators = models.BooleanField(
        default=True, help_text="Every annotator may work on it; otherwise only those listed."
    )
    annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_batches"
    )
    groups = models.ManyToManyField("auth.Group", blank=True, related_name="assigned_batches")
    cloned_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="clones"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"
        constraints = [
            models.CheckConstraint(condition=Q(iteration__gte=1), name="batch_iteration_positive"),
            models.CheckConstraint(condition=Q(max_turns__gte=1), name="batch_max_turns_positive"),
            models.CheckConstraint(
                condition=Q(overlap__gte=1) & Q(overlap__lte=10), name="batch_overlap_range"
            ),
            models.CheckConstraint(
                condition=Q(target_comparisons__gte=1), name="batch_target_positive"
            ),
            models.CheckConstraint(
                condition=Q(lease_minutes__gte=1) & Q(lease_minutes__lte=24 * 60),
                name="batch_lease_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(max_open_leases__gte=1) & Q(max_open_leases__lte=100),
                name="batch_max_open_leases_range",
            ),
            models.CheckConstraint(
                condition=~Q(sampling_a=F("sampling_b")), name="batch_two_distinct_samplings"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_safety(self) -> bool:
        return self.track == Track.SAFETY
