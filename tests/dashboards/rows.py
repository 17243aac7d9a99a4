"""Dashboard rows created directly (the queue's services are not needed to count them)."""

import itertools
from datetime import timedelta

from django.utils import timezone

from apps.assignments.models import Lease
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pools.models import PoolItem, PoolUpload
from apps.preferences.models import Comparison, Strength
from tests.factories import DialogueFactory, pair_ready

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
    pair = Pair.objects.create(
        batch=batch,
        pool_item=item,
        context=item.context,
        left_slot="a",
        ready_at=timezone.now() if ready else None,
    )
    for slot, config in (("a", batch.sampling_a), ("b", batch.sampling_b)):
        done = ready or (failed and slot == "a")
        status = "done" if done else ("failed" if failed else "pending")
        Sample.objects.create(
            pair=pair,
            slot=slot,
            variant=config.variant,
            temperature=config.temperature_min,
            top_p=config.top_p,
            max_new_tokens=config.max_new_tokens,
            seed=1,
            status=status,
            text="x" if done else "",
            completion_tokens=3 if done else None,
            error="boom" if status == "failed" else "",
        )
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
