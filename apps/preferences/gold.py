"""Gold pairs (honeypots) and the qualification set: marking them, grading judgments of them,
and an annotator's run through a batch's qualification set.

A gold pair is a pair with a GoldAnswer: the side that should win and the weakest strength
accepted. Work gold is mixed into annotators' queues unmarked (assignments); qualification gold
makes up the set an annotator answers, with feedback, before real work in a batch that requires
it. Exports leave gold pairs out by default.
"""

from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.batches.flags import annotator_flag_raise
from apps.batches.models import AnnotatorFlag, Batch, Qualification
from apps.pairs.models import JudgmentSlot, Pair, Sample

from .models import Comparison, GoldAnswer, Strength

MAX_EXPLANATION_CHARS = 4000


def _target(pair: Pair) -> str:
    return f"batch:{pair.batch_id}"


def gold_pair_check(*, pair: Pair, for_qualification: bool = False) -> None:
    """Whether the pair can be gold: both responses generated; in the qualification set, a
    prompt-pool pair. Raises ValidationError saying why not."""
    done = pair.samples.filter(status=Sample.Status.DONE).count()
    if done != 2:
        raise ValidationError(
            "Only a pair with both responses generated can be gold: this one has "
            f"{done} of 2 ready."
        )
    if for_qualification and not pair.is_pool:
        raise ValidationError(
            "Only a prompt-pool pair can be in the qualification set (a dialogue's pair "
            "belongs to the annotator who wrote it)."
        )


@transaction.atomic
def gold_mark(
    *,
    pair: Pair,
    expected_slot: str,
    min_strength: str = Strength.NEGLIGIBLY_BETTER_OR_UNSURE,
    for_qualification: bool = False,
    explanation: str = "",
    source: str,
    actor,
) -> GoldAnswer:
    """Make the pair gold (or change its gold answer): `expected_slot` (a or b) should be
    chosen, at least as strongly as `min_strength`.

    A pool pair's still-free judgment slots are withdrawn: a gold pair is no longer normal
    work, and the queue hands it out by its own rule (mixed in, once per annotator).
    Judgments already made of the pair stay as they are: they are not graded retroactively
    (only judgments recorded while the pair is gold get `gold_correct`).
    """
    expected_slot = (expected_slot or "").strip().lower()
    if expected_slot not in (Pair.Slot.A, Pair.Slot.B):
        raise ValidationError({"expected_slot": "Say which response should win: a or b."})
    if min_strength not in Strength.values:
        raise ValidationError({"min_strength": "Pick the weakest strength accepted."})
    if source not in GoldAnswer.Source.values:
        raise ValidationError({"source": "Unknown source of the gold answer."})
    explanation = (explanation or "").strip()
    if len(explanation) > MAX_EXPLANATION_CHARS:
        raise ValidationError(
            {"explanation": f"Keep the explanation under {MAX_EXPLANATION_CHARS} characters."}
        )
    pair = Pair.objects.select_for_update().get(pk=pair.pk)
    gold_pair_check(pair=pair, for_qualification=for_qualification)
    values = {
        "batch_id": pair.batch_id,
        "expected_slot": expected_slot,
        "min_strength": min_strength,
        "for_qualification": for_qualification,
        "explanation": explanation,
        "source": source,
    }
    gold = GoldAnswer.objects.filter(pair=pair).first()
    created = gold is None
    if created:
        gold = GoldAnswer.objects.create(pair=pair, created_by=actor, **values)
    else:
        for field, value in values.items():
            setattr(gold, field, value)
        gold.save(update_fields=[f for f in values if f != "batch_id"] + ["batch"])
    withdrawn = JudgmentSlot.objects.filter(pair=pair, status=JudgmentSlot.Status.FREE).update(
        status=JudgmentSlot.Status.WITHDRAWN
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.GOLD_MARKED,
        target=_target(pair),
        details={
            "pair": pair.pk,
            "expected_slot": expected_slot,
            "min_strength": min_strength,
            "for_qualification": for_qualification,
            "source": source,
            "updated": not created,
            "slots_withdrawn": withdrawn,
        },
    )
    return gold


@transaction.atomic
def gold_unmark(*, pair: Pair, actor) -> None:
    """Make the pair normal again. Judgments graded while it was gold keep `gold_correct`;
    its withdrawn slots stay withdrawn (a pair's judgments are not handed out twice)."""
    gold = GoldAnswer.objects.select_for_update().filter(pair=pair).first()
    if gold is None:
        raise ValidationError("This pair is not gold.")
    details = {
        "pair": pair.pk,
        "expected_slot": gold.expected_slot,
        "min_strength": gold.min_strength,
        "for_qualification": gold.for_qualification,
    }
    gold.delete()
    audit_record(
        actor=actor, action=AuditEvent.Action.GOLD_UNMARKED, target=_target(pair), details=details
    )


# Grading -----------------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{round(100 * value)}%"


