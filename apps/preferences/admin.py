from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import Comparison


@admin.register(Comparison)
class ComparisonAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "batch",
        "track",
        "annotator",
        "turn_index",
        "strength",
        "safety_label",
        "left_shown",
        "time_spent_ms",
        "created_at",
    ]
    list_filter = ["track", "strength", "batch"]

    @admin.display(description="chosen shown on")
    def left_shown(self, obj: Comparison) -> str:
        return "left" if obj.left_id == obj.chosen_id else "right"
