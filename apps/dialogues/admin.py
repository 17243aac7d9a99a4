from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import Dialogue, Turn


class TurnInline(ReadOnlyTabularInline):
    model = Turn
    fields = ["index", "role", "text", "source_sample"]


@admin.register(Dialogue)
class DialogueAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "annotator", "status", "created_at"]
    list_filter = ["status", "batch"]
    inlines = [TurnInline]


@admin.register(Turn)
class TurnAdmin(ReadOnlyAdmin):
    list_display = ["id", "dialogue", "index", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["text"]