def gold_check_annotator(*, batch: Batch, annotator) -> AnnotatorFlag | None:
    """Flag (and, if the batch says so, pause) the annotator once their accuracy on the
    batch's work gold, counted since their last lifted flag, is shown to be under the
    batch's threshold. Counts come from the database; no rows are loaded. Call inside atomic.
    """
    if AnnotatorFlag.objects.filter(
        batch=batch, annotator=annotator, lifted_at__isnull=True
    ).exists():
        return None
    last_lift = (
        AnnotatorFlag.objects.filter(batch=batch, annotator=annotator, lifted_at__isnull=False)
        .order_by("-lifted_at")
        .values_list("lifted_at", flat=True)
        .first()
    )
    graded = Comparison.objects.filter(
        batch=batch,
        annotator=annotator,
        gold_correct__isnull=False,
        pair__gold__for_qualification=False,
    )
    if last_lift is not None:
        graded = graded.filter(created_at__gt=last_lift)
    counts = graded.aggregate(n=Count("pk"), correct=Count("pk", filter=Q(gold_correct=True)))
    n, correct = counts["n"], counts["correct"]
    if n == 0:
        return None
    # Imported here: scipy and pandas stay out of processes that never grade gold.
    from apps.stats.reliability import gold_accuracy

    # The counts come from SQL; the statistic takes one entry per judgment of one rater.
    result = gold_accuracy(
        rater=np.zeros(n, dtype=np.int64),
        correct=np.arange(n) < correct,
        threshold=batch.gold_min_accuracy,
        min_count=batch.gold_min_count,
        n_raters=1,
    )
    if not bool(result.below_threshold[0]):
        return None
    accuracy, low, high = (float(result.accuracy[0]), float(result.low[0]), float(result.high[0]))
    reason = (
        f"Gold accuracy {correct} of {n} ({_percent(accuracy)}, 95% CI "
        f"{_percent(low)}-{_percent(high)}) is under {_percent(batch.gold_min_accuracy)}"
    )
    return annotator_flag_raise(
        batch=batch,
        annotator=annotator,
        reason=reason,
        details={
            "gold_n": n,
            "gold_correct": correct,
            "accuracy": accuracy,
            "low": low,
            "high": high,
            "threshold": batch.gold_min_accuracy,
        },
        pauses_work=batch.gold_pause,
        actor=None,
    )


# Qualification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QualificationFeedback:
    """What an annotator is shown after answering a qualification pair, in their own
    left/right order."""

    chosen_side: str
    strength: str
    expected_side: str
    min_strength: str
    explanation: str
    matched: bool
    answered: int
    total: int
    status: str  # the qualification's status after this answer

    @property
    def strength_label(self) -> str:
        return Strength(self.strength).label

    @property
    def min_strength_label(self) -> str:
        return Strength(self.min_strength).label


def qualification_pairs(*, batch: Batch):
    """The batch's qualification set, in the fixed order it is handed out."""
    return GoldAnswer.objects.filter(batch=batch, for_qualification=True).order_by("pair_id")


def qualification_answer_record(*, batch: Batch, annotator, correct: bool) -> Qualification:
    """Count one qualification answer; once every pair of the set is answered the run is
    PASSED (correct share at least the batch's pass share) or FAILED, audited with no actor.
    Call inside atomic."""
    qualification, _ = Qualification.objects.select_for_update().get_or_create(
        batch=batch, annotator=annotator
    )
    if qualification.status != Qualification.Status.IN_PROGRESS:
        return qualification
    qualification.answered += 1
    qualification.correct += int(correct)
    total = qualification_pairs(batch=batch).count()
    fields = ["answered", "correct"]
    if qualification.answered >= total:
        share = qualification.correct / qualification.answered
        passed = share >= batch.qualification_pass_share
        qualification.status = (
            Qualification.Status.PASSED if passed else Qualification.Status.FAILED
        )
        qualification.finished_at = timezone.now()
        fields += ["status", "finished_at"]
        audit_record(
            actor=None,
            action=AuditEvent.Action.QUALIFICATION_FINISHED,
            target=f"batch:{batch.pk}",
            details={
                "annotator": annotator.username,
                "status": qualification.status,
                "answered": qualification.answered,
                "correct": qualification.correct,
                "pass_share": batch.qualification_pass_share,
            },
        )
    qualification.save(update_fields=fields)
    return qualification


def qualification_feedback_for(*, comparison: Comparison) -> QualificationFeedback | None:
    """The feedback on a qualification answer (None for any other judgment)."""
    gold = GoldAnswer.objects.filter(pair_id=comparison.pair_id, for_qualification=True).first()
    if gold is None:
        return None
    left_slot = Sample.objects.filter(pk=comparison.left_id).values_list("slot", flat=True).first()
    chosen_side = "left" if comparison.left_id == comparison.chosen_id else "right"
    expected_side = "left" if gold.expected_slot == left_slot else "right"
    qualification = Qualification.objects.filter(
        batch_id=comparison.batch_id, annotator_id=comparison.annotator_id
    ).first()
    return QualificationFeedback(
        chosen_side=chosen_side,
        strength=comparison.strength,
        expected_side=expected_side,
        min_strength=gold.min_strength,
        explanation=gold.explanation,
        matched=bool(comparison.gold_correct),
        answered=qualification.answered if qualification else 0,
        total=qualification_pairs(batch=comparison.batch).count(),
        status=qualification.status if qualification else Qualification.Status.IN_PROGRESS,
    )
