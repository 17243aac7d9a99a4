"""Read a prompt-pool file (JSONL or CSV) row by row, checking every row, storing nothing.

The file is streamed line by line with the standard `json` and `csv` modules, in constant
memory: `pool_file_check` reads it once and reports every bad line with its number, and
`pool_file_rows` reads it again, yielding the rows to import, only once the check passed.
Text is kept exactly as uploaded: nothing is stripped or normalised.
"""

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
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
    rows_seen: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0

    def fail(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < REPORTED_ERRORS:
            self.errors.append(LineError(line, message))

    def count_row(self, max_rows: int) -> None:
        if self.rows_seen >= max_rows:
            raise PoolFileError(
                f"The file has more than {max_rows:,} rows; split it into smaller files."
            )
        self.rows_seen += 1

    def refusal(self) -> PoolFileError | None:
        if self.error_count:
            noun = "line has" if self.error_count == 1 else "lines have"
            return PoolFileError(
                f"{self.error_count:,} {noun} errors; nothing was imported.",
                lines=self.errors,
                error_count=self.error_count,
            )
        if not self.rows_seen:
            return PoolFileError("The file has no rows.")
        return None


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
    """Every row of the file, or PoolFileError naming each bad line (blank lines are skipped).

    Holds every row in memory: for small files; large ones go through pool_file_check and
    pool_file_rows.
    """
    report = _Report()
    rows = list(_rows_read(stream, report, file_format, max_messages, max_rows))
    refusal = report.refusal()
    if refusal is not None:
        raise refusal
    return rows


def pool_file_check(
    stream: IO[bytes],
    *,
    file_format: str,
    max_messages: int,
    max_rows: int | None = None,
    every: int = 10_000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Check every row without keeping any; return how many rows the file has, or raise
    PoolFileError naming the bad lines. `on_progress(rows_checked)` is called every `every`
    rows (it may raise to stop the check)."""
    report = _Report()
    for _row in _rows_read(stream, report, file_format, max_messages, max_rows):
        if on_progress is not None and report.rows_seen % every == 0:
            on_progress(report.rows_seen)
    refusal = report.refusal()
    if refusal is not None:
        raise refusal
    return report.rows_seen


def pool_file_rows(stream: IO[bytes], *, file_format: str, max_messages: int) -> Iterator[PoolRow]:
    """The rows of a file pool_file_check passed, one at a time (PoolFileError if a row is
    bad after all: the file changed between the two reads)."""
    report = _Report()
    for row in _rows_read(stream, report, file_format, max_messages, None):
        if report.error_count:
            break
        yield row
    refusal = report.refusal()
    if refusal is not None:
        raise refusal


def _rows_read(
    stream: IO[bytes], report: _Report, file_format: str, max_messages: int, max_rows: int | None
) -> Iterator[PoolRow]:
    max_rows = settings.POOL_UPLOAD_MAX_ROWS if max_rows is None else max_rows
    if file_format == PoolUpload.Format.JSONL:
        yield from _jsonl_read(stream, report=report, max_messages=max_messages, max_rows=max_rows)
    else:
        yield from _csv_read(stream, report=report, max_messages=max_messages, max_rows=max_rows)


# --- JSONL --------------------------------------------------------------------------------


def _jsonl_read(
    stream: IO[bytes], *, report: _Report, max_messages: int, max_rows: int
) -> Iterator[PoolRow]:
    for number, raw in enumerate(stream, start=1):
        line = raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw
        if not line.strip():
            continue
        report.count_row(max_rows)
        try:
            obj = json_loads_strict(utf8_decode(line), what="line")
            if not isinstance(obj, dict):
                raise RowError(f"expected a JSON object, got {json_type(obj)}")
            row = _jsonl_row(obj, line=number, max_messages=max_messages)
        except RowError as exc:
            report.fail(number, str(exc))
        else:
            yield row


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


def _csv_read(
    stream: IO[bytes], *, report: _Report, max_messages: int, max_rows: int
) -> Iterator[PoolRow]:
    # "surrogateescape" turns undecodable bytes into lone surrogates, reported per row below,
    # so one bad byte does not stop the check of the rest of the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from _csv_check(csv.reader(text, strict=True), report, max_messages, max_rows)
    finally:
        text.detach()  # leave the caller's stream open


def _csv_check(reader, report: _Report, max_messages: int, max_rows: int) -> Iterator[PoolRow]:
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
            pool_row = _csv_row(values, line, max_messages)
        except RowError as exc:
            report.fail(line, str(exc))
        else:
            yield pool_row
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
