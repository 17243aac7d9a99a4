"""How deeply a JSON text nests, found without parsing it (parsing recurses once per level)."""

import re

# A string (skipped whole, so brackets inside it do not count) or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_nests_deeper_than(text: str, *, max_depth: int) -> bool:
    """Whether arrays and objects in `text` nest more than `max_depth` levels.

    Malformed text may count too deep (an unclosed string's brackets count); the parser would
    refuse it anyway.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False
