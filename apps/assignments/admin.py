from django.contrib import admin

from .models import JudgmentSlot, Lease


@admin.register(JudgmentSlot)
class JudgmentSlotAdmin(admin.ModelAdmin):
    list_display = ["id", "batch", "pair", "index", "status", "annotator", "lease_expires_at"]
    list_filter = ["status", "batch"]


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "batch",
        "pair",
        "annotator",
        "left_slot",
        "status",
        "claimed_at",
        "expires_at",
        "ended_at",
        "flag_reason",
    ]
    list_filter = ["status", "flag_reason", "batch"]
    search_fields = ["skip_reason", "flag_note"]
    readonly_fields = ["slot", "pair", "batch", "annotator", "comparison"]
