from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import Dialogue, Pair, Sample, Turn


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


class SampleInline(ReadOnlyTabularInline):
    model = Sample
    fields = [
        "slot",
        "variant",
        "temperature",
        "top_p",
        "seed",
        "status",
        "completion_tokens",
        "latency_ms",
        "attempts",
        "error",
        "text",
    ]


@admin.register(Pair)
class PairAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "dialogue", "pool_item", "left_slot", "ready_at", "created_at"]
    list_filter = ["batch"]
    inlines = [SampleInline]


@admin.register(Sample)
class SampleAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "pair",
        "slot",
        "variant",
        "temperature",
        "status",
        "completion_tokens",
        "latency_ms",
        "attempts",
    ]
    list_filter = ["status", "variant"]
    search_fields = ["text", "error"]
