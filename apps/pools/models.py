from django.conf import settings
from django.db import models
from django.db.models import Q


class PoolUpload(models.Model):
    """One file of prompts imported into a batch's pool, all rows or none.

    An upload from the page is stored as a file and imported by a Celery job: queued, then
    checking (every line, nothing stored), importing (one transaction), and done; or failed
    (the bad lines are reported) or cancelled, with nothing stored.
    """

    class Format(models.TextChoices):
        JSONL = "jsonl", "JSON Lines"
        CSV = "csv", "CSV"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        CHECKING = "checking", "Checking"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=5, choices=Format.choices)
    rows = models.PositiveIntegerField(default=0, help_text="Rows in the file, once checked.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DONE)
    size_bytes = models.PositiveBigIntegerField(default=0)
    stored_path = models.CharField(
        max_length=500, blank=True, help_text="The file under POOL_UPLOAD_DIR until imported."
    )
    rows_checked = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    message = models.TextField(blank=True, help_text="Why the upload failed.")
    bad_lines = models.JSONField(
        default=list, blank=True, help_text="The first bad lines: [{line, message}]."
    )
    bad_line_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    ACTIVE = (State.QUEUED, State.CHECKING, State.IMPORTING)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=["queued", "checking", "importing", "done", "failed", "cancelled"]
                ),
                name="pool_upload_state_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows} rows)"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def bad_lines_not_listed(self) -> int:
        return max(0, self.bad_line_count - len(self.bad_lines))


class PoolItem(models.Model):
    """One prompt (or dialogue context ending in a user message) from an upload."""

    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="pool_items")
    upload = models.ForeignKey(PoolUpload, on_delete=models.CASCADE, related_name="items")
    line_number = models.PositiveIntegerField()
    context = models.JSONField(help_text="Chat messages ending with the user message to answer.")
    category = models.CharField(max_length=100, blank=True)
    metadata = models.JSONField(default=dict, blank=True, help_text="Kept as uploaded.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["upload", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "line_number"], name="pool_item_line_once"),
            models.CheckConstraint(condition=Q(line_number__gte=1), name="pool_item_line_positive"),
        ]

    def __str__(self) -> str:
        return f"Pool item {self.pk} (line {self.line_number})"
