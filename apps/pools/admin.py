from django.contrib import admin

from .models import PoolItem, PoolUpload


@admin.register(PoolUpload)
class PoolUploadAdmin(admin.ModelAdmin):
    list_display = ["id", "batch", "filename", "file_format", "rows", "uploaded_by", "created_at"]
    list_filter = ["batch", "file_format"]


@admin.register(PoolItem)
class PoolItemAdmin(admin.ModelAdmin):
    list_display = ["id", "batch", "upload", "line_number", "category", "created_at"]
    list_filter = ["batch", "category"]
    readonly_fields = ["upload", "batch"]
