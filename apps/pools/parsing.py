"""Read a prompt-pool file (JSONL or CSV) row by row, checking every row, storing nothing.

The file is streamed line by line with the standard `json` and `csv` modules. Every row is
checked and every bad one reported with its line number; the caller imports the rows only
when none was bad. Text is kept exactly as uploaded: nothing is stripped or normalised.
"""

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError

from .models import PoolUpload
from .row_checks import (
    QUALITY_KEYS,
    SURROGATE,
    GoldSpec,
    RowError,
    category_from,
    check_strings,
    context_from,
    json_loads_strict,
    json_type,
    quality_from,
    short,
    utf8_decode,
)

REPORTED_ERRORS = 200  # lines named in the report; the rest are only counted
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv"}


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
    responses: tuple[str, str] | None = None
    gold: GoldSpec | None = None


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
            obj = json_loads_strict(utf8_decode(line), what="line")
            if not isinstance(obj, dict):
                raise RowError(f"expected a JSON object, got {json_type(obj)}")
            report.rows.append(_jsonl_row(obj, line=number, max_messages=max_messages))
        except RowError as exc:
            report.fail(number, str(exc))


def _jsonl_row(obj: dict[str, Any], *, line: int, max_messages: int) -> PoolRow:
    known = {"prompt", "messages", "category", *QUALITY_KEYS}
    extra = {k: v for k, v in obj.items() if k not in known}
    metadata = extra.pop("metadata", None)
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise RowError(f'"metadata" must be an object, got {json_type(metadata)}')
    clash = sorted(set(extra) & set(metadata))
    if clash:
        raise RowError(f'key "{short(clash[0])}" is both a top-level key and in "metadata"')
    check_strings(obj)
    responses, gold = quality_from(obj)
    return PoolRow(
        line_number=line,
        context=context_from(obj, max_messages=max_messages),
        category=category_from(obj.get("category")),
        metadata={**metadata, **extra},
        responses=responses,
        gold=gold,
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
                raise RowError("contains a NUL byte")
            if any(SURROGATE.search(value) for value in row):
                raise RowError("is not valid UTF-8")
            if len(row) != len(header):
                raise RowError(f"has {len(row)} fields; the header has {len(header)}")
            values = dict(zip(header, row, strict=True))
            report.rows.append(_csv_row(values, line, max_messages))
        except RowError as exc:
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
    if any("\x00" in name or SURROGATE.search(name) for name in header):
        raise PoolFileError("Line 1 (the header) has a NUL byte or invalid UTF-8.")
    if not any(name in {"prompt", "messages"} for name in header):
        raise PoolFileError(
            'The header row (line 1) needs a "prompt" or a "messages" column; '
            f"it has: {', '.join(short(n) for n in header[:20])}."
        )
    if "" in header:
        raise PoolFileError("The header row has an empty column name.")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise PoolFileError(f'The header row names the column "{short(name)}" twice.')
        seen.add(name)
    return header


def _csv_row(values: dict[str, str], line: int, max_messages: int) -> PoolRow:
    """A CSV row; where both columns exist, each row fills one of them."""
    category = values.pop("category", "")
    prompt, messages = values.pop("prompt", None), values.pop("messages", None)
    responses, gold = quality_from({key: values.pop(key, None) for key in QUALITY_KEYS})
    fields: dict[str, Any] = {}
    if messages is not None and (messages.strip() or prompt is None):
        fields["messages"] = json_loads_strict(messages, what='"messages"')
    if prompt is not None and (prompt or "messages" not in fields):
        fields["prompt"] = prompt
    return PoolRow(
        line_number=line,
        context=context_from(fields, max_messages=max_messages),
        category=category_from(category),
        metadata=values,
        responses=responses,
        gold=gold,
    )
