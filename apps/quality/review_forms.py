"""Forms of the review page: its filters (query string) and the staff actions on a pair or an
annotator's judgments (POST)."""

from django import forms

from apps.preferences.gold import MAX_EXPLANATION_CHARS
from apps.preferences.models import Strength
from apps.preferences.withdrawal import MAX_REASON_CHARS

from .review import ReviewFilters


class ReviewFilterForm(forms.Form):
    annotator = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    category = forms.ChoiceField(required=False)
    strength = forms.ChoiceField(choices=[("", "Any strength"), *Strength.choices], required=False)
    flagged = forms.BooleanField(required=False, label="Flagged in the queue")

    def __init__(self, data, *, annotators: list[tuple[int, str]], categories: list[str]) -> None:
        super().__init__(data)
        self.fields["annotator"].choices = [("", "Anyone"), *annotators]
        self.fields["category"].choices = [("", "Any category")] + [(c, c) for c in categories]

    def filters(self) -> ReviewFilters:
        data = self.cleaned_data
        return ReviewFilters(
            annotator_id=data["annotator"],
            category=data["category"],
            strength=data["strength"],
            flagged=data["flagged"],
        )


class GoldMarkForm(forms.Form):
    expected_slot = forms.ChoiceField(
        choices=[("a", "A"), ("b", "B")], label="Should win", widget=forms.RadioSelect
    )
    min_strength = forms.ChoiceField(
        choices=Strength.choices,
        initial=Strength.NEGLIGIBLY_BETTER_OR_UNSURE,
        label="At least",
    )
    for_qualification = forms.BooleanField(required=False, label="In the qualification set")
    explanation = forms.CharField(
        required=False,
        max_length=MAX_EXPLANATION_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown after a qualification answer.",
    )


class WithdrawForm(forms.Form):
    """One judgment (`comparison`) or all of an annotator's in the batch (`annotator`)."""

    comparison = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    annotator = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=MAX_REASON_CHARS, strip=True)

    def clean(self):
        data = super().clean()
        if not data.get("comparison") and not data.get("annotator"):
            raise forms.ValidationError("Say which judgment, or whose judgments.")
        return data


class RestoreForm(forms.Form):
    comparison = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    annotator = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("comparison") and not data.get("annotator"):
            raise forms.ValidationError("Say which judgment, or whose judgments.")
        return data
