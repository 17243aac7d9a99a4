"""Writes for dialogues, turns, pairs and samples."""

import random
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.batches.models import Batch, SamplingConfig
from apps.batches.selectors import batches_open_for
from apps.core.text import text_checked
from apps.pairs.models import Pair, Sample

from .models import Dialogue, Turn


def _clean_user_text(text: str) -> str:
    if not (text or "").strip():
        raise ValidationError({"text": "Write a message first."})
    return text_checked(text, field="text", max_chars=settings.MAX_PROMPT_CHARS)


def _check_may_work(*, batch_id: int, annotator) -> None:
    """The batch is open and assigned to the annotator: a closed batch takes no new prompt or
    turn (a pair already written may still be judged for a while, see comparison_submit)."""
    if not batches_open_for(user=annotator).filter(pk=batch_id).exists():
        raise ValidationError("This batch is closed or no longer assigned to you.")


def sample_draw(*, pair: Pair, slot: str, config: SamplingConfig) -> Sample:
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
    )


def _pair_create(*, dialogue: Dialogue, user_turn: Turn) -> Pair:
    from model_worker.tasks import generate_pair

    context = [t.as_message() for t in dialogue.turns.filter(index__lte=user_turn.index)]
    pair = Pair.objects.create(
        batch=dialogue.batch,
        dialogue=dialogue,
        user_turn=user_turn,
        context=context,
        left_slot=random.choice(Pair.Slot.values),
    )
    batch = dialogue.batch
    Sample.objects.bulk_create(
        [
            sample_draw(pair=pair, slot=Pair.Slot.A, config=batch.sampling_a),
            sample_draw(pair=pair, slot=Pair.Slot.B, config=batch.sampling_b),
        ]
    )
    generate_pair.delay_on_commit(pair.pk)
    return pair


@transaction.atomic
def dialogue_start(*, batch: Batch, annotator, text: str) -> Pair:
    """Open a new dialogue with its first user turn and queue the first pair."""
    text = _clean_user_text(text)
    _check_may_work(batch_id=batch.pk, annotator=annotator)
    dialogue = Dialogue.objects.create(batch=batch, annotator=annotator)
    turn = Turn.objects.create(dialogue=dialogue, index=0, role=Turn.Role.USER, text=text)
    return _pair_create(dialogue=dialogue, user_turn=turn)


@transaction.atomic
def dialogue_continue(*, dialogue: Dialogue, annotator, text: str) -> Pair:
    """Add the next user turn after the last chosen response and queue its pair."""
    if dialogue.annotator_id != annotator.pk:
        raise PermissionDenied
    text = _clean_user_text(text)
    dialogue = Dialogue.objects.select_for_update().get(pk=dialogue.pk)
    _check_may_work(batch_id=dialogue.batch_id, annotator=annotator)
    if dialogue.status != Dialogue.Status.ACTIVE:
        raise ValidationError("This dialogue is finished; start a new prompt.")
    last = dialogue.turns.order_by("-index").first()
    if last is None or last.role != Turn.Role.ASSISTANT:
        raise ValidationError("Judge the current pair before writing the next turn.")
    if (last.index + 1) // 2 >= dialogue.batch.max_turns:
        raise ValidationError(
            f"This batch allows {dialogue.batch.max_turns} turns per dialogue; start a new prompt."
        )
    turn = Turn.objects.create(
        dialogue=dialogue, index=last.index + 1, role=Turn.Role.USER, text=text
    )
    return _pair_create(dialogue=dialogue, user_turn=turn)


@transaction.atomic
def dialogue_finish(*, dialogue: Dialogue, annotator) -> None:
    if dialogue.annotator_id != annotator.pk:
        raise PermissionDenied
    Dialogue.objects.filter(pk=dialogue.pk).update(status=Dialogue.Status.FINISHED)


@transaction.atomic
def pair_retry(*, pair: Pair, annotator) -> None:
    """Put the failed samples of a pair back in the queue."""
    from model_worker.tasks import generate_pair

    if pair.dialogue.annotator_id != annotator.pk:
        raise PermissionDenied
    reset = Sample.objects.filter(pair=pair, status=Sample.Status.FAILED).update(
        status=Sample.Status.PENDING, error="", attempts=0, lease_expires_at=None
    )
    if not reset:
        raise ValidationError("Nothing to retry: no response of this pair has failed.")
    generate_pair.delay_on_commit(pair.pk)
