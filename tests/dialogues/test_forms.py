"""The prompt form counts a message the way the page's counter does."""

from django.conf import settings

from apps.dialogues.forms import UserTurnForm


def test_a_message_at_the_limit_sent_with_the_browsers_crlf_line_breaks_is_accepted():
    half = settings.MAX_PROMPT_CHARS // 2
    text = "a" * half + "\r\n" + "b" * (settings.MAX_PROMPT_CHARS - half - 1)
    form = UserTurnForm({"text": text})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == text.replace("\r\n", "\n")


def test_a_message_one_character_over_the_limit_is_refused_with_its_length():
    form = UserTurnForm({"text": "x" * (settings.MAX_PROMPT_CHARS + 1)})
    assert not form.is_valid()
    assert f"(it has {settings.MAX_PROMPT_CHARS + 1})" in form.errors["text"][0]
