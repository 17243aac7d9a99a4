from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import PoolItem, PoolUpload


@admin.register(PoolUpload)
class PoolUploadAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "filename", "file_format", "rows", "uploaded_by", "created_at"]
    list_filter = ["batch", "file_format"]


@admin.register(PoolItem)
class PoolItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "upload", "line_number", "category", "created_at"]
    list_filter = ["batch", "category"]
