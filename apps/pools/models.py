from django.conf import settings
from django.db import models
from django.db.models import Q


class PoolUpload(models.Model):
    """One file of prompts imported into a batch's pool, all rows or none."""

    class Format(models.TextChoices):
        JSONL = "jsonl", "JSON Lines"
        CSV = "csv", "CSV"

    batch = models.ForeignKey("batches.Batch", on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=5, choices=Format.choices)
    rows = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows} rows)"


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
