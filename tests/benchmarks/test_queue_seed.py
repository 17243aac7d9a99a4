import pytest
from django.contrib.auth import get_user_model

from apps.accounts.models import ApiToken
from apps.batches.models import Batch
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pools.models import PoolItem
from benchmarks.queue_seed import bench_clean, bench_seed

pytestmark = pytest.mark.django_db


def test_it_seeds_ready_pool_pairs_with_free_slots_and_the_clean_removes_them():
    data = bench_seed(pairs=5, annotators=2, overlap=2)

    batch = Batch.objects.get(pk=data.batch_id)
    assert batch.status == Batch.Status.OPEN
    pairs = Pair.objects.filter(batch=batch).order_by("pk")
    assert pairs.count() == 5
    assert all(p.ready_at is not None and p.pool_item_id is not None for p in pairs)
    assert [p.left_slot for p in pairs] == ["a", "b", "a", "b", "a"]
    samples = Sample.objects.filter(pair__batch=batch)
    assert samples.count() == 10
    assert not samples.exclude(status=Sample.Status.DONE).exists()
    assert not samples.filter(text="").exists()
    assert JudgmentSlot.objects.filter(batch=batch).count() == 10
    assert ApiToken.objects.filter(user_id__in=data.user_ids, read_only=False).count() == 2

    bench_clean(data=data)

    assert not Batch.objects.filter(pk=data.batch_id).exists()
    assert not Pair.objects.exists() and not Sample.objects.exists()
    assert not JudgmentSlot.objects.exists() and not PoolItem.objects.exists()
    assert not get_user_model().objects.filter(pk__in=data.user_ids).exists()
