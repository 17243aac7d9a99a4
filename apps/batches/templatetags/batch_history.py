"""The batch history's details in plain words: one "field: old -> new" line per change."""

from django import template

register = template.Library()

_SIDES = {"sampling_a.": "side A ", "sampling_b.": "side B "}


def _label(key: str) -> str:
    for prefix, side in _SIDES.items():
        if key.startswith(prefix):
            key = side + key.removeprefix(prefix)
    return key.replace("_", " ")


def _value(value) -> str:
    if value is None or value in ([], ""):
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@register.filter
def change_lines(details: dict) -> list[str]:
    """An audit event's details as lines: edits and status changes as "field: old -> new",
    anything else as "field: value"."""
    if not isinstance(details, dict):
        return [_value(details)]
    details = dict(details)
    lines = [
        f"{_label(key)}: {_value(old)} -> {_value(new)}"
        for key, (old, new) in details.pop("changed", {}).items()
    ]
    if "from" in details and "to" in details:
        lines.append(f"status: {_value(details.pop('from'))} -> {_value(details.pop('to'))}")
    lines += [f"{_label(key)}: {_value(value)}" for key, value in details.items()]
    return lines
