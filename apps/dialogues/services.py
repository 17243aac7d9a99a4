"""Writes for dialogues: a written prompt, the next turn, judging a pair, finishing, retrying."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.batches.models import Batch
from apps.batches.selectors import batch_check_open_to
from apps.core.text import text_checked
from apps.pairs.models import Pair
from apps.pairs.services import PairSpec, pair_create, samples_retry_failed
from apps.preferences.models import Comparison
from apps.preferences.services import comparison_record

from .models import Dialogue, Turn
from .selectors import pair_judging_closes_at


def _clean_user_text(text: str) -> str:
    if not (text or "").strip():
        raise ValidationError({"text": "Write a message first."})
    return text_checked(text, field="text", max_chars=settings.MAX_PROMPT_CHARS)


def _pair_create(*, dialogue: Dialogue, user_turn: Turn) -> Pair:
    context = [t.as_message() for t in dialogue.turns.filter(index__lte=user_turn.index)]
    spec = PairSpec(context=context, dialogue=dialogue, user_turn=user_turn)
    return pair_create(batch=dialogue.batch, spec=spec)


@transaction.atomic
def dialogue_start(*, batch: Batch, annotator, text: str) -> Pair:
    """Open a new dialogue with its first user turn and queue the first pair."""
    text = _clean_user_text(text)
    batch_check_open_to(user=annotator, batch_id=batch.pk)
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
    batch_check_open_to(user=annotator, batch_id=dialogue.batch_id)
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


def pair_retry(*, pair: Pair, annotator) -> None:
    """Put the failed samples of the annotator's own pair back in line."""
    if pair.dialogue.annotator_id != annotator.pk:
        raise PermissionDenied
    if not samples_retry_failed(pair=pair):
        raise ValidationError("Nothing to retry: no response of this pair has failed.")


@transaction.atomic
def dialogue_judge(
    *,
    pair: Pair,
    annotator,
    chosen_side: str,
    strength: str,
    time_spent_ms: int,
    left_is_safe=None,
    right_is_safe=None,
) -> Comparison:
    """Judge a pair of the annotator's own dialogue; the chosen response becomes its next turn.

    Once the batch is closed, a pair may still be judged for the batch's lease length after its
    responses were ready, as a queue lease may (`pair_judging_closes_at`).
    """
    pair = (
        Pair.objects.select_for_update(of=("self",))
        .select_related("dialogue", "batch")
        .get(pk=pair.pk)
    )
    dialogue = pair.dialogue
    if dialogue is None or dialogue.annotator_id != annotator.pk:
        raise PermissionDenied
    closes_at = pair_judging_closes_at(pair=pair)
    if closes_at is not None and timezone.now() > closes_at:
        raise ValidationError(
            "This batch is closed and the time to judge this pair ran out "
            f"({pair.batch.lease_minutes} minutes after its responses were ready), so your "
            "judgment was not stored."
        )
    comparison = comparison_record(
        pair=pair,
        annotator=annotator,
        left_slot=pair.left_slot,
        chosen_side=chosen_side,
        strength=strength,
        time_spent_ms=time_spent_ms,
        left_is_safe=left_is_safe,
        right_is_safe=right_is_safe,
    )
    if dialogue.status == Dialogue.Status.ACTIVE:
        Turn.objects.create(
            dialogue=dialogue,
            index=pair.user_turn.index + 1,
            role=Turn.Role.ASSISTANT,
            text=comparison.chosen.text,
            source_sample=comparison.chosen,
        )
    return comparison
