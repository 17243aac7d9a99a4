"""`bench_generation --live-under-load`: a written prompt's wait while a pool generates.

One worker process, one batch. Phase one generates a pool of `pool_rows` rows alone; phase two
generates another pool of the same size while a written prompt arrives every `live_every_s`
seconds (until the pool is nine-tenths done, so every prompt meets a busy worker). For each
prompt the bench measures the time from its submission to its first streamed text on the
page (the first stored stream checkpoint of either response) and to both responses being
ready; for the pool, completed tokens per second in each phase. Both phases run in one process
against one worker, so their ratio is a comparison from one run.
"""

import math
import time
from collections.abc import Callable
from contextlib import nullcontext

from django.db import transaction
from django.utils import timezone

from apps.batches.services import variant_default_ensure
from apps.dialogues.services import dialogue_start
from apps.pairs.models import Pair, Sample
from apps.pairs.services import PairSpec, pairs_create
from apps.pools.models import PoolItem, PoolUpload

from .generation_openai import served_variant
from .generation_worker import worker_session
from .prompts import BENCH_PROMPTS

POLL_S = 0.05
LIVE_UNTIL_SHARE = 0.9  # no new written prompt once this share of the pool is done


def live_under_load_run(
    *,
    backend: str,
    pool_rows: int,
    max_new_tokens: int,
    live_every_s: float,
    max_concurrency: int,
    log: Callable[[str], object],
) -> dict:
    started = time.perf_counter()
    served = (
        served_variant(max_concurrency=max_concurrency, log=log)
        if backend == "openai"
        else nullcontext((variant_default_ensure(), None))
    )
    with served as (variant, _server_start_s):
        with worker_session(variant=variant, max_new_tokens=max_new_tokens, log=log) as session:
            batch, annotator, worker = session
            log(f"phase 1: a pool of {pool_rows} rows alone…")
            alone = _pool_run(batch=batch, rows=pool_rows, worker=worker)
            log(f"  {alone['tokens_per_s']:.1f} pool tokens/s")
            log(f"phase 2: the same pool with a written prompt every {live_every_s:g} s…")
            busy = _pool_run(
                batch=batch,
                rows=pool_rows,
                worker=worker,
                live=lambda: dialogue_start(
                    batch=batch, annotator=annotator, text=BENCH_PROMPTS[0]
                ),
                live_every_s=live_every_s,
            )
            log(f"  {busy['tokens_per_s']:.1f} pool tokens/s, {len(busy['first'])} prompts")
    return {
        "backend": backend,
        "pool_rows": pool_rows,
        "max_new_tokens": max_new_tokens,
        "max_concurrency": max_concurrency if backend == "openai" else None,
        "live_every_s": live_every_s,
        "live_prompts": len(busy["first"]),
        "live_first_token_p50_s": _percentile(busy["first"], 50),
        "live_first_token_p95_s": _percentile(busy["first"], 95),
        "live_ready_p95_s": _percentile(busy["ready"], 95),
        "pool_tokens_per_s_alone": round(alone["tokens_per_s"], 2),
        "pool_tokens_per_s_with_live": round(busy["tokens_per_s"], 2),
        "pool_throughput_ratio": round(busy["tokens_per_s"] / alone["tokens_per_s"], 3),
        "seconds": round(time.perf_counter() - started, 1),
        "at": timezone.now().isoformat(timespec="seconds"),
    }


def _pool_make(*, batch, rows: int) -> tuple[PoolUpload, list[Pair]]:
    """A pool of `rows` items with their pairs, as an import leaves it (no audit event: the
    bench removes what it made); the workers are woken once it is committed."""
    with transaction.atomic():
        upload = PoolUpload.objects.create(
            batch=batch, filename="bench.jsonl", file_format="jsonl", rows=rows
        )
        items = PoolItem.objects.bulk_create(
            PoolItem(
                batch=batch,
                upload=upload,
                line_number=i + 1,
                context=[{"role": "user", "content": BENCH_PROMPTS[i % len(BENCH_PROMPTS)]}],
            )
            for i in range(rows)
        )
        specs = [PairSpec(context=item.context, pool_item=item) for item in items]
        return upload, pairs_create(batch=batch, specs=specs)


def _pool_run(*, batch, rows: int, worker, live=None, live_every_s: float = 0.0) -> dict:
    started = time.perf_counter()
    upload, pairs = _pool_make(batch=batch, rows=rows)
    pool_ids = [p.pk for p in pairs]
    pool = Sample.objects.filter(pair__in=pool_ids)
    sent: dict[int, float] = {}  # live pair id -> when submitted
    first: dict[int, float] = {}
    ready: dict[int, float] = {}
    next_live = started + live_every_s
    while True:
        if worker.poll() is not None:
            raise RuntimeError("The benchmark worker exited early.")
        now = time.perf_counter()
        done = pool.filter(status__in=["done", "failed"]).count()
        if done == 2 * len(pool_ids) and len(ready) == len(sent):
            break
        if live and now >= next_live and done < LIVE_UNTIL_SHARE * 2 * len(pool_ids):
            sent[live().pk] = time.perf_counter()
            next_live = now + live_every_s
        _live_progress(sent=sent, first=first, ready=ready)
        time.sleep(POLL_S)
    seconds = time.perf_counter() - started
    failed = pool.filter(status="failed").count()
    if failed:
        raise RuntimeError(f"{failed} pool samples failed.")
    tokens = sum(pool.values_list("completion_tokens", flat=True))
    upload.delete()  # its items and their pairs go with it
    return {
        "tokens_per_s": tokens / seconds,
        "first": sorted(first[p] - sent[p] for p in sent),
        "ready": sorted(ready[p] - sent[p] for p in sent),
    }


def _live_progress(*, sent: dict, first: dict, ready: dict) -> None:
    """Record when each waiting prompt first shows text, and when both responses are ready."""
    waiting = [p for p in sent if p not in ready]
    if not waiting:
        return
    now = time.perf_counter()
    shown = Sample.objects.filter(pair_id__in=waiting).exclude(text="")
    for pair_id in set(shown.values_list("pair_id", flat=True)):
        first.setdefault(pair_id, now)
    for pair_id in Pair.objects.filter(pk__in=waiting, ready_at__isnull=False).values_list(
        "pk", flat=True
    ):
        first.setdefault(pair_id, now)
        ready[pair_id] = now


def _percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile (None without values)."""
    if not values:
        return None
    rank = max(1, math.ceil(q / 100 * len(values)))
    return round(sorted(values)[rank - 1], 2)
