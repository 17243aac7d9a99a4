from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import JudgmentSlot, Pair, Sample


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


@admin.register(JudgmentSlot)
class JudgmentSlotAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "pair", "index", "status", "annotator", "lease_expires_at"]
    list_filter = ["status", "batch"]
