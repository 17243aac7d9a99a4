"""Admin building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyPermissions:
    """Staff list and view these rows in the admin; nobody adds, changes or deletes them there.

    Collected data is evidence: changes go through the services, which write the audit log.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyPermissions, admin.TabularInline):
    extra = 0
