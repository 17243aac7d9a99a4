"""Dashboard rows created directly (the queue's services are not needed to count them)."""

import itertools
from datetime import timedelta

from django.utils import timezone

from apps.assignments.models import Lease
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pairs.services import PairSpec, pair_create
from apps.pools.models import PoolItem, PoolUpload
from apps.preferences.models import Comparison, Strength
from tests.factories import DialogueFactory, pair_ready, samples_finish

_lines = itertools.count(1)


def comparison_make(
    *,
    batch,
    annotator,
    strength: str = Strength.BETTER,
    time_spent_ms: int = 10_000,
    chosen_is_safe: bool | None = None,
    rejected_is_safe: bool | None = None,
    days_ago: int = 0,
) -> Comparison:
    """One judged comparison on a fresh dialogue pair of the batch."""
    pair = pair_ready(dialogue=DialogueFactory(batch=batch, annotator=annotator))
    a, b = pair.samples.order_by("slot")
    if batch.is_safety and chosen_is_safe is None:
        chosen_is_safe, rejected_is_safe = True, True
    comparison = Comparison.objects.create(
        pair=pair,
        batch=batch,
        track=batch.track,
        annotator=annotator,
        turn_index=pair.turn_index,
        context=pair.context,
        chosen=a,
        rejected=b,
        left=a,
        strength=strength,
        chosen_is_safe=chosen_is_safe,
        rejected_is_safe=rejected_is_safe,
        time_spent_ms=time_spent_ms,
    )
    if days_ago:
        Comparison.objects.filter(pk=comparison.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return comparison


def pool_pair_make(*, batch, ready: bool = True, failed: bool = False) -> Pair:
    """A pool pair; `ready` has both samples done, `failed` has one failed sample."""
    upload = PoolUpload.objects.create(batch=batch, filename="p.jsonl", file_format="jsonl", rows=1)
    item = PoolItem.objects.create(
        batch=batch,
        upload=upload,
        line_number=next(_lines),
        context=[{"role": "user", "content": "Hi"}],
    )
    spec = PairSpec(context=item.context, pool_item=item, left_slot="a")
    pair = pair_create(batch=batch, spec=spec, enqueue=False)
    if ready:
        return samples_finish(pair, texts=("x", "x"))
    if failed:
        Sample.objects.filter(pair=pair, slot="a").update(
            status="done", text="x", completion_tokens=3
        )
        Sample.objects.filter(pair=pair, slot="b").update(status="failed", error="boom")
    return pair


def slot_make(*, pair, index: int, status: str = "free", annotator=None) -> JudgmentSlot:
    return JudgmentSlot.objects.create(
        batch=pair.batch,
        pair=pair,
        index=index,
        status=status,
        annotator=annotator,
        lease_expires_at=timezone.now() + timedelta(minutes=30) if status == "leased" else None,
    )


def lease_make(*, slot, annotator, status: str, **fields) -> Lease:
    return Lease.objects.create(
        slot=slot,
        pair=slot.pair,
        batch=slot.batch,
        annotator=annotator,
        left_slot="a",
        status=status,
        expires_at=timezone.now() + timedelta(minutes=30),
        ended_at=None if status == "open" else timezone.now(),
        **fields,
    )
