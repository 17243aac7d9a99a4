"""Live work beside a pool batch on a model server: a real worker, a real `transformers serve`.

A pool batch on an in-process model steps aside for a written prompt (test_live_priority); on
a server it goes on, and the prompt streams beside it on the live reserve.
"""

import json
import time

import pytest

from apps.catalog.models import ModelVariant
from apps.dialogues import services
from apps.pairs.models import Pair, Sample
from apps.pools.services import pool_import
from model_worker.backends.openai_backend import concurrency_limits, live_reserve
from tests import served_model
from tests.factories import BatchFactory, UserFactory
from tests.worker_process import wait_until

pytestmark = [pytest.mark.model, pytest.mark.worker]

openai_server = served_model.openai_server  # once per session

POOL_ROWS = 3
POOL_TOKENS = 128
PROMPT_TOKENS = 6


def _served_batch(server, *, max_new_tokens: int, max_concurrency: int = 8):
    variant, _ = ModelVariant.objects.get_or_create(
        name="served-live-lane",
        defaults={
            "backend": ModelVariant.Backend.OPENAI,
            "source_kind": ModelVariant.SourceKind.SERVED_MODEL,
            "source": server.model,
            "base_url": server.base_url,
            "max_concurrency": max_concurrency,
        },
    )
    return BatchFactory(
        sampling_a__variant=variant,
        sampling_b__variant=variant,
        sampling_a__max_new_tokens=max_new_tokens,
        sampling_b__max_new_tokens=max_new_tokens,
    )


def test_a_written_prompt_streams_beside_a_served_pool_batch_that_goes_on(
    start_worker, openai_server
):
    worker = start_worker("live-lane")
    pool_batch = _served_batch(openai_server, max_new_tokens=POOL_TOKENS)
    rows = [{"prompt": f"Write a long story about the river {i}."} for i in range(POOL_ROWS)]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    boss = UserFactory(username="boss", is_staff=True)
    pool_import(batch=pool_batch, uploaded_by=boss, filename="pool.jsonl", data=data)
    pool = Sample.objects.filter(pair__batch=pool_batch)
    wait_until(
        lambda: pool.filter(status="running").exclude(text="").count() == 2 * POOL_ROWS,
        timeout_s=120,
        worker=worker,
        what="the whole pool to be mid-stream",
    )

    prompt_batch = _served_batch(openai_server, max_new_tokens=PROMPT_TOKENS)
    writer = UserFactory(username="writer")
    pair = services.dialogue_start(batch=prompt_batch, annotator=writer, text="Hi there!")
    seen = dict(pool.values_list("pk", "text"))
    deadline = time.monotonic() + 120
    while not Pair.objects.filter(pk=pair.pk, ready_at__isnull=False).exists():
        assert time.monotonic() < deadline, worker.log_tail()
        # The pool batch never starts over: each response only grows while the prompt runs.
        for pk, text in pool.values_list("pk", "text"):
            assert text.startswith(seen[pk]), "a pool response was restarted"
            seen[pk] = text
        time.sleep(0.05)

    wait_until(
        lambda: not Sample.objects.exclude(status="done").exists(),
        timeout_s=600,
        worker=worker,
        what="the pool to finish",
    )
    pair.refresh_from_db()
    pool_ready = Pair.objects.filter(batch=pool_batch).values_list("ready_at", flat=True)
    assert pair.ready_at < min(pool_ready), "the prompt waited for the pool"
    assert set(Sample.objects.values_list("status", "attempts")) == {("done", 1)}


def test_live_work_has_a_reserve_on_top_of_the_variants_limit():
    assert [live_reserve(n) for n in (1, 2, 8, 16, 32)] == [0, 1, 1, 2, 4]
    bulk, live = concurrency_limits(base_url="http://reserve.test/v1", model="m", limit=16)
    taken = [bulk.acquire(blocking=False) for _ in range(17)]
    assert taken == [True] * 16 + [False]  # the pool keeps its whole limit
    assert [live.acquire(blocking=False) for _ in range(3)] == [True, True, False]
    single_bulk, single_live = concurrency_limits(base_url="http://one.test/v1", model="m", limit=1)
    assert single_bulk is single_live  # no reserve at a limit of 1: the pool batch steps aside
