from django import forms

from .batch_pairs import PAIR_STATES


class PairFilterForm(forms.Form):
    """The filters of a batch's pairs page, read from the query string."""

    state = forms.ChoiceField(
        choices=[("", "Any state"), *PAIR_STATES.items()], required=False, label="State"
    )
    category = forms.ChoiceField(required=False, label="Category")

    def __init__(self, data, *, categories: list[str]) -> None:
        super().__init__(data)
        self.fields["category"].choices = [("", "Any category")] + [(c, c) for c in categories]
