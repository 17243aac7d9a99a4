from django import forms

from apps.batches.models import Batch
from apps.evaluation.models import Study

from .options import RankingOptions

MAX_BOOTSTRAP_ROUNDS = 1000


class LeaderboardRunForm(forms.Form):
    batches = forms.ModelMultipleChoiceField(
        queryset=Batch.objects.filter(purpose=Batch.Purpose.COLLECTION).order_by(
            "-created_at", "-pk"
        ),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Every comparison in these batches counts.",
    )
    studies = forms.ModelMultipleChoiceField(
        queryset=Study.objects.filter(kind=Study.Kind.SIDE_BY_SIDE).order_by("-created_at", "-pk"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Every 7-point rating of these side-by-side studies counts as a comparison.",
    )
    strength_weighted = forms.BooleanField(
        required=False, initial=True, label="Weight by strength level"
    )
    position_control = forms.BooleanField(required=False, label="Control for position (left/right)")
    length_control = forms.BooleanField(required=False, label="Control for response length")
    bootstrap_rounds = forms.IntegerField(min_value=0, max_value=MAX_BOOTSTRAP_ROUNDS, initial=100)

    def clean(self):
        data = super().clean()
        if not data.get("batches") and not data.get("studies"):
            raise forms.ValidationError("Pick at least one batch or study.")
        return data

    def options(self) -> RankingOptions:
        data = self.cleaned_data
        return RankingOptions(
            strength_weighted=data["strength_weighted"],
            position_control=data["position_control"],
            length_control=data["length_control"],
            bootstrap_rounds=data["bootstrap_rounds"],
        )
