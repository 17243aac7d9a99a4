from django.contrib import admin

from .models import ModelVariant


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ["name", "backend", "source_kind", "source", "dtype", "device", "is_active"]
    list_filter = ["backend", "is_active"]
    search_fields = ["name", "source", "base_url"]
    fieldsets = [
        (None, {"fields": ["name", "backend", "source_kind", "source", "is_active"]}),
        ("In-process loading (transformers, vLLM)", {"fields": ["dtype", "device"]}),
        (
            "OpenAI-compatible server",
            {"fields": ["base_url", "api_key_env", "max_concurrency"]},
        ),
        (
            "Defaults",
            {
                "fields": [
                    "system_prompt",
                    "default_temperature",
                    "default_top_p",
                    "default_max_new_tokens",
                    "context_window",
                ]
            },
        ),
    ]
