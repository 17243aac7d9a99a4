"""Writes for quality control on a batch: flagging (and pausing) an annotator, lifting it,
and resetting an annotator's qualification. All audited; a flag is never deleted."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import AnnotatorFlag, Batch, Qualification

MAX_NOTE_CHARS = 2000


def _target(batch_id: int) -> str:
    return f"batch:{batch_id}"


@transaction.atomic
def annotator_flag_raise(
    *, batch: Batch, annotator, reason: str, details: dict, pauses_work: bool, actor=None
) -> AnnotatorFlag:
    """Flag the annotator on the batch (and pause their work there if `pauses_work`).

    `actor` None means quality control raised it. If the annotator already has an active
    flag on the batch, that one is returned unchanged and nothing is recorded.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the annotator is flagged."})
    active = AnnotatorFlag.objects.filter(
        batch=batch, annotator=annotator, lifted_at__isnull=True
    ).first()
    if active is not None:
        return active
    try:
        with transaction.atomic():
            flag = AnnotatorFlag.objects.create(
                batch=batch,
                annotator=annotator,
                reason=reason,
                details=details or {},
                pauses_work=pauses_work,
                flagged_by=actor,
            )
    except IntegrityError:
        # Raised meanwhile by a concurrent submit: the one active flag stands.
        return AnnotatorFlag.objects.get(batch=batch, annotator=annotator, lifted_at__isnull=True)
    audit_record(
        actor=actor,
        action=(
            AuditEvent.Action.ANNOTATOR_PAUSED
            if pauses_work
            else AuditEvent.Action.ANNOTATOR_FLAGGED
        ),
        target=_target(batch.pk),
        details={
            "flag": flag.pk,
            "annotator": annotator.username,
            "reason": reason,
            "pauses_work": pauses_work,
            **(details or {}),
        },
    )
    return flag


@transaction.atomic
def annotator_flag_lift(*, flag_id: int, actor, note: str = "") -> AnnotatorFlag:
    """Lift a flag (and the pause it carries). The annotator's gold count starts afresh: only
    gold judgments made after this can flag them again."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError({"note": f"Keep the note under {MAX_NOTE_CHARS} characters."})
    flag = AnnotatorFlag.objects.select_for_update().select_related("annotator").get(pk=flag_id)
    if flag.lifted_at is not None:
        raise ValidationError("This flag was already lifted.")
    flag.lifted_at = timezone.now()
    flag.lifted_by = actor
    flag.lift_note = note
    flag.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.FLAG_LIFTED,
        target=_target(flag.batch_id),
        details={
            "flag": flag.pk,
            "annotator": flag.annotator.username,
            "pauses_work": flag.pauses_work,
            "note": note,
        },
    )
    return flag


@transaction.atomic
def qualification_reset(*, batch: Batch, annotator, actor) -> None:
    """Let the annotator take the batch's qualification set afresh.

    Their run and their answers to the qualification pairs are removed (those answers are
    not training data: exports leave gold pairs out); the audit event keeps what they scored.
    """
    qualification = (
        Qualification.objects.select_for_update().filter(batch=batch, annotator=annotator).first()
    )
    details = {"annotator": annotator.username}
    if qualification is not None:
        details |= {
            "status": qualification.status,
            "answered": qualification.answered,
            "correct": qualification.correct,
        }
    # By relation name: leases and comparisons belong to the apps above this one.
    on_set = {"annotator": annotator, "pair__gold__for_qualification": True}
    batch.leases.filter(**on_set).delete()
    details["answers_removed"] = batch.comparisons.filter(**on_set).delete()[0]
    if qualification is not None:
        qualification.delete()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.QUALIFICATION_RESET,
        target=_target(batch.pk),
        details=details,
    )
