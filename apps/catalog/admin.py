from django.contrib import admin

from .models import ModelVariant


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ["name", "backend", "source_kind", "source", "dtype", "device", "is_active"]
    list_filter = ["backend", "is_active"]
    search_fields = ["name", "source"]
