"""`bench_export`: fill N comparisons, export them through the real path, compare with the driver.

The exports run in a child process (`bench_export --measure-batches`), so `peak_rss_mb` is the
export's own peak and not the bulk insert's. `raw_driver_rows_per_s` is the ceiling: the same
rows read with psycopg (a server-side cursor, fetchmany) and written with orjson, nothing else.
"""

import json
import resource
import subprocess
import sys
import time

import orjson
from django.conf import settings
from django.db import connection

from apps.batches.models import Batch
from apps.exports.options import ExportOptions
from apps.exports.streams import export_bytes
from apps.preferences.models import Comparison

from .export_fill import bench_clean, bench_fill

RAW_SQL = """
SELECT c.id, p.dialogue_id, c.batch_id, c.track, c.annotator_id, c.turn_index, c.context,
       cs.text, rs.text, cs.variant_id, rs.variant_id, c.strength, c.chosen_is_safe,
       c.rejected_is_safe, c.created_at, p.pool_item_id, pi.category
FROM preferences_comparison c
JOIN pairs_pair p ON p.id = c.pair_id
JOIN pairs_sample cs ON cs.id = c.chosen_id
JOIN pairs_sample rs ON rs.id = c.rejected_id
LEFT JOIN pools_poolitem pi ON pi.id = p.pool_item_id
WHERE c.batch_id = ANY(%s) ORDER BY c.id
"""
NAMES = (
    "id",
    "dialogue_id",
    "batch_id",
    "track",
    "annotator_id",
    "turn_index",
    "prompt",
    "chosen",
    "rejected",
    "chosen_variant",
    "rejected_variant",
    "strength",
    "chosen_is_safe",
    "rejected_is_safe",
    "created_at",
    "pool_item_id",
    "category",
)


def _rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so
    a child would report the parent's peak from the bulk insert."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_reset() -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _timed(chunks) -> tuple[float, int]:
    """Consume a byte stream as a client would; return (seconds, bytes)."""
    started, size = time.perf_counter(), 0
    for data in chunks:
        size += len(data)
    return time.perf_counter() - started, size


def _raw_driver(batch_ids: list[int]):
    import psycopg

    db = settings.DATABASES["default"]
    with (
        psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
        ) as conn,
        conn.cursor(name="bench_raw") as cursor,
    ):
        # The same fetch size as the export's chunks, so memory compares like for like.
        cursor.itersize = settings.EXPORT_CHUNK_ROWS
        cursor.execute(RAW_SQL, [batch_ids])
        while rows := cursor.fetchmany(settings.EXPORT_CHUNK_ROWS):
            yield b"".join(
                orjson.dumps(dict(zip(NAMES, row, strict=True)), option=orjson.OPT_APPEND_NEWLINE)
                for row in rows
            )


def export_measure(*, batch_ids: list[int]) -> dict:
    """Export the batches as `trl` JSONL and Parquet, then read them with the bare driver."""
    visible = Batch.objects.filter(pk__in=batch_ids)
    rows = Comparison.objects.filter(batch_id__in=batch_ids).count()
    baseline = _rss_mb()
    result = {"rss_before_export_mb": round(baseline, 1)}
    for name, options in (
        ("jsonl", ExportOptions(format="trl", file_type="jsonl", margin="small")),
        ("parquet", ExportOptions(format="trl", file_type="parquet", margin="small")),
    ):
        _peak_reset()
        seconds, size = _timed(export_bytes(options=options, visible=visible))
        result[f"{name}_rows_per_s"] = round(rows / seconds)
        result[f"{name}_s"] = round(seconds, 2)
        result[f"{name}_mb"] = round(size / 2**20, 1)
        result[f"{name}_peak_rss_mb"] = round(_rss_mb(), 1)
    # The export's peak: the larger of its two runs (each measured from a fresh window).
    result["peak_rss_mb"] = max(result["jsonl_peak_rss_mb"], result["parquet_peak_rss_mb"])
    _peak_reset()
    seconds, size = _timed(_raw_driver(batch_ids))
    result["raw_driver_rows_per_s"] = round(rows / seconds)
    result["raw_driver_s"] = round(seconds, 2)
    result["raw_driver_mb"] = round(size / 2**20, 1)
    result["raw_driver_peak_rss_mb"] = round(_rss_mb(), 1)
    return result


def export_bench_run(*, rows: int, response_chars: int, keep: bool = False) -> dict:
    """Fill, measure in a child process, delete the rows (unless `keep`); return the figures."""
    started = time.perf_counter()
    data = bench_fill(rows=rows, response_chars=response_chars)
    fill_s = time.perf_counter() - started
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        child = subprocess.run(
            [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "bench_export",
                "--measure-batches",
                ",".join(map(str, data.batch_ids)),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        if not keep:
            bench_clean(data=data)
    result = {
        "rows": data.rows,
        **result,
        "fill_s": round(fill_s, 1),
        "fill_rows_per_s": round(data.rows / fill_s),
        "response_chars": response_chars,
        "database": connection.vendor,
    }
    result["jsonl_vs_raw"] = round(result["jsonl_rows_per_s"] / result["raw_driver_rows_per_s"], 3)
    return result
