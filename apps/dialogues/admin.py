from django.contrib import admin

from .models import Dialogue, Pair, Sample, Turn


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    fields = ["index", "role", "text", "source_sample"]
    readonly_fields = fields


@admin.register(Dialogue)
class DialogueAdmin(admin.ModelAdmin):
    list_display = ["id", "batch", "annotator", "status", "created_at"]
    list_filter = ["status", "batch"]
    inlines = [TurnInline]


class SampleInline(admin.TabularInline):
    model = Sample
    extra = 0
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
    readonly_fields = fields


@admin.register(Pair)
class PairAdmin(admin.ModelAdmin):
    list_display = ["id", "batch", "dialogue", "pool_item", "left_slot", "ready_at", "created_at"]
    list_filter = ["batch"]
    inlines = [SampleInline]


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
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
