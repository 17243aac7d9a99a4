from django import forms
from django.conf import settings


class UserTurnForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
        max_length=settings.MAX_PROMPT_CHARS,
        strip=True,
    )
