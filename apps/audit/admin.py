from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: staff read the log; nobody edits or deletes it here."""

    list_display = ["created_at", "actor", "token", "action", "target", "details"]
    list_filter = ["action", "actor", "created_at"]
    search_fields = ["target", "actor__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
