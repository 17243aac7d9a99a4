"""Benchmark a pool import job at lab scale: `bench_pool_import --rows 1000000`.

Writes a JSONL file of N rows (each with supplied responses, so nothing is sent to the
workers), and runs the import job's service (apps.pools.services.pool_upload_run) in this
process, as the worker would: the streaming check, then the import in one transaction. Then
a second file of N rows with one bad line near its end, timed until its report is stored.
Everything it creates carries a unique label and is deleted at the end. PostgreSQL only.
"""

import json
import resource
import tempfile
import time
import uuid
from pathlib import Path

from django.db import connection, transaction

from apps.audit.models import AuditEvent
from apps.batches.models import Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant
from apps.pools.models import PoolUpload
from apps.pools.upload_jobs import pool_upload_run

BAD_LINE_FROM_END = 10


def pool_import_bench(*, rows: int, overlap: int = 1) -> dict:
    label = f"bench-pool-{uuid.uuid4().hex[:8]}"
    batch, configs = _batch_make(label=label, overlap=overlap)
    try:
        with tempfile.TemporaryDirectory(prefix=label) as folder:
            good = _file_write(Path(folder) / "good.jsonl", rows=rows, bad_line=None)
            bad = _file_write(
                Path(folder) / "bad.jsonl", rows=rows, bad_line=max(1, rows - BAD_LINE_FROM_END)
            )
            file_mb = good.stat().st_size / 1024 / 1024
            import_s, upload = _job_run(batch=batch, path=good, label=label)
            if upload.state != PoolUpload.State.DONE:
                raise RuntimeError(f"the import ended {upload.state}: {upload.message}")
            peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            report_s, refused = _job_run(batch=batch, path=bad, label=label)
            if refused.state != PoolUpload.State.FAILED or refused.bad_line_count != 1:
                raise RuntimeError(f"the bad file ended {refused.state}: {refused.message}")
        return {
            "rows": rows,
            "overlap": overlap,
            "import_s": round(import_s, 2),
            "rows_per_s": round(rows / import_s, 1),
            "peak_rss_mb": round(peak_rss_mb, 1),
            "bad_line_report_s": round(report_s, 2),
            "bad_line": refused.bad_lines[0]["line"],
            "file_mb": round(file_mb, 1),
        }
    finally:
        _clean(batch_id=batch.pk, config_ids=[c.pk for c in configs])


def _batch_make(*, label: str, overlap: int) -> tuple[Batch, list[SamplingConfig]]:
    # Not batch_create/batch_open: their audit events PROTECT their actor; this leaves none.
    with transaction.atomic():
        variants = [
            ModelVariant.objects.get_or_create(
                name=f"bench-pool-{name}",
                defaults={"source_kind": "hub_id", "source": f"bench/{name}"},
            )[0]
            for name in ("model-a", "model-b")
        ]
        configs = [
            SamplingConfig.objects.create(variant=v, temperature_min=0.7, temperature_max=0.7)
            for v in variants
        ]
        batch = Batch.objects.create(
            name=label,
            track=Track.HELPFULNESS,
            sampling_a=configs[0],
            sampling_b=configs[1],
            status=Batch.Status.OPEN,
            overlap=overlap,
            allow_written_prompts=False,
        )
    return batch, configs


def _file_write(path: Path, *, rows: int, bad_line: int | None) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(1, rows + 1):
            if i == bad_line:
                out.write('{"prompt": ""}\n')
                continue
            row = {
                "prompt": f"Bench prompt {i}: explain the idea of x{i} in two sentences.",
                "category": "bench",
                "response_a": f"Answer A to prompt {i}.",
                "response_b": f"Answer B to prompt {i}, a little longer.",
                "metadata": {"id": i},
            }
            out.write(json.dumps(row) + "\n")
    return path


def _job_run(*, batch: Batch, path: Path, label: str) -> tuple[float, PoolUpload]:
    upload = PoolUpload.objects.create(
        batch=batch,
        filename=f"{label}.jsonl",
        file_format=PoolUpload.Format.JSONL,
        size_bytes=path.stat().st_size,
        stored_path=str(path),
        state=PoolUpload.State.QUEUED,
    )
    started = time.perf_counter()
    pool_upload_run(upload_id=upload.pk)
    elapsed = time.perf_counter() - started
    upload.refresh_from_db()
    return elapsed, upload


def _clean(*, batch_id: int, config_ids: list[int]) -> None:
    """Delete the bench's rows with set-based DELETEs (the ORM would load a million rows)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM preferences_goldanswer USING pairs_pair WHERE "
            "preferences_goldanswer.pair_id = pairs_pair.id AND pairs_pair.batch_id = %s",
            [batch_id],
        )
        cursor.execute("DELETE FROM pairs_judgmentslot WHERE batch_id = %s", [batch_id])
        cursor.execute(
            "DELETE FROM pairs_sample USING pairs_pair "
            "WHERE pairs_sample.pair_id = pairs_pair.id AND pairs_pair.batch_id = %s",
            [batch_id],
        )
        cursor.execute("DELETE FROM pairs_pair WHERE batch_id = %s", [batch_id])
        cursor.execute("DELETE FROM pools_poolitem WHERE batch_id = %s", [batch_id])
        AuditEvent.objects.filter(
            action=AuditEvent.Action.POOL_UPLOADED, target=f"batch:{batch_id}"
        ).delete()
        PoolUpload.objects.filter(batch_id=batch_id).delete()
        Batch.objects.filter(pk=batch_id).delete()
        SamplingConfig.objects.filter(pk__in=config_ids).delete()
