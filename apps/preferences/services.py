"""The judgment core: every comparison, from whichever page or API, is recorded here.

The dialogue page (dialogues.services.dialogue_judge) and the work queue
(assignments.services.lease_submit) are entry points over `comparison_record`: each checks what
is its own (the dialogue's owner, the lease) and lets this check and store the judgment.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.batches.models import Track
from apps.pairs.models import Pair, Sample

from .gold import gold_check_annotator, qualification_answer_record
from .models import UNSAFE_CHOSEN_OVER_SAFE_MESSAGE, Comparison, GoldAnswer, Strength

MAX_TIME_SPENT_MS = 24 * 3600 * 1000


def _parse_safety(value, field: str) -> bool:
    if value in (True, "true", "safe", "1", 1):
        return True
    if value in (False, "false", "unsafe", "0", 0):
        return False
    raise ValidationError({field: "Say whether this response is safe or unsafe."})


def comparison_record(
    *,
    pair: Pair,
    annotator,
    left_slot: str,
    chosen_side: str,
    strength: str,
    time_spent_ms,
    left_is_safe=None,
    right_is_safe=None,
) -> Comparison:
    """Validate a choice on a pair as the annotator saw it and store it (call inside atomic).

    On a gold pair the judgment is graded (`gold_correct`); a qualification answer counts
    toward the annotator's qualification run, and in a batch with gold the annotator's gold
    accuracy is checked, flagging (and maybe pausing) them once it is shown to be too low.

    `chosen_side` is "left" or "right" as the annotator saw the pair, with `left_slot` the
    sample shown on the left; the stored record names the samples and keeps the left one too.
    """
    batch = pair.batch
    if chosen_side not in ("left", "right"):
        raise ValidationError({"chosen_side": "Pick the left or the right response."})
    if strength not in Strength.values:
        raise ValidationError({"strength": "Say how much better the chosen response is."})
    try:
        time_spent_ms = int(time_spent_ms)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"time_spent_ms": "Time spent must be a whole number."}) from exc
    if not (0 <= time_spent_ms <= MAX_TIME_SPENT_MS):
        raise ValidationError({"time_spent_ms": "Time spent is out of range."})
    if Comparison.objects.filter(pair=pair, annotator=annotator).exists():
        raise ValidationError("You already judged this pair.")

    samples = {s.slot: s for s in pair.samples.all()}
    if len(samples) != 2 or any(s.status != Sample.Status.DONE for s in samples.values()):
        raise ValidationError("Both responses must be generated before you can judge them.")
    right_slot = Pair.Slot.B if left_slot == Pair.Slot.A else Pair.Slot.A
    left, right = samples[left_slot], samples[right_slot]
    chosen, rejected = (left, right) if chosen_side == "left" else (right, left)

    chosen_is_safe = rejected_is_safe = None
    if batch.track == Track.SAFETY:
        left_safe = _parse_safety(left_is_safe, "left_is_safe")
        right_safe = _parse_safety(right_is_safe, "right_is_safe")
        chosen_is_safe, rejected_is_safe = (
            (left_safe, right_safe) if chosen_side == "left" else (right_safe, left_safe)
        )
        if rejected_is_safe and not chosen_is_safe:
            raise ValidationError({"chosen_side": UNSAFE_CHOSEN_OVER_SAFE_MESSAGE})

    # Graded on every pair that is gold when judged (never retroactively).
    gold = GoldAnswer.objects.filter(pair_id=pair.pk).first()
    gold_correct = (
        gold.accepts(chosen_slot=chosen.slot, strength=strength) if gold is not None else None
    )
    try:
        with transaction.atomic():
            comparison = Comparison.objects.create(
                pair=pair,
                batch=batch,
                track=batch.track,
                annotator=annotator,
                turn_index=pair.turn_index,
                context=pair.context,
                chosen=chosen,
                rejected=rejected,
                left=left,
                strength=strength,
                chosen_is_safe=chosen_is_safe,
                rejected_is_safe=rejected_is_safe,
                time_spent_ms=time_spent_ms,
                gold_correct=gold_correct,
            )
    except IntegrityError as exc:
        raise ValidationError("You already judged this pair.") from exc
    if gold is not None and gold.for_qualification:
        qualification_answer_record(batch=batch, annotator=annotator, correct=gold_correct)
    elif batch.gold_rate > 0 or gold is not None:
        # Checked after every judgment in a batch with gold, not only gold ones, so the
        # time a submit takes does not tell a gold pair apart.
        gold_check_annotator(batch=batch, annotator=annotator)
    return comparison
