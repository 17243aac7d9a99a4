from django import forms

from .models import Strength

SAFETY_CHOICES = [("safe", "Safe"), ("unsafe", "Unsafe")]


class JudgmentForm(forms.Form):
    chosen_side = forms.ChoiceField(choices=[("left", "Left"), ("right", "Right")])
    strength = forms.ChoiceField(choices=Strength.choices)
    left_is_safe = forms.ChoiceField(choices=SAFETY_CHOICES, required=False)
    right_is_safe = forms.ChoiceField(choices=SAFETY_CHOICES, required=False)
    time_spent_ms = forms.IntegerField(min_value=0, required=False)
