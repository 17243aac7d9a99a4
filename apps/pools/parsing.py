"""Read a prompt-pool file (JSONL or CSV) row by row, checking every row, storing nothing.

The file is streamed line by line with the standard `json` and `csv` modules. Every row is
checked and every bad one reported with its line number; the caller imports the rows only
when none was bad. Text is kept exactly as uploaded: nothing is stripped or normalised.
"""

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError

from .models import PoolUpload

REPORTED_ERRORS = 200  # lines named in the report; the rest are only counted
MAX_CATEGORY_CHARS = 100  # PoolItem.category
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv"}
ROLES = ("user", "assistant")
# Lone surrogates cannot be stored as UTF-8 (PostgreSQL refuses them): JSON escapes like
# "\ud800" produce them, and so does undecodable CSV input under "surrogateescape".
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


class PoolFileError(ValidationError):
    """The upload was refused; `lines` names the first bad lines, `error_count` counts all."""

    def __init__(
        self, message: str, *, lines: Iterable[LineError] = (), error_count: int = 0
    ) -> None:
        super().__init__(message, code="pool_file")
        self.lines = list(lines)
        self.error_count = error_count or len(self.lines)

    @property
    def more_count(self) -> int:
        """How many bad lines the report does not name."""
        return self.error_count - len(self.lines)


@dataclass(frozen=True)
class PoolRow:
    line_number: int
    context: list[dict[str, str]]
    category: str
    metadata: dict[str, Any]


