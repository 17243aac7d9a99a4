from datetime import timedelta

import pytest
from django.utils import timezone

from apps.dialogues import services
from apps.pairs.models import Sample
from apps.pairs.sample_leases import (
    sample_complete,
    samples_claim,
    samples_live_waiting,
    samples_release,
    samples_stranded,
    samples_stream,
    samples_yield,
)
from apps.pools.services import pool_import
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs(batch, annotator):
    return [
        services.dialogue_start(batch=batch, annotator=annotator, text=f"q{i}") for i in range(3)
    ]


def test_it_claims_the_asked_pair_first_then_the_oldest_waiting(pairs):
    claimed = samples_claim(pair_id=pairs[2].pk, worker="w", limit=4)
    assert [s.pair_id for s in claimed].count(pairs[2].pk) == 2
    assert {s.pair_id for s in claimed} == {pairs[2].pk, pairs[0].pk}
    assert all(s.status == "running" and s.attempts == 1 for s in claimed)
    assert len({s.worker for s in claimed}) == 1


def test_two_claims_never_share_a_sample(pairs):
    first = samples_claim(pair_id=pairs[0].pk, worker="w1", limit=4)
    second = samples_claim(pair_id=pairs[0].pk, worker="w2", limit=4)
    assert len(first) == 4
    assert len(second) == 2
    assert not {s.pk for s in first} & {s.pk for s in second}


