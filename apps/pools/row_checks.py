"""Checks on one row of a pool file, shared by the JSONL and CSV readers.

Each check raises RowError with a message for the report; text is never changed.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.core.json_depth import json_nests_deeper_than

MAX_CATEGORY_CHARS = 100  # PoolItem.category
ROLES = ("user", "assistant")
# Lone surrogates cannot be stored as UTF-8 (PostgreSQL refuses them): JSON escapes like
# "\ud800" produce them, and so does undecodable CSV input under "surrogateescape".
SURROGATE = re.compile("[\ud800-\udfff]")


class RowError(Exception):
    """What is wrong with one row, for the report."""


def context_from(obj: dict[str, Any], *, max_messages: int) -> list[dict[str, str]]:
    """The chat messages to answer, from a "prompt" or a "messages" value."""
    has_prompt, has_messages = "prompt" in obj, "messages" in obj
    if has_prompt and has_messages:
        raise RowError('give either "prompt" or "messages", not both')
    if has_prompt:
        return [{"role": "user", "content": _message_text(obj["prompt"], what='"prompt"')}]
    if not has_messages:
        raise RowError('needs a "prompt" or a "messages" value')
    messages = obj["messages"]
    if not isinstance(messages, list):
        raise RowError(f'"messages" must be a list, got {json_type(messages)}')
    if not messages:
        raise RowError('"messages" is empty')
    if len(messages) > max_messages:
        raise RowError(
            f"too many turns: {len(messages)} messages, this batch allows at most {max_messages}"
        )
    check_strings(messages)
    context = [_message(m, index) for index, m in enumerate(messages)]
    if context[-1]["role"] != "user":
        raise RowError('"messages" must end with a "user" message')
    return context


def _message(message: Any, index: int) -> dict[str, str]:
    where = f"message {index + 1}"
    if not isinstance(message, dict):
        raise RowError(f"{where} must be an object, got {json_type(message)}")
    unknown = sorted(set(message) - {"role", "content"})
    if unknown:
        raise RowError(f'{where} has an unexpected key "{short(unknown[0])}"')
    role = message.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise RowError(
            f'{where} has an unknown role {short(json.dumps(role))} (use "user" or "assistant")'
        )
    expected = ROLES[index % 2]
    if role != expected:
        raise RowError(f'{where} should be "{expected}": messages alternate, starting with "user"')
    return {"role": role, "content": _message_text(message.get("content"), what=where)}


def _message_text(value: Any, *, what: str) -> str:
    if not isinstance(value, str):
        raise RowError(f"{what} must be a string, got {json_type(value)}")
    if not value.strip():
        raise RowError(f"{what} is empty")
    if len(value) > settings.MAX_PROMPT_CHARS:
        raise RowError(
            f"{what} has {len(value):,} characters; the limit is {settings.MAX_PROMPT_CHARS:,}"
        )
    return value


def category_from(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f'"category" must be a string, got {json_type(value)}')
    if len(value) > MAX_CATEGORY_CHARS:
        raise RowError(f'"category" is longer than {MAX_CATEGORY_CHARS} characters')
    return value


def utf8_decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise RowError("contains a NUL byte")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RowError(f"is not valid UTF-8 (byte {exc.start + 1})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {short(text)} is out of range")
    return value


def json_loads_strict(text: str, *, what: str) -> Any:
    """Strict JSON: no NaN or Infinity (PostgreSQL's jsonb refuses them), and no deeper than
    JSON_MAX_DEPTH (deeper metadata would break the pages that show it)."""
    if json_nests_deeper_than(text, max_depth=settings.JSON_MAX_DEPTH):
        raise RowError(f"{what} nests deeper than {settings.JSON_MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise RowError(f"malformed JSON in {what}: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:
        raise RowError(f"malformed JSON in {what}: {exc}") from None
    except RecursionError:
        raise RowError(f"malformed JSON in {what}: nested too deeply") from None


def check_strings(value: Any) -> None:
    """Refuse text PostgreSQL cannot store: NUL characters and lone surrogates (\\u escapes)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise RowError("contains a NUL character (\\u0000)")
            if SURROGATE.search(item):
                raise RowError("contains an unpaired surrogate (\\ud800 to \\udfff)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def json_type(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), "null")


def short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Supplied responses and gold answers --------------------------------------------------

QUALITY_KEYS = (
    "response_a",
    "response_b",
    "gold",
    "gold_min_strength",
    "qualification",
    "gold_explanation",
)
STRENGTHS = (
    "significantly_better",
    "better",
    "slightly_better",
    "negligibly_better_or_unsure",
)  # preferences.Strength's values (that app sits above this one's checks)
MAX_EXPLANATION_CHARS = 4000
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


@dataclass(frozen=True)
class GoldSpec:
    expected_slot: str
    min_strength: str
    for_qualification: bool
    explanation: str


def _given(value: Any) -> bool:
    """A value counts as given unless missing, null or (a CSV cell) empty."""
    return value is not None and value != ""


def _response_text(value: Any, *, what: str) -> str:
    if not isinstance(value, str):
        raise RowError(f'"{what}" must be a string, got {json_type(value)}')
    if not value.strip():
        raise RowError(f'"{what}" is empty')
    if len(value) > settings.MAX_PROMPT_CHARS:
        raise RowError(
            f'"{what}" has {len(value):,} characters; the limit is {settings.MAX_PROMPT_CHARS:,}'
        )
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise RowError(f'"qualification" must be true or false, got {short(json.dumps(value))}')


def quality_from(
    values: dict[str, Any],
) -> tuple[tuple[str, str] | None, GoldSpec | None]:
    """The supplied responses (both or neither) and the gold answer of a row, if any.

    `gold` (a or b) needs the responses; `gold_min_strength`, `qualification` and
    `gold_explanation` need `gold`.
    """
    has_a, has_b = _given(values.get("response_a")), _given(values.get("response_b"))
    if has_a != has_b:
        missing = "response_b" if has_a else "response_a"
        raise RowError(
            f'give both "response_a" and "response_b", or neither ("{missing}" is missing)'
        )
    responses = None
    if has_a:
        responses = (
            _response_text(values["response_a"], what="response_a"),
            _response_text(values["response_b"], what="response_b"),
        )
    gold = values.get("gold")
    if not _given(gold):
        extra = [
            k for k in QUALITY_KEYS[3:] if _given(values.get(k)) and values.get(k) is not False
        ]
        if extra and not (extra == ["qualification"] and not _flag(values["qualification"])):
            raise RowError(f'"{extra[0]}" needs a "gold" value (a or b)')
        return responses, None
    if not isinstance(gold, str) or gold.strip().lower() not in ("a", "b"):
        raise RowError(f'"gold" must be "a" or "b", got {short(json.dumps(gold))}')
    if responses is None:
        raise RowError('"gold" needs the two responses: give "response_a" and "response_b"')
    strength = values.get("gold_min_strength")
    if not _given(strength):
        strength = "negligibly_better_or_unsure"
    if strength not in STRENGTHS:
        raise RowError(
            f'"gold_min_strength" must be one of {", ".join(STRENGTHS)}; '
            f"got {short(json.dumps(strength))}"
        )
    explanation = values.get("gold_explanation")
    if not _given(explanation):
        explanation = ""
    if not isinstance(explanation, str):
        raise RowError(f'"gold_explanation" must be a string, got {json_type(explanation)}')
    if len(explanation) > MAX_EXPLANATION_CHARS:
        raise RowError(f'"gold_explanation" is longer than {MAX_EXPLANATION_CHARS:,} characters')
    qualification = values.get("qualification")
    return responses, GoldSpec(
        expected_slot=gold.strip().lower(),
        min_strength=strength,
        for_qualification=_flag(qualification) if _given(qualification) else False,
        explanation=explanation,
    )
