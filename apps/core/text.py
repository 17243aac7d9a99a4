"""Checks for free text on its way to the database, whatever path it came by."""

import re

from django.core.exceptions import ValidationError

# PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def text_checked(value, *, field: str, max_chars: int, required: bool = True) -> str:
    """The stripped text, or a ValidationError naming the field; never a database error."""
    if not isinstance(value, str):
        value = "" if value is None else str(value)
    text = value.strip()
    if required and not text:
        raise ValidationError({field: "This cannot be empty."})
    if len(text) > max_chars:
        raise ValidationError(
            {field: f"Keep this under {max_chars} characters (it has {len(text)})."}
        )
    if _UNSTORABLE.search(text):
        raise ValidationError(
            {field: "This contains a NUL character or invalid Unicode; remove it and retry."}
        )
    return text
