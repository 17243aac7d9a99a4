"""The worker half of `bench_generation`: every request at once through the real path.

An open batch of the variant, a Celery worker on the generation queue (started here, on the
configured database and broker), the dialogue service to submit, and the rows removed after.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.services import user_ensure
from apps.batches.models import Batch, SamplingConfig
from apps.dialogues.models import Dialogue
from apps.dialogues.services import dialogue_start
from apps.fleet.models import WorkerHeartbeat
from apps.pairs.models import Pair, Sample


def worker_run(*, variant, prompts, max_new_tokens, log) -> dict:
    """Submit every request at once through the real path: pages' service, Celery, worker."""
    with worker_session(variant=variant, max_new_tokens=max_new_tokens, log=log) as session:
        batch, annotator, worker = session
        return _measure(batch=batch, annotator=annotator, prompts=prompts, worker=worker)


@contextmanager
def worker_session(*, variant, max_new_tokens, log) -> Iterator[tuple]:
    """An open batch of the variant and a ready worker; yields (batch, annotator, worker) and
    removes the worker and the rows after."""
    # The open batch exists before the worker starts, so the worker preloads its model.
    batch, annotator = _bench_batch(variant=variant, max_new_tokens=max_new_tokens)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            since = timezone.now()
            worker = _start_worker(Path(tmp))
            try:
                _wait_for_model(variant_name=variant.name, worker=worker, since=since)
                log("  worker ready, submitting")
                yield batch, annotator, worker
            finally:
                worker.terminate()
                worker.wait(timeout=60)
    finally:
        _cleanup(batch=batch, annotator=annotator)


def _measure(*, batch, annotator, prompts, worker) -> dict:
    started = time.perf_counter()
    pairs = _submit(batch=batch, annotator=annotator, prompts=prompts)
    samples = Sample.objects.filter(pair__in=pairs)
    while samples.exclude(status__in=["done", "failed"]).exists():
        if worker.poll() is not None:
            raise RuntimeError("The benchmark worker exited early.")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    done = list(samples.filter(status="done"))
    if len(done) != len(prompts):
        raise RuntimeError(f"{len(prompts) - len(done)} requests failed.")
    tokens = sum(s.completion_tokens for s in done)
    return {
        "tokens": tokens,
        "seconds": seconds,
        "tokens_per_s": tokens / seconds,
        "batches": len({s.worker for s in done}),
    }


def _start_worker(tmp: Path) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": settings.CELERY_BROKER_URL, "WORKER_PRELOAD_MODELS": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "annotation_site",
            "worker",
            "-Q",
            "generation",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "-n",
            f"bench-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=(tmp / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_for_model(*, variant_name: str, worker, since, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("The benchmark worker exited before it was ready.")
        if WorkerHeartbeat.objects.filter(
            last_seen__gte=since, variants__contains=[variant_name], stopped_at=None
        ).exists():
            return
        time.sleep(0.5)
    raise RuntimeError("The benchmark worker did not load the model in time.")


def _bench_batch(*, variant, max_new_tokens):
    configs = [
        SamplingConfig.objects.create(
            variant=variant,
            temperature_min=t,
            temperature_max=t,
            top_p=0.95,
            max_new_tokens=max_new_tokens,
        )
        for t in (0.4, 1.0)
    ]
    # Not batch_create/batch_open: they record audit events, which are append-only and PROTECT
    # their actor, and the bench removes what it made.
    batch = Batch.objects.create(
        name=f"bench-generation-{os.getpid()}-{time.time_ns()}",
        track="helpfulness",
        sampling_a=configs[0],
        sampling_b=configs[1],
        status=Batch.Status.OPEN,
    )
    # A password nobody knows: the bench submits through the service, not a login.
    annotator, _ = user_ensure(username="bench-generation", password=None)
    return batch, annotator


def _submit(*, batch, annotator, prompts):
    # Two requests per pair, as in real use: one per sampling configuration. One transaction,
    # so every request becomes visible (and its task is sent) at the same instant.
    with transaction.atomic():
        return [dialogue_start(batch=batch, annotator=annotator, text=p) for p in prompts[::2]]


def _cleanup(*, batch, annotator) -> None:
    configs = [batch.sampling_a, batch.sampling_b]
    Dialogue.objects.filter(batch=batch).delete()
    Pair.objects.filter(batch=batch).delete()  # pool pairs (the live bench's)
    batch.delete()
    for config in configs:
        config.delete()
    annotator.delete()
