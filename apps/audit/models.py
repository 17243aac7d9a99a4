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
        GOLD_MARKED = "gold_marked", "Pair marked as gold"
        GOLD_UNMARKED = "gold_unmarked", "Gold mark removed"
        ANNOTATOR_FLAGGED = "annotator_flagged", "Annotator flagged"
        ANNOTATOR_PAUSED = "annotator_paused", "Annotator paused"
        FLAG_LIFTED = "flag_lifted", "Annotator flag or pause lifted"
        QUALIFICATION_FINISHED = "qualification_finished", "Qualification finished"
        QUALIFICATION_RESET = "qualification_reset", "Qualification reset"
        JUDGMENTS_WITHDRAWN = "judgments_withdrawn", "Judgments withdrawn from export"
        JUDGMENTS_RESTORED = "judgments_restored", "Withdrawn judgments restored"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        help_text="Empty when the system acted (quality control flagging an annotator).",
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
        actor = self.actor or "quality control"
        return f"{self.created_at:%Y-%m-%d %H:%M} {actor} {self.action} {self.target}"
