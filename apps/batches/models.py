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

    class Purpose(models.TextChoices):
        COLLECTION = "collection", "Preference collection"
        EVALUATION = "evaluation", "Evaluation study responses"

    name = models.CharField(max_length=200, unique=True)
    purpose = models.CharField(
        max_length=12,
        choices=Purpose.choices,
        default=Purpose.COLLECTION,
        help_text=(
            "An evaluation study's batch only holds the responses its raters compare: it never "
            "appears in the work queue, the batch lists or the preference exports."
        ),
    )
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
    gold_rate = models.FloatField(
        default=0.0,
        help_text="Share of the pairs handed to an annotator that are gold pairs (0 to 0.5).",
    )
    gold_min_count = models.PositiveSmallIntegerField(
        default=10, help_text="Gold judgments an annotator makes before they can be flagged."
    )
    gold_min_accuracy = models.FloatField(
        default=0.7,
        help_text=(
            "An annotator is flagged once their gold accuracy is shown to be under this "
            "(the upper end of its 95% interval is below it)."
        ),
    )
    gold_pause = models.BooleanField(
        default=False, help_text="A flagged annotator gets no new work here until staff lift it."
    )
    qualification_required = models.BooleanField(
        default=False,
        help_text="Annotators first pass this batch's qualification set before real work.",
    )
    qualification_pass_share = models.FloatField(
        default=0.8, help_text="Share of the qualification set to answer as expected to pass."
    )
    min_seconds_per_judgment = models.PositiveIntegerField(
        default=5, help_text="Judgments faster than this count as rushed on the quality page."
    )
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
            models.CheckConstraint(
                condition=Q(gold_rate__gte=0) & Q(gold_rate__lte=0.5), name="batch_gold_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(gold_min_accuracy__gte=0) & Q(gold_min_accuracy__lte=1),
                name="batch_gold_min_accuracy_range",
            ),
            models.CheckConstraint(
                condition=Q(qualification_pass_share__gt=0) & Q(qualification_pass_share__lte=1),
                name="batch_qualification_pass_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_safety(self) -> bool:
        return self.track == Track.SAFETY


class AnnotatorFlag(models.Model):
    """An annotator flagged on a batch by quality control (gold accuracy shown under the
    batch's threshold, or staff). While it is not lifted and `pauses_work`, the annotator gets
    no new work in the batch. Lifting it starts their gold count afresh. Never deleted."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="annotator_flags")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batch_flags"
    )
    reason = models.TextField()
    details = models.JSONField(default=dict, blank=True)  # gold n, correct, interval
    pauses_work = models.BooleanField(default=False)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when quality control flagged them.",
    )
    flagged_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lift_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-flagged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "annotator"],
                condition=Q(lifted_at__isnull=True),
                name="annotator_flag_one_active_per_batch",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="annotator_flag_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} flagged on {self.batch}"


class Qualification(models.Model):
    """An annotator's run through a batch's qualification set, and its outcome."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="qualifications")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qualifications"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    answered = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "annotator"], name="qualification_one_per_annotator"
            ),
            models.CheckConstraint(
                condition=Q(correct__lte=F("answered")), name="qualification_correct_le_answered"
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(finished_at__isnull=False),
                name="qualification_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} on {self.batch}: {self.status}"
