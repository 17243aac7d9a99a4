from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.core.admin import ReadOnlyAdmin
from apps.pairs.models import Pair

from .gold import gold_mark, gold_pair_check, gold_unmark
from .models import Comparison, GoldAnswer


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
        "gold_correct",
        "withdrawn_at",
        "created_at",
    ]
    list_filter = ["track", "strength", "batch", "gold_correct"]

    @admin.display(description="chosen shown on")
    def left_shown(self, obj: Comparison) -> str:
        return "left" if obj.left_id == obj.chosen_id else "right"


class GoldAnswerForm(forms.ModelForm):
    expected_slot = forms.ChoiceField(choices=Pair.Slot.choices)

    class Meta:
        model = GoldAnswer
        fields = ["pair", "expected_slot", "min_strength", "for_qualification", "explanation"]

    def clean(self) -> dict:
        cleaned = super().clean()
        pair = cleaned.get("pair") or getattr(self.instance, "pair", None)
        if pair is not None:
            try:
                gold_pair_check(pair=pair, for_qualification=cleaned.get("for_qualification"))
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(GoldAnswer)
class GoldAnswerAdmin(admin.ModelAdmin):
    """Gold answers: adding or changing one goes through `gold_mark` (source admin), deleting
    through `gold_unmark`, so each is audited and the pair's free slots are withdrawn."""

    form = GoldAnswerForm
    list_display = [
        "pair",
        "batch",
        "expected_slot",
        "min_strength",
        "for_qualification",
        "source",
        "created_by",
        "created_at",
    ]
    list_filter = ["batch", "for_qualification", "source", "min_strength"]
    search_fields = ["pair__id", "explanation"]
    raw_id_fields = ["pair"]
    readonly_fields = ["batch", "source", "created_by", "created_at"]
    actions = ["unmark_selected"]

    def get_readonly_fields(self, request, obj=None):
        # The pair of an existing gold answer is fixed: unmark it and mark another instead.
        return [*self.readonly_fields, "pair"] if obj is not None else self.readonly_fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes go through gold_unmark
        return actions

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data  # checked by the form (gold_pair_check) before this
        gold = gold_mark(
            pair=obj.pair,
            expected_slot=data["expected_slot"],
            min_strength=data["min_strength"],
            for_qualification=data["for_qualification"],
            explanation=data["explanation"],
            source=GoldAnswer.Source.ADMIN,
            actor=request.user,
        )
        obj.pk = gold.pk

    def delete_model(self, request, obj) -> None:
        gold_unmark(pair=obj.pair, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for gold in queryset.select_related("pair"):
            gold_unmark(pair=gold.pair, actor=request.user)

    @admin.action(description="Unmark selected gold pairs (audited)")
    def unmark_selected(self, request, queryset) -> None:
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, f"{count} pair(s) are no longer gold.")
