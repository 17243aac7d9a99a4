from django import forms
from django.conf import settings


class MessageField(forms.CharField):
    """A message typed in a browser, whose form submission sends each line break as CRLF.

    Normalised to LF before the length check, so a line break counts once, as it does in the
    page's counter (static/js/compose.js) and in what is stored.
    """

    def to_python(self, value) -> str:
        return super().to_python(value).replace("\r\n", "\n")


class UserTurnForm(forms.Form):
    text = MessageField(
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
        max_length=settings.MAX_PROMPT_CHARS,
        strip=True,
    )
