"""The queue under real concurrency: threads with their own PostgreSQL connections."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from django.db import connection

from apps.assignments import services
from apps.assignments.models import Lease
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = pytest.mark.django_db(transaction=True)


def _annotate_until_empty(batch, user, barrier, submitted: list) -> None:
    try:
        barrier.wait()
        while True:
            lease = services.lease_claim(batch=batch, annotator=user)
            if lease is None:
                return
            outcome = services.lease_submit(
                lease_id=lease.pk,
                annotator=user,
                idempotency_key=f"{user.pk}-{lease.pk}",
                chosen_side="left",
                strength="slightly_better",
                time_spent_ms=10,
            )
            submitted.append((lease.pair_id, user.pk, outcome.comparison.pk))
    finally:
        connection.close()


def _run_annotators(batch, users) -> list:
    barrier = threading.Barrier(len(users))
    submitted: list = []
    with ThreadPoolExecutor(len(users)) as pool:
        futures = [pool.submit(_annotate_until_empty, batch, u, barrier, submitted) for u in users]
        for future in futures:
            future.result()
    return submitted


def _no_slot_leased_twice_at_once(batch) -> None:
    by_slot: dict[int, list[Lease]] = {}
    for lease in Lease.objects.filter(batch=batch).order_by("claimed_at"):
        by_slot.setdefault(lease.slot_id, []).append(lease)
    for leases in by_slot.values():
        for earlier, later in pairwise(leases):
            assert earlier.ended_at is not None and earlier.ended_at <= later.claimed_at


def test_overlap_one_gives_each_pair_exactly_one_judgment():
    batch = BatchFactory(overlap=1, max_open_leases=1)
    pairs = [pool_pair_ready(batch) for _ in range(40)]
    users = [UserFactory() for _ in range(8)]
    submitted = _run_annotators(batch, users)
    per_pair = Counter(Comparison.objects.filter(batch=batch).values_list("pair_id", flat=True))
    assert per_pair == Counter({p.pk: 1 for p in pairs})
    assert len(submitted) == 40
    _no_slot_leased_twice_at_once(batch)


def test_overlap_k_gives_each_pair_k_judgments_from_k_people():
    batch = BatchFactory(overlap=3, max_open_leases=2)
    pairs = [pool_pair_ready(batch) for _ in range(12)]
    users = [UserFactory() for _ in range(6)]
    _run_annotators(batch, users)
    for pair in pairs:
        judges = list(Comparison.objects.filter(pair=pair).values_list("annotator_id", flat=True))
        assert len(judges) == 3 and len(set(judges)) == 3
    _no_slot_leased_twice_at_once(batch)


def test_simultaneous_retries_of_one_submit_store_one_judgment(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    barrier = threading.Barrier(6)

    def submit():
        try:
            barrier.wait()
            return services.lease_submit(
                lease_id=lease.pk,
                annotator=annotator,
                idempotency_key="double-click",
                chosen_side="right",
                strength="better",
                time_spent_ms=900,
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        outcomes = [f.result() for f in [pool.submit(submit) for _ in range(6)]]
    assert len({o.comparison.pk for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert Comparison.objects.count() == 1
