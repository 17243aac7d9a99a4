"""The queue under real concurrency: threads with their own PostgreSQL connections.

SQLite's in-memory test database shares one cache between connections, which fails threads
with "database table is locked"; tests/core/test_sqlite_server.py covers SQLite on a real file.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.assignments import services
from apps.assignments.models import Lease
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL here"),
]


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


def _at_once(count: int, action) -> list:
    """Run `action` in `count` threads released together, each on its own connection."""
    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            return action()
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return [f.result() for f in [pool.submit(run) for _ in range(count)]]


def _open_leases(annotator) -> int:
    return Lease.objects.filter(annotator=annotator, status=Lease.Status.OPEN).count()


def test_ten_claims_at_once_never_pass_the_open_lease_limit(annotator):
    batch = BatchFactory(max_open_leases=3)
    for _ in range(12):
        pool_pair_ready(batch)

    def claim():
        try:
            return services.lease_claim(batch=batch, annotator=annotator).pk
        except services.LeaseLimitReached:
            return "limit"

    results = _at_once(10, claim)
    assert results.count("limit") == 7
    assert _open_leases(annotator) == 3


def test_ten_api_claims_at_once_from_one_token_leave_exactly_the_limit_open(annotator):
    batch = BatchFactory(max_open_leases=3)
    for _ in range(12):
        pool_pair_ready(batch)
    _, key = api_token_create(user=annotator, name="hammer", read_only=False)

    def claim():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.post(f"/api/queue/batches/{batch.pk}/claim/").status_code

    assert Counter(_at_once(10, claim)) == {201: 3, 409: 7}
    assert _open_leases(annotator) == 3


def test_ten_next_presses_at_once_hand_out_one_pair(annotator):
    batch = BatchFactory(max_open_leases=3)
    for _ in range(12):
        pool_pair_ready(batch)
    clients = []
    for _ in range(10):
        client = Client()
        client.force_login(annotator)
        clients.append(client)
    pressed = iter(clients)

    def press_next():
        return next(pressed).post(reverse("queue:next", args=[batch.pk]))["Location"]

    locations = _at_once(10, press_next)
    lease = Lease.objects.get(annotator=annotator, status=Lease.Status.OPEN)
    assert set(locations) == {reverse("queue:lease", args=[lease.pk])}
