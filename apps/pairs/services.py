"""Writes for pairs: the one way a pair is made, and waking the workers for it.

Every entry point (a written prompt, a dialogue turn, a pool upload) and every benchmark and
test factory makes its pairs here, so a pair always has its two pending samples drawn from the
batch's two sampling configurations and, for a pool pair, its `judgments` free slots. The
workers are woken by task name once the transaction commits: web code never imports them.
"""

import logging
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.batches.models import Batch, SamplingConfig

from .models import JudgmentSlot, Pair, Sample

logger = logging.getLogger(__name__)

GENERATE_TASK = "model_worker.tasks.pair_generate_task"
BULK_SIZE = 2000


@dataclass(frozen=True)
class PairSpec:
    """What one new pair answers: its context, and where it comes from (one of the two)."""

    context: list[dict[str, str]]
    dialogue: object | None = None
    user_turn: object | None = None
    pool_item: object | None = None
    left_slot: str | None = None  # which sample the dialogue page shows left; random if None
    # Texts of samples a and b supplied with a pool file: the pair is ready, nothing generated.
    responses: tuple[str, str] | None = None


def sample_draw(*, pair: Pair, slot: str, config: SamplingConfig, priority: int) -> Sample:
    """An unsaved pending sample for one side of a pair, its temperature drawn from the range."""
    temperature = random.uniform(config.temperature_min, config.temperature_max)
    return Sample(
        pair=pair,
        slot=slot,
        variant=config.variant,
        temperature=round(temperature, 4),
        top_p=config.top_p,
        max_new_tokens=config.max_new_tokens,
        seed=secrets.randbelow(2**31),
        priority=priority,
    )


def pairs_create(
    *, batch: Batch, specs: Sequence[PairSpec], judgments: int = 0, enqueue: bool = True
) -> list[Pair]:
    """Make pairs with two pending samples each and `judgments` free judgment slots each.

    A spec with `responses` gets two done samples with those texts instead (`supplied`), is
    ready at once and is not sent to the workers.

    A pair of a dialogue is live work (its annotator is watching); a pool pair is bulk work.
    With `enqueue`, the workers are woken once the surrounding transaction commits (see
    generation_enqueue); whatever a wake-up misses, the reconciler finds in the database.
    """
    sides = ((Pair.Slot.A, batch.sampling_a), (Pair.Slot.B, batch.sampling_b))
    now = timezone.now()
    with transaction.atomic():
        pairs = Pair.objects.bulk_create(
            [
                Pair(
                    batch=batch,
                    context=spec.context,
                    dialogue=spec.dialogue,
                    user_turn=spec.user_turn,
                    pool_item=spec.pool_item,
                    left_slot=spec.left_slot or random.choice(Pair.Slot.values),
                    ready_at=now if spec.responses is not None else None,
                )
                for spec in specs
            ],
            batch_size=BULK_SIZE,
        )
        Sample.objects.bulk_create(
            [
                _sample_new(pair=pair, slot=slot, config=config, spec=spec, now=now)
                for pair, spec in zip(pairs, specs, strict=True)
                for slot, config in sides
            ],
            batch_size=BULK_SIZE,
        )
        JudgmentSlot.objects.bulk_create(
            [
                JudgmentSlot(batch=batch, pair=pair, index=index)
                for pair in pairs
                for index in range(judgments)
            ],
            batch_size=BULK_SIZE,
        )
        pair_ids = [
            pair.pk for pair, spec in zip(pairs, specs, strict=True) if spec.responses is None
        ]
        if enqueue and pair_ids:
            transaction.on_commit(lambda: generation_enqueue(pair_ids=pair_ids))
    return pairs


def _sample_new(*, pair: Pair, slot: str, config: SamplingConfig, spec: PairSpec, now) -> Sample:
    """A pending sample to generate, or a done one whose text came with the pool file: the
    batch's variant and settings, ended by "stop" (shown like any generated response)."""
    sample = sample_draw(pair=pair, slot=slot, config=config, priority=_priority(pair))
    if spec.responses is not None:
        sample.text = spec.responses[0 if slot == Pair.Slot.A else 1]
        sample.status = Sample.Status.DONE
        sample.supplied = True
        sample.finish_reason = "stop"
        sample.completion_tokens = len(sample.text.split())
        sample.finished_at = now
    return sample


def pair_create(*, batch: Batch, spec: PairSpec, judgments: int = 0, enqueue: bool = True) -> Pair:
    """One pair (see pairs_create)."""
    return pairs_create(batch=batch, specs=[spec], judgments=judgments, enqueue=enqueue)[0]


def _priority(pair: Pair) -> int:
    return Sample.Priority.LIVE if pair.dialogue_id is not None else Sample.Priority.BULK


def generation_enqueue(*, pair_ids: Sequence[int], one_per_pair: bool = False) -> int:
    """Wake the workers for these pairs by task name; return how many messages were sent.

    A task claims its own pair's samples and then the oldest waiting ones, up to
    GENERATION_MAX_BATCH samples (two per pair), so one message per that many pairs claims
    every sample in full batches: a 5,000-row upload sends about 300 messages, not 5,000.
    `one_per_pair` sends one per pair instead (the reconciler: each stranded pair is woken).
    The rows are committed when this runs: if the broker is down this only logs, and the
    reconciler catches up.
    """
    stride = 1 if one_per_pair else max(1, settings.GENERATION_MAX_BATCH // 2)
    wake = list(pair_ids)[::stride]
    try:
        with current_app.producer_or_acquire() as producer:
            for pair_id in wake:
                current_app.send_task(GENERATE_TASK, args=(pair_id,), producer=producer)
    except Exception:
        logger.exception("Could not wake the workers; the reconciler will pick the pairs up.")
        return 0
    return len(wake)


@transaction.atomic
def samples_retry_failed(*, pair: Pair) -> int:
    """Put the failed samples of a pair back in line and wake a worker; return how many."""
    reset = Sample.objects.filter(pair=pair, status=Sample.Status.FAILED).update(
        status=Sample.Status.PENDING, error="", attempts=0, lease_expires_at=None
    )
    if reset:
        transaction.on_commit(lambda: generation_enqueue(pair_ids=[pair.pk]))
    return reset
