from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ExportJob(models.Model):
    """A dataset export written to disk by a worker, with progress the requester can follow."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired (files deleted)"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    options = models.JSONField(help_text="The validated export options.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    rows_written = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    directory = models.CharField(max_length=500, blank=True)
    data_file = models.CharField(max_length=100, blank=True)
    card = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="failed") | ~Q(error=""), name="export_failed_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(state="done") | (Q(finished_at__isnull=False) & ~Q(data_file="")),
                name="export_done_has_file",
            ),
            models.CheckConstraint(
                condition=Q(rows_total__isnull=True) | Q(rows_written__lte=F("rows_total")),
                name="export_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.state})"


class ExportJobBatch(models.Model):
    """One batch an export job covers: what the requester could read when the job was made.

    A plain id, not a foreign key: the job's files keep what they hold after a batch is deleted,
    so a token may read the job only while every one of these ids is in its scope.
    """

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="covered_batches")
    batch_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "batch_id"], name="export_job_batch_once")
        ]

    def __str__(self) -> str:
        return f"Export {self.job_id}: batch {self.batch_id}"
