from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import Lease


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
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
