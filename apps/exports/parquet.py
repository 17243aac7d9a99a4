"""Parquet output: an explicit schema per format, written in row groups as rows arrive."""

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .options import ExportOptions

MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
TIMESTAMP = pa.timestamp("us", tz="UTC")

METADATA = [
    ("id", pa.int64()),
    ("dialogue_id", pa.int64()),  # null for a pool pair
    ("pool_item_id", pa.int64()),  # null for a dialogue pair
    ("category", pa.string()),
    ("batch", pa.string()),
    ("track", pa.string()),
    ("turn_index", pa.int32()),
    ("strength", pa.string()),
    ("safety_label", pa.string()),
    ("chosen_variant", pa.string()),
    ("rejected_variant", pa.string()),
    ("annotator", pa.string()),
    ("created_at", TIMESTAMP),
]

LEADING = {
    "trl": [("prompt", MESSAGES), ("chosen", MESSAGES), ("rejected", MESSAGES)],
    "trl-text": [("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string())],
    "hh": [("chosen", pa.string()), ("rejected", pa.string())],
    "raw": [],
}

RAW_TRAILING = [
    ("pair_id", pa.int64()),
    ("batch_id", pa.int64()),
    ("context", MESSAGES),
    ("chosen_text", pa.string()),
    ("rejected_text", pa.string()),
    ("chosen_sample_id", pa.int64()),
    ("chosen_slot", pa.string()),
    ("chosen_temperature", pa.float64()),
    ("chosen_top_p", pa.float64()),
    ("chosen_max_new_tokens", pa.int32()),
    ("chosen_seed", pa.int64()),
    ("rejected_sample_id", pa.int64()),
    ("rejected_slot", pa.string()),
    ("rejected_temperature", pa.float64()),
    ("rejected_top_p", pa.float64()),
    ("rejected_max_new_tokens", pa.int32()),
    ("rejected_seed", pa.int64()),
    ("left", pa.string()),
    ("chosen_is_safe", pa.bool_()),
    ("rejected_is_safe", pa.bool_()),
    ("time_spent_ms", pa.int64()),
    ("pair_created_at", TIMESTAMP),
    ("pool_metadata", pa.string()),
]


def schema_for(*, options: ExportOptions) -> pa.Schema:
    fields = list(LEADING[options.format]) + list(METADATA)
    if options.margin != "none":
        fields.append(("margin", pa.float64()))
    if options.test_fraction > 0:
        fields.append(("split", pa.string()))
    if options.weight:
        fields.append(("weight", pa.float64()))
    if options.format == "raw":
        fields += RAW_TRAILING
        if options.overlap == "majority":
            fields += [("votes", pa.int64()), ("annotations", pa.int64())]
    if options.annotator_ids == "raw":
        fields = [(n, pa.int64() if n == "annotator" else t) for n, t in fields]
    return pa.schema(fields)


class _Sink:
    """A write-only file that hands back what was written since the last drain."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def parquet_bytes(
    *, chunks: Iterable[list[dict]], schema: pa.Schema, row_group_rows: int
) -> Iterator[bytes]:
    """Encode record chunks as one Parquet file, yielding its bytes row group by row group.

    Each chunk becomes an Arrow record batch at once (compact, Python dicts freed); a row group
    is written when enough rows are pending, so memory holds at most one row group.
    """
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    try:
        for chunk in chunks:
            if not chunk:  # a split or overlap filter can empty a whole chunk
                continue
            pending.append(pa.RecordBatch.from_pylist(chunk, schema=schema))
            pending_rows += len(chunk)
            if pending_rows >= row_group_rows:
                writer.write_table(pa.Table.from_batches(pending), row_group_size=pending_rows)
                pending, pending_rows = [], 0
                yield sink.drain()
        if pending:
            writer.write_table(pa.Table.from_batches(pending), row_group_size=pending_rows)
    finally:
        writer.close()
    yield sink.drain()
