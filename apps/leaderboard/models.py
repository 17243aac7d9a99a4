from django.conf import settings
from django.db import models
from django.db.models import Q


class LeaderboardRun(models.Model):
    """One leaderboard of model variants over chosen batches and evaluation studies,
    computed by a Celery job.

    Queued, then running (with a progress fraction and the step it is on), then done with its
    `result` JSON, or failed with the reason. `fingerprint` names the inputs (batches, options
    and the state of their comparisons): a request with the same fingerprint reuses this run.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    batches = models.ManyToManyField("batches.Batch", related_name="leaderboard_runs", blank=True)
    studies = models.ManyToManyField(
        "evaluation.Study",
        related_name="leaderboard_runs",
        blank=True,
        help_text="Side-by-side studies whose 7-point ratings count as comparisons too.",
    )
    strength_weighted = models.BooleanField(
        default=True, help_text="Weight each comparison by its strength level."
    )
    position_control = models.BooleanField(
        default=False, help_text="Fit the left side's advantage and remove it from the scores."
    )
    length_control = models.BooleanField(
        default=False, help_text="Fit the effect of response length and remove it."
    )
    bootstrap_rounds = models.PositiveIntegerField(default=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="Share of the job done, 0..1.")
    step = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    comparisons = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1),
                name="leaderboard_run_progress_share",
            ),
            models.CheckConstraint(
                condition=Q(bootstrap_rounds__lte=1000), name="leaderboard_run_bootstrap_bounded"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(result__isnull=False),
                name="leaderboard_run_done_has_result",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""),
                name="leaderboard_run_failed_has_error",
            ),
        ]

    def __str__(self) -> str:
        return f"Leaderboard run {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
