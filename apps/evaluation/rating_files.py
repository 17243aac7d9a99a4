"""A study's raw ratings as files: JSON Lines and Parquet, one row per rating."""

import io
import json
from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

RATING_SCHEMA = pa.schema(
    [
        ("rating_id", pa.int64()),
        ("study_id", pa.int64()),
        ("kind", pa.string()),
        ("item_id", pa.int64()),
        ("prompt_id", pa.int64()),
        ("category", pa.string()),
        ("multi_turn", pa.bool_()),
        ("variant_a", pa.int64()),
        ("variant_b", pa.int64()),
        ("score", pa.int8()),
        ("left_variant", pa.int64()),
        ("rater_id", pa.int64()),
        ("seconds", pa.float64()),
        ("length_a", pa.int64()),
        ("length_b", pa.int64()),
        ("created_at", pa.string()),
    ]
)


def ratings_jsonl(rows: Iterable[dict]) -> Iterator[bytes]:
    for row in rows:
        yield (json.dumps(row, ensure_ascii=False) + "\n").encode()


def ratings_parquet(rows: Iterable[dict]) -> bytes:
    table = pa.Table.from_pylist(list(rows), schema=RATING_SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()
