from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who created, closed or exported what, when, and with which filters. Append-only."""

    class Action(models.TextChoices):
        BATCH_CREATED = "batch_created", "Batch created"
        BATCH_STATUS_CHANGED = "batch_status_changed", "Batch status changed"
        BATCH_UPDATED = "batch_updated", "Batch edited"
        BATCH_CLONED = "batch_cloned", "Batch cloned"
        POOL_UPLOADED = "pool_uploaded", "Prompt pool uploaded"
        EXPORT_JOB_CREATED = "export_job_created", "Export job created"
        EXPORT_STREAMED = "export_streamed", "Export streamed"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_events"
    )
    token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.CharField(max_length=100, blank=True)  # "batch:3", "export_job:12"
    details = models.JSONField(default=dict, blank=True)  # filters, old and new status

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"
