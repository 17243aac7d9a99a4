from django.contrib import admin

from .models import Batch, SamplingConfig


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
    list_filter = ["track", "status"]
    search_fields = ["name"]
