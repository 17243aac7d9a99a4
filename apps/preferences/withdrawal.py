"""Withdrawing judgments from export, and restoring them: staff act on what quality control
shows (an annotator who clicked one side, a judgment made in error).

A withdrawn comparison stays in the database with who withdrew it, when and why; exports and
figures leave it out. Withdrawing does not reopen the pair's judgment slot: the pair keeps the
judgments it had, and the queue hands it to nobody else.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.core.text import text_checked

from .models import Comparison

MAX_REASON_CHARS = 1000
# Ids listed in one audit event; past this the event says how many and that the list is cut.
MAX_AUDITED_IDS = 5000


def _chosen(*, batch, annotator, comparison_ids) -> QuerySet[Comparison]:
    if annotator is None and comparison_ids is None:
        raise ValidationError("Say whose judgments (an annotator) or which ones (their ids).")
    comparisons = Comparison.objects.filter(batch=batch)
    if annotator is not None:
        comparisons = comparisons.filter(annotator=annotator)
    if comparison_ids is not None:
        try:
            ids = sorted({int(pk) for pk in comparison_ids})
        except (TypeError, ValueError) as exc:
            raise ValidationError("Comparison ids must be whole numbers.") from exc
        comparisons = comparisons.filter(pk__in=ids)
    return comparisons


def _details(*, ids: list[int], annotator, reason: str | None = None) -> dict:
    details: dict = {
        "count": len(ids),
        "annotator_id": getattr(annotator, "pk", annotator),
        "comparison_ids": ids[:MAX_AUDITED_IDS],
    }
    if len(ids) > MAX_AUDITED_IDS:
        details["comparison_ids_truncated"] = True
    if reason is not None:
        details["reason"] = reason
    return details


@transaction.atomic
def comparisons_withdraw(*, batch, actor, reason: str, annotator=None, comparison_ids=None) -> int:
    """Withdraw from export the batch's judgments of `annotator`, or those with these ids (or
    both: that annotator's among the ids). Judgments already withdrawn keep their first reason.
    Returns how many were withdrawn now; audited JUDGMENTS_WITHDRAWN when any were."""
    reason = text_checked(reason, field="reason", max_chars=MAX_REASON_CHARS)
    comparisons = _chosen(batch=batch, annotator=annotator, comparison_ids=comparison_ids)
    ids = list(
        comparisons.filter(withdrawn_at__isnull=True)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Comparison.objects.filter(pk__in=ids).update(
        withdrawn_at=timezone.now(), withdrawn_by=actor, withdrawn_reason=reason
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.JUDGMENTS_WITHDRAWN,
        target=f"batch:{batch.pk}",
        details=_details(ids=ids, annotator=annotator, reason=reason),
    )
    return len(ids)


@transaction.atomic
def comparisons_restore(*, batch, actor, annotator=None, comparison_ids=None) -> int:
    """Put withdrawn judgments back (the same choice of judgments as `comparisons_withdraw`).
    Returns how many were restored; audited JUDGMENTS_RESTORED when any were."""
    comparisons = _chosen(batch=batch, annotator=annotator, comparison_ids=comparison_ids)
    ids = list(
        comparisons.filter(withdrawn_at__isnull=False)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Comparison.objects.filter(pk__in=ids).update(
        withdrawn_at=None, withdrawn_by=None, withdrawn_reason=""
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.JUDGMENTS_RESTORED,
        target=f"batch:{batch.pk}",
        details=_details(ids=ids, annotator=annotator),
    )
    return len(ids)
