from django.contrib import admin

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.core.admin import ReadOnlyAdmin

from .models import AnnotatorFlag, Batch, Qualification, SamplingConfig


@admin.register(SamplingConfig)
class SamplingConfigAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "variant",
        "temperature_min",
        "temperature_max",
        "top_p",
        "max_new_tokens",
    ]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "track", "status", "iteration", "max_turns", "created_at"]
    list_filter = ["track", "status", "purpose"]
    search_fields = ["name"]
    # Evaluation batches are made by their study (apps.evaluation); a batch made here collects.
    readonly_fields = ["purpose"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            action, details = AuditEvent.Action.BATCH_CREATED, {"status": obj.status}
        elif "status" in form.changed_data:
            action = AuditEvent.Action.BATCH_STATUS_CHANGED
            details = {"from": form.initial.get("status"), "to": obj.status}
        else:
            return
        audit_record(actor=request.user, action=action, target=f"batch:{obj.pk}", details=details)


@admin.register(AnnotatorFlag)
class AnnotatorFlagAdmin(ReadOnlyAdmin):
    """Flags are raised by quality control and lifted on the quality page (audited there)."""

    list_display = [
        "annotator",
        "batch",
        "pauses_work",
        "reason",
        "flagged_by",
        "flagged_at",
        "lifted_at",
        "lifted_by",
    ]
    list_filter = ["batch", "pauses_work", ("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["annotator__username", "reason"]


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ["annotator", "batch", "status", "answered", "correct", "started_at"]
    list_filter = ["batch", "status"]
    search_fields = ["annotator__username"]
