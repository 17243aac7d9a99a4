from django.contrib import admin

from .models import Comparison


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
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
    readonly_fields = [f.name for f in Comparison._meta.fields]

    @admin.display(description="chosen shown on")
    def left_shown(self, obj: Comparison) -> str:
        return "left" if obj.left_id == obj.chosen_id else "right"
