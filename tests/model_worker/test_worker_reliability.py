"""Reliability with a real worker process, the real Redis and the real model.

These tests kill and starve real workers: the database must be enough to finish every request
exactly once, whatever the broker or the worker process loses.
"""

import os
import signal
import time

import psutil
import pytest
import redis
from django.conf import settings

from apps.dialogues import services
from apps.pairs.models import Pair, Sample
from tests.factories import BatchFactory
from tests.worker_process import wait_until

pytestmark = [pytest.mark.model, pytest.mark.worker]


def _pairs(count: int, max_new_tokens: int) -> list[Pair]:
    batch = BatchFactory(
        sampling_a__max_new_tokens=max_new_tokens, sampling_b__max_new_tokens=max_new_tokens
    )
    from tests.factories import UserFactory

    annotator = UserFactory(username="reliability")
    return [
        services.dialogue_start(
            batch=batch, annotator=annotator, text=f"Write a long story about river {i}."
        )
        for i in range(count)
    ]


def _all_done(pairs: list[Pair]) -> bool:
    statuses = set(Sample.objects.filter(pair__in=pairs).values_list("status", flat=True))
    return statuses == {"done"}


def _assert_each_pair_completed_once(pairs: list[Pair]) -> None:
    for pair in pairs:
        samples = list(Sample.objects.filter(pair=pair))
        assert sorted(s.slot for s in samples) == ["a", "b"]
        assert all(s.status == "done" and s.completion_tokens > 0 for s in samples)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(start_worker):
    worker = start_worker("killed")
    pairs = _pairs(3, max_new_tokens=48)

    wait_until(
        lambda: Sample.objects.filter(status="running").exclude(text="").exists(),
        timeout_s=120,
        worker=worker,
        what="a batch to be mid-generation",
    )
    pool = psutil.Process(worker.process.pid).children()
    assert pool, "the prefork worker has no pool process"
    for child in pool:
        os.kill(child.pid, signal.SIGKILL)

    wait_until(
        lambda: _all_done(pairs),
        timeout_s=180,
        worker=worker,
        what="every sample to be done after the kill",
    )
    _assert_each_pair_completed_once(pairs)
    assert Sample.objects.filter(pair__in=pairs, attempts__gte=2).exists()


def test_work_forgotten_by_the_broker_completes_within_two_minutes(start_worker):
    pairs = _pairs(2, max_new_tokens=8)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert broker.llen("generation") == 2
    broker.flushdb()  # the broker loses everything; FLUSHALL on a dedicated Redis
    assert broker.llen("generation") == 0

    worker = start_worker("after-flush")
    started = time.monotonic()
    wait_until(
        lambda: _all_done(pairs),
        timeout_s=120,
        worker=worker,
        what="the reconciler to bring back the forgotten work",
    )
    assert time.monotonic() - started < 120
    _assert_each_pair_completed_once(pairs)
