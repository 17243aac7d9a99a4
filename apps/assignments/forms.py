from django import forms

from apps.preferences.forms import JudgmentForm

from .models import Lease
from .services import MAX_NOTE_CHARS


class LeaseJudgmentForm(JudgmentForm):
    """A judgment of a leased pool pair, with the key that makes a resubmit store it once."""

    idempotency_key = forms.CharField(max_length=100)


class LeaseSkipForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_NOTE_CHARS,
        strip=True,
        error_messages={"required": "Say why you skip this pair."},
    )


class LeaseFlagForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Lease.FlagReason.choices,
        error_messages={"required": "Pick what is wrong with this pair."},
    )
    note = forms.CharField(max_length=MAX_NOTE_CHARS, required=False, strip=True)
