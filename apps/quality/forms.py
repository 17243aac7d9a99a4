from django import forms

from apps.batches.flags import MAX_NOTE_CHARS


class FlagLiftForm(forms.Form):
    note = forms.CharField(required=False, max_length=MAX_NOTE_CHARS, strip=True)


class AnnotatorPauseForm(forms.Form):
    annotator = forms.TypedChoiceField(coerce=int, choices=())
    reason = forms.CharField(max_length=500, strip=True)

    def __init__(self, *args, annotators: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["annotator"].choices = annotators