@dataclass
class _Report:
    rows: list[PoolRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0

    def fail(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < REPORTED_ERRORS:
            self.errors.append(LineError(line, message))

    def count_row(self, max_rows: int) -> None:
        if len(self.rows) + self.error_count >= max_rows:
            raise PoolFileError(
                f"The file has more than {max_rows:,} rows; split it into smaller files."
            )


class _RowError(Exception):
    pass


def file_format_detect(*, filename: str, head: bytes) -> str:
    """JSONL or CSV from the file's extension, else from its first non-blank byte."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return PoolUpload.Format.JSONL
    if suffix in CSV_SUFFIXES:
        return PoolUpload.Format.CSV
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return PoolUpload.Format.JSONL if start.startswith(b"{") else PoolUpload.Format.CSV


def pool_file_parse(
    stream: IO[bytes], *, file_format: str, max_messages: int, max_rows: int | None = None
) -> list[PoolRow]:
    """Every row of the file, or PoolFileError naming each bad line (blank lines are skipped)."""
    report = _Report()
    max_rows = settings.POOL_UPLOAD_MAX_ROWS if max_rows is None else max_rows
    if file_format == PoolUpload.Format.JSONL:
        _jsonl_read(stream, report=report, max_messages=max_messages, max_rows=max_rows)
    else:
        _csv_read(stream, report=report, max_messages=max_messages, max_rows=max_rows)
    if report.error_count:
        noun = "line has" if report.error_count == 1 else "lines have"
        raise PoolFileError(
            f"{report.error_count:,} {noun} errors; nothing was imported.",
            lines=report.errors,
            error_count=report.error_count,
        )
    if not report.rows:
        raise PoolFileError("The file has no rows.")
    return report.rows


# --- JSONL --------------------------------------------------------------------------------


def _jsonl_read(stream: IO[bytes], *, report: _Report, max_messages: int, max_rows: int) -> None:
    for number, raw in enumerate(stream, start=1):
        line = raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw
        if not line.strip():
            continue
        report.count_row(max_rows)
        try:
            obj = _json_loads(_utf8(line), what="line")
            if not isinstance(obj, dict):
                raise _RowError(f"expected a JSON object, got {_json_type(obj)}")
            report.rows.append(_jsonl_row(obj, line=number, max_messages=max_messages))
        except _RowError as exc:
            report.fail(number, str(exc))


def _jsonl_row(obj: dict[str, Any], *, line: int, max_messages: int) -> PoolRow:
    extra = {k: v for k, v in obj.items() if k not in {"prompt", "messages", "category"}}
    metadata = extra.pop("metadata", None)
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise _RowError(f'"metadata" must be an object, got {_json_type(metadata)}')
    clash = sorted(set(extra) & set(metadata))
    if clash:
        raise _RowError(f'key "{_short(clash[0])}" is both a top-level key and in "metadata"')
    _check_strings(obj)
    return PoolRow(
        line_number=line,
        context=_context(obj, max_messages=max_messages),
        category=_category(obj.get("category")),
        metadata={**metadata, **extra},
    )


# --- CSV ----------------------------------------------------------------------------------


def _csv_read(stream: IO[bytes], *, report: _Report, max_messages: int, max_rows: int) -> None:
    # "surrogateescape" turns undecodable bytes into lone surrogates, reported per row below,
    # so one bad byte does not stop the check of the rest of the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        _csv_check(csv.reader(text, strict=True), report, max_messages, max_rows)
    finally:
        text.detach()  # leave the caller's stream open


def _csv_check(reader, report: _Report, max_messages: int, max_rows: int) -> None:
    header: list[str] | None = None
    for line, row in _csv_records(reader, report):
        if len(row) <= 1 and not "".join(row).strip():
            continue  # a blank line
        if header is None:
            header = _csv_header(row)
            continue
        report.count_row(max_rows)
        try:
            if any("\x00" in value for value in row):
                raise _RowError("contains a NUL byte")
            if any(_SURROGATE.search(value) for value in row):
                raise _RowError("is not valid UTF-8")
            if len(row) != len(header):
                raise _RowError(f"has {len(row)} fields; the header has {len(header)}")
            values = dict(zip(header, row, strict=True))
            report.rows.append(_csv_row(values, line, max_messages))
        except _RowError as exc:
            report.fail(line, str(exc))
    if header is None:
        raise PoolFileError("The file is empty: a CSV file needs a header row.")


def _csv_records(reader, report: _Report) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) for each record, which may span lines (quoted newlines).

    A malformed record (bad quoting) is reported and reading goes on after it.
    """
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.fail(start, f"malformed CSV: {exc}")
            if reader.line_num < start:
                return  # nothing more was read
            start = reader.line_num + 1
            continue
        yield start, row
        start = reader.line_num + 1


def _csv_header(row: list[str]) -> list[str]:
    header = [name.strip() for name in row]
    if any("\x00" in name or _SURROGATE.search(name) for name in header):
        raise PoolFileError("Line 1 (the header) has a NUL byte or invalid UTF-8.")
    if not any(name in {"prompt", "messages"} for name in header):
        raise PoolFileError(
            'The header row (line 1) needs a "prompt" or a "messages" column; '
            f"it has: {', '.join(_short(n) for n in header[:20])}."
        )
    if "" in header:
        raise PoolFileError("The header row has an empty column name.")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise PoolFileError(f'The header row names the column "{_short(name)}" twice.')
        seen.add(name)
    return header


def _csv_row(values: dict[str, str], line: int, max_messages: int) -> PoolRow:
    """A CSV row; where both columns exist, each row fills one of them."""
    category = values.pop("category", "")
    prompt, messages = values.pop("prompt", None), values.pop("messages", None)
    fields: dict[str, Any] = {}
    if messages is not None and (messages.strip() or prompt is None):
        fields["messages"] = _json_loads(messages, what='"messages"')
    if prompt is not None and (prompt or "messages" not in fields):
        fields["prompt"] = prompt
    return PoolRow(
        line_number=line,
        context=_context(fields, max_messages=max_messages),
        category=_category(category),
        metadata=values,
    )


# --- One row ------------------------------------------------------------------------------


def _context(obj: dict[str, Any], *, max_messages: int) -> list[dict[str, str]]:
    """The chat messages to answer, from a "prompt" or a "messages" value."""
    has_prompt, has_messages = "prompt" in obj, "messages" in obj
    if has_prompt and has_messages:
        raise _RowError('give either "prompt" or "messages", not both')
    if has_prompt:
        return [{"role": "user", "content": _message_text(obj["prompt"], what='"prompt"')}]
    if not has_messages:
        raise _RowError('needs a "prompt" or a "messages" value')
    messages = obj["messages"]
    if not isinstance(messages, list):
        raise _RowError(f'"messages" must be a list, got {_json_type(messages)}')
    if not messages:
        raise _RowError('"messages" is empty')
    if len(messages) > max_messages:
        raise _RowError(
            f"too many turns: {len(messages)} messages, this batch allows at most {max_messages}"
        )
    _check_strings(messages)
    context = [_message(m, index) for index, m in enumerate(messages)]
    if context[-1]["role"] != "user":
        raise _RowError('"messages" must end with a "user" message')
    return context


def _message(message: Any, index: int) -> dict[str, str]:
    where = f"message {index + 1}"
    if not isinstance(message, dict):
        raise _RowError(f"{where} must be an object, got {_json_type(message)}")
    unknown = sorted(set(message) - {"role", "content"})
    if unknown:
        raise _RowError(f'{where} has an unexpected key "{_short(unknown[0])}"')
    role = message.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise _RowError(
            f'{where} has an unknown role {_short(json.dumps(role))} (use "user" or "assistant")'
        )
    expected = ROLES[index % 2]
    if role != expected:
        raise _RowError(f'{where} should be "{expected}": messages alternate, starting with "user"')
    return {"role": role, "content": _message_text(message.get("content"), what=where)}


def _message_text(value: Any, *, what: str) -> str:
    if not isinstance(value, str):
        raise _RowError(f"{what} must be a string, got {_json_type(value)}")
    if not value.strip():
        raise _RowError(f"{what} is empty")
    if len(value) > settings.MAX_PROMPT_CHARS:
        raise _RowError(
            f"{what} has {len(value):,} characters; the limit is {settings.MAX_PROMPT_CHARS:,}"
        )
    return value


def _category(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _RowError(f'"category" must be a string, got {_json_type(value)}')
    if len(value) > MAX_CATEGORY_CHARS:
        raise _RowError(f'"category" is longer than {MAX_CATEGORY_CHARS} characters')
    return value


# --- Helpers ------------------------------------------------------------------------------


def _utf8(raw: bytes) -> str:
    if b"\x00" in raw:
        raise _RowError("contains a NUL byte")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _RowError(f"is not valid UTF-8 (byte {exc.start + 1})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {_short(text)} is out of range")
    return value


def _json_loads(text: str, *, what: str) -> Any:
    """Strict JSON: no NaN or Infinity (PostgreSQL's jsonb refuses them)."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise _RowError(f"malformed JSON in {what}: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:
        raise _RowError(f"malformed JSON in {what}: {exc}") from None
    except RecursionError:
        raise _RowError(f"malformed JSON in {what}: nested too deeply") from None


def _check_strings(value: Any) -> None:
    """Refuse text PostgreSQL cannot store: NUL characters and lone surrogates (\\u escapes)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise _RowError("contains a NUL character (\\u0000)")
            if _SURROGATE.search(item):
                raise _RowError("contains an unpaired surrogate (\\ud800 to \\udfff)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _json_type(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), "null")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