def test_a_stale_worker_cannot_store_over_a_newer_claim(pairs):
    old = samples_claim(pair_id=pairs[0].pk, worker="old", limit=1)[0]
    Sample.objects.filter(pk=old.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    new = samples_claim(pair_id=pairs[0].pk, worker="new", limit=1)[0]
    assert new.pk == old.pk

    kwargs = {
        "text": "late",
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "finish_reason": "stop",
        "context_truncated": False,
        "latency_ms": 1,
    }
    assert not sample_complete(sample=old, **kwargs)
    assert sample_complete(sample=new, **kwargs)


def test_streaming_stores_partial_text_and_renews_the_lease(pairs, settings):
    settings.GENERATION_LEASE_S = 600
    claimed = samples_claim(pair_id=pairs[0].pk, worker="w", limit=2)
    Sample.objects.filter(pk__in=[s.pk for s in claimed]).update(lease_expires_at=timezone.now())

    samples_stream(samples=claimed, texts=["Hel", "Wor"])

    rows = Sample.objects.filter(pk__in=[s.pk for s in claimed]).order_by("pk")
    assert [r.text for r in rows] == ["Hel", "Wor"]
    assert all(r.lease_expires_at > timezone.now() + timedelta(seconds=500) for r in rows)


def test_streaming_skips_samples_whose_lease_was_lost(pairs):
    claimed = samples_claim(pair_id=pairs[0].pk, worker="w", limit=1)
    Sample.objects.filter(pk=claimed[0].pk).update(worker="someone-else")
    samples_stream(samples=claimed, texts=["mine"])
    assert Sample.objects.get(pk=claimed[0].pk).text == ""


def test_a_released_sample_waits_again_with_its_reason(pairs):
    claimed = samples_claim(pair_id=pairs[0].pk, worker="w", limit=2)
    samples_release(samples=claimed, error="RuntimeError: CUDA out of memory")
    rows = list(Sample.objects.filter(pk__in=[s.pk for s in claimed]))
    assert {(r.status, r.error) for r in rows} == {("pending", "RuntimeError: CUDA out of memory")}


def test_stranded_work_is_old_pending_or_past_its_lease(pairs):
    assert samples_stranded(older_than_s=30) == []
    Sample.objects.filter(pair=pairs[0]).update(created_at=timezone.now() - timedelta(minutes=5))
    Sample.objects.filter(pair=pairs[1]).update(
        status="running", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert samples_stranded(older_than_s=30) == sorted([pairs[0].pk, pairs[1].pk])


def test_stranded_work_is_bounded_live_first_then_oldest(pairs):
    old = timezone.now() - timedelta(minutes=5)
    Sample.objects.filter(pair__in=pairs).update(created_at=old, priority=Sample.Priority.BULK)
    Sample.objects.filter(pair=pairs[0]).update(created_at=old + timedelta(seconds=2))
    Sample.objects.filter(pair=pairs[2]).update(priority=Sample.Priority.LIVE)
    assert samples_stranded(older_than_s=30, limit=2) == sorted([pairs[1].pk, pairs[2].pk])
    assert len(samples_stranded(older_than_s=30, limit=100)) == len(pairs)


def _pool_pairs(batch, count: int) -> list[int]:
    """Pending pool pairs (their generation tasks are never sent: nothing commits here)."""
    data = "".join(f'{{"prompt": "pool {i}"}}\n' for i in range(count)).encode()
    pool_import(batch=batch, uploaded_by=UserFactory(is_staff=True), filename="p.jsonl", data=data)
    return list(Sample.objects.filter(pair__pool_item__isnull=False).values_list("pk", flat=True))


def test_a_claim_takes_written_prompts_first_and_never_mixes_them_with_pool_work(batch, annotator):
    pool = _pool_pairs(batch, 3)  # older than the written prompt
    live = services.dialogue_start(batch=batch, annotator=annotator, text="live")
    pool_pair_id = Sample.objects.get(pk=pool[0]).pair_id

    claimed = samples_claim(pair_id=pool_pair_id, worker="w", limit=8)

    assert {s.pair_id for s in claimed} == {live.pk}
    assert len(claimed) == 2


def test_with_no_written_prompt_waiting_a_claim_takes_pool_work_its_own_pair_first(batch):
    pool = _pool_pairs(batch, 3)
    own = Sample.objects.get(pk=pool[-1]).pair_id

    claimed = samples_claim(pair_id=own, worker="w", limit=4)

    assert [s.pair_id for s in claimed].count(own) == 2
    assert len(claimed) == 4


def test_a_claim_asked_for_one_kind_takes_only_that_kind(batch, annotator):
    _pool_pairs(batch, 1)
    live = services.dialogue_start(batch=batch, annotator=annotator, text="live")

    pool_only = samples_claim(pair_id=None, worker="w", limit=8, live=False)
    live_only = samples_claim(pair_id=None, worker="w", limit=8, live=True)

    assert all(s.pair.pool_item_id for s in pool_only) and len(pool_only) == 2
    assert {s.pair_id for s in live_only} == {live.pk}


def test_live_work_waiting_means_a_written_prompt_nobody_has_claimed(batch, annotator):
    _pool_pairs(batch, 2)
    assert not samples_live_waiting()
    live = services.dialogue_start(batch=batch, annotator=annotator, text="live")
    assert samples_live_waiting()
    samples_claim(pair_id=live.pk, worker="w", limit=2)
    assert not samples_live_waiting()


def test_a_yielded_sample_waits_again_without_an_attempt_counted(batch):
    _pool_pairs(batch, 1)
    claimed = samples_claim(pair_id=None, worker="w", limit=2)
    samples_stream(samples=claimed, texts=["half a", "half b"])

    assert samples_yield(samples=claimed) == 2

    rows = list(Sample.objects.filter(pk__in=[s.pk for s in claimed]))
    assert {(r.status, r.attempts, r.text, r.error) for r in rows} == {("pending", 0, "", "")}
    assert samples_claim(pair_id=None, worker="again", limit=2)[0].attempts == 1


def test_a_batch_gathered_over_several_claims_streams_and_yields_every_sample(pairs):
    batch = samples_claim(pair_id=pairs[0].pk, worker="w", limit=2)
    batch += samples_claim(pair_id=pairs[1].pk, worker="w", limit=2)  # a later claim, as
    assert len({s.worker for s in batch}) == 2  # the worker gathers more while requests come

    samples_stream(samples=batch, texts=["a", "b", "c", "d"])
    assert sorted(Sample.objects.exclude(text="").values_list("text", flat=True)) == list("abcd")

    assert samples_yield(samples=batch) == 4
    again = samples_claim(pair_id=pairs[0].pk, worker="w", limit=2)
    again += samples_claim(pair_id=pairs[1].pk, worker="w", limit=2)
    assert samples_release(samples=again, error="CUDA out of memory") == 4
