"""Writes for the work queue: claim, submit, skip, release, flag and expire leases.

Concurrency: a claim selects one claimable slot row FOR UPDATE SKIP LOCKED and rewrites that
row in the same transaction. A concurrent claimer either skips the locked row or, once the
first commits, re-checks the new row version (PostgreSQL re-evaluates the WHERE clause on an
updated row) and finds it leased. A slot is therefore never leased twice, and a pair with k
slots gets at most k judgments, each by a different annotator (a unique constraint backs that).
Submit locks the lease row first, so a retried submit waits for the original and replays it.

One annotator's claims in a batch take turns (see `_claims_take_turns`), so the open-lease
count a claim reads is never stale and `max_open_leases` holds however many arrive at once.
A re-claim of a pair whose lease ran out reopens that same lease: an annotator has at most one
lease per pair that is not released (a unique constraint backs that), so two tabs on one pair
submit to one lease and store one judgment.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from apps.accounts.selectors import api_token_scope_apply
from apps.batches.models import Batch
from apps.batches.selectors import batch_check_open_to
from apps.core.text import text_checked
from apps.pairs.models import JudgmentSlot
from apps.preferences.errors import Refused
from apps.preferences.models import Comparison
from apps.preferences.services import comparison_record

from . import gold_mixing
from .claim_statements import (
    LeaseLimitReached,  # noqa: F401  (callers catch services.LeaseLimitReached)
    lease_limit_check,
    slot_lease_in_one_statement,
)
from .models import Lease

FLAGS_TO_WITHDRAW = 2  # distinct annotators flagging a pair take its unjudged slots out
MAX_NOTE_CHARS = 2000
LATE_MESSAGE = (
    "Your lease ran out and this pair already has all the judgments it needs, so "
    "your judgment was not stored. Thank you: take the next pair."
)
CLOSED_LATE_MESSAGE = (
    "Your lease ran out and this batch is closed, so your judgment was not stored. "
    "Thank you for your work on it."
)


class LeaseConflict(Refused):
    """The lease has already ended in a way that rules the request out."""


class LateSubmitRejected(Refused):
    """The lease ran out and the pair has all its judgments: the submit stored nothing."""


@dataclass(frozen=True)
class SubmitOutcome:
    comparison: Comparison
    replayed: bool
    late: bool
    qualification: bool = False  # a qualification pair: its answer carries feedback


def _claimable(now) -> Q:
    return Q(status=JudgmentSlot.Status.FREE) | Q(
        status=JudgmentSlot.Status.LEASED, lease_expires_at__lt=now
    )


def _pairs_seen_by(*, annotator, batch):
    """Pairs the annotator holds, judged, skipped or flagged: never offered to them again."""
    return (
        Lease.objects.filter(annotator=annotator, batch=batch)
        .exclude(status__in=[Lease.Status.RELEASED, Lease.Status.EXPIRED])
        .values("pair_id")
    )


def _take_slot(*, slot: JudgmentSlot, annotator, expires, now) -> None:
    """Lease a locked slot to the annotator, ending whatever lease on it had run out."""
    if slot.status == JudgmentSlot.Status.LEASED:
        Lease.objects.filter(slot=slot, status=Lease.Status.OPEN).update(
            status=Lease.Status.EXPIRED, ended_at=now
        )
    slot.status = JudgmentSlot.Status.LEASED
    slot.annotator = annotator
    slot.lease_expires_at = expires
    slot.save(update_fields=["status", "annotator", "lease_expires_at"])


def _claims_take_turns(*, batch: Batch, annotator) -> None:
    """Make one annotator's claims in a batch wait for each other (call first in the claim's
    transaction), so each reads the open leases the one before it committed.

    PostgreSQL: a transaction-level advisory lock on (batch, annotator), released at commit.
    SQLite needs none: its transactions begin IMMEDIATE (settings), so writers take turns.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"lease-claim:{batch.pk}:{annotator.pk}"],
            )


def _held_check(*, batch: Batch, annotator, now) -> None:
    held = Lease.objects.filter(
        annotator=annotator, batch=batch, status=Lease.Status.OPEN, expires_at__gt=now
    ).count()
    lease_limit_check(held=held, batch=batch)


def _claim_once(*, batch: Batch, annotator, now) -> Lease | None:
    expires = now + timedelta(minutes=batch.lease_minutes)
    # PostgreSQL reads the open-lease count in the statement that leases (gold or normal).
    one_statement = connection.vendor == "postgresql"
    if gold_mixing.qualification_pending(batch=batch, annotator=annotator):
        _held_check(batch=batch, annotator=annotator, now=now)
        return gold_mixing.qualification_claim(batch=batch, annotator=annotator, expires=expires)
    if not one_statement:
        _held_check(batch=batch, annotator=annotator, now=now)
    if gold_mixing.gold_drawn(batch=batch):
        lease = gold_mixing.gold_claim(batch=batch, annotator=annotator, expires=expires)
        if lease is not None:
            return lease
    if one_statement:
        return slot_lease_in_one_statement(
            batch=batch, annotator=annotator, now=now, expires=expires
        )
    # The annotator's own run-out lease on the slot's pair, read with the slot (no extra query).
    ran_out = Lease.objects.filter(
        pair_id=OuterRef("pair_id"), annotator=annotator, status=Lease.Status.EXPIRED
    ).values("pk")[:1]
    slot = (
        # Gold pairs are handed out by their own rule (gold_mixing), never as normal work.
        JudgmentSlot.objects.filter(batch=batch, pair__ready_at__isnull=False)
        .filter(pair__gold__isnull=True)
        .filter(_claimable(now))
        .exclude(pair_id__in=_pairs_seen_by(annotator=annotator, batch=batch))
        .annotate(ran_out_lease_id=Subquery(ran_out))
        .order_by("pair_id", "index")
        .select_for_update(skip_locked=True, of=("self",))
        .first()
    )
    if slot is None:
        return None
    _take_slot(slot=slot, annotator=annotator, expires=expires, now=now)
    if slot.ran_out_lease_id is not None:
        lease = Lease.objects.select_related("batch").get(pk=slot.ran_out_lease_id)
        lease.status, lease.ended_at = Lease.Status.OPEN, None
        lease.slot, lease.expires_at = slot, expires
        lease.save(update_fields=["status", "slot", "expires_at", "ended_at"])
        return lease
    return Lease.objects.create(
        slot=slot,
        pair_id=slot.pair_id,
        batch=batch,
        annotator=annotator,
        left_slot=random.choice("ab"),
        expires_at=expires,
    )


def lease_claim(*, batch: Batch, annotator) -> Lease | None:
    """Lease the next pool pair this annotator may judge, or None when there is none.

    A pair whose lease ran out may come back to the same annotator: its lease is reopened.
    """
    batch_check_open_to(user=annotator, batch_id=batch.pk, qualifying=True)
    with transaction.atomic():
        _claims_take_turns(batch=batch, annotator=annotator)
        return _claim_once(batch=batch, annotator=annotator, now=timezone.now())


def lease_next(*, batch: Batch, annotator) -> Lease | None:
    """The annotator's oldest lease they still hold in this batch, else a new claim."""
    batch_check_open_to(user=annotator, batch_id=batch.pk, qualifying=True)
    with transaction.atomic():
        # Taken before reading what they hold: Next pressed twice at once hands out one pair.
        _claims_take_turns(batch=batch, annotator=annotator)
        now = timezone.now()
        held = Lease.objects.filter(annotator=annotator, batch=batch, status=Lease.Status.OPEN)
        for lease in held.order_by("claimed_at"):
            if lease.expires_at > now:
                return lease
            # Ran out: resume it with a fresh lease if nobody has taken the slot meanwhile.
            expires = now + timedelta(minutes=batch.lease_minutes)
            renewed = JudgmentSlot.objects.filter(
                pk=lease.slot_id, annotator=annotator, status=JudgmentSlot.Status.LEASED
            ).update(lease_expires_at=expires)
            if renewed:
                Lease.objects.filter(pk=lease.pk).update(expires_at=expires)
                lease.expires_at = expires
                return lease
            Lease.objects.filter(pk=lease.pk, status=Lease.Status.OPEN).update(
                status=Lease.Status.EXPIRED, ended_at=now
            )
        return _claim_once(batch=batch, annotator=annotator, now=now)


def _slot_for_submit(*, lease: Lease, annotator, now) -> int | None:
    """The id of the slot a submit fills, marked done: the lease's own, else (late) any slot
    still open to claim. The own slot is locked and written by one conditional UPDATE."""
    own = JudgmentSlot.objects.filter(
        pk=lease.slot_id, annotator=annotator, status=JudgmentSlot.Status.LEASED
    ).update(status=JudgmentSlot.Status.DONE, lease_expires_at=None)
    if own:
        return lease.slot_id
    other = (
        JudgmentSlot.objects.filter(pair_id=lease.pair_id)
        .filter(_claimable(now))
        .order_by("index")
        .select_for_update(skip_locked=True)
        .first()
    )
    if other is None:
        return None
    _take_slot(slot=other, annotator=annotator, expires=now, now=now)
    other.status, other.lease_expires_at = JudgmentSlot.Status.DONE, None
    other.save(update_fields=["status", "lease_expires_at"])
    return other.pk


def lease_submit(
    *,
    lease_id: int,
    annotator,
    idempotency_key: str,
    chosen_side: str,
    strength: str,
    time_spent_ms,
    left_is_safe=None,
    right_is_safe=None,
    token=None,
) -> SubmitOutcome:
    """Store the judgment of a leased pair once, however often the same submit is retried.

    A lease that ran out still stores its judgment if the pair needs one, unless the batch was
    closed meanwhile: a closed batch takes judgments only on leases that have not run out.

    `token`: the API token of the request; a lease outside its batches raises
    Lease.DoesNotExist, like another annotator's (read with the lock: one statement).
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ValidationError(
            {"idempotency_key": "Send an idempotency key of 1 to 100 characters."}
        )
    with transaction.atomic():
        leases = Lease.objects.select_for_update(of=("self",)).select_related(
            "pair__batch", "pair__gold"
        )
        lease = api_token_scope_apply(
            queryset=leases.filter(annotator=annotator), token=token, field="batch_id"
        ).get(pk=lease_id)
        if lease.status == Lease.Status.SUBMITTED:
            if lease.idempotency_key != key:
                raise LeaseConflict("You already submitted a judgment for this pair.")
            # Read after the lock: a join made before waiting on it would predate the submit.
            return SubmitOutcome(
                comparison=Comparison.objects.get(pk=lease.comparison_id),
                replayed=True,
                late=lease.ended_at > lease.expires_at,
                qualification=_qualification_pair(lease.pair),
            )
        if lease.status not in (Lease.Status.OPEN, Lease.Status.EXPIRED):
            raise LeaseConflict(
                f"This pair is no longer yours to judge ({lease.get_status_display().lower()})."
            )
        now = timezone.now()
        batch_open = lease.pair.batch.status == Batch.Status.OPEN
        # A closed batch hands out nothing new: no slot for a lease that ran out.
        live = batch_open or now <= lease.expires_at
        slot_id = _slot_for_submit(lease=lease, annotator=annotator, now=now) if live else None
        rejected = ""
        if slot_id is None:
            rejected = LATE_MESSAGE if batch_open else CLOSED_LATE_MESSAGE
            lease.status = Lease.Status.LATE_REJECTED
            lease.ended_at = now
            lease.idempotency_key = key
            lease.save(update_fields=["status", "ended_at", "idempotency_key"])
        else:
            comparison = comparison_record(
                pair=lease.pair,
                annotator=annotator,
                left_slot=lease.left_slot,
                chosen_side=chosen_side,
                strength=strength,
                time_spent_ms=time_spent_ms,
                left_is_safe=left_is_safe,
                right_is_safe=right_is_safe,
            )
            lease.status = Lease.Status.SUBMITTED
            lease.slot_id = slot_id
            lease.comparison = comparison
            lease.idempotency_key = key
            lease.ended_at = now
            lease.save(
                update_fields=["status", "slot", "comparison", "idempotency_key", "ended_at"]
            )
    if rejected:
        raise LateSubmitRejected(rejected)
    return SubmitOutcome(
        comparison=comparison,
        replayed=False,
        late=now > lease.expires_at,
        qualification=_qualification_pair(lease.pair),
    )


def _qualification_pair(pair) -> bool:
    try:
        return pair.gold.for_qualification
    except ObjectDoesNotExist:
        return False


def _lease_end(*, lease_id: int, annotator, status: str, **fields) -> Lease:
    with transaction.atomic():
        lease = Lease.objects.select_for_update().get(pk=lease_id, annotator=annotator)
        if lease.status not in (Lease.Status.OPEN, Lease.Status.EXPIRED):
            raise LeaseConflict(
                f"This pair is no longer yours ({lease.get_status_display().lower()})."
            )
        JudgmentSlot.objects.filter(
            pk=lease.slot_id, annotator=annotator, status=JudgmentSlot.Status.LEASED
        ).update(status=JudgmentSlot.Status.FREE, annotator=None, lease_expires_at=None)
        for name, value in fields.items():
            setattr(lease, name, value)
        lease.status = status
        lease.ended_at = timezone.now()
        lease.save()
    return lease


def lease_release(*, lease_id: int, annotator) -> Lease:
    """Give the pair back to the pool (the annotator may be offered it again)."""
    return _lease_end(lease_id=lease_id, annotator=annotator, status=Lease.Status.RELEASED)


def lease_skip(*, lease_id: int, annotator, reason: str) -> Lease:
    """Pass on a pair, saying why; it goes back to the pool for others."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why you skip this pair."})
    reason = text_checked(reason, field="reason", max_chars=MAX_NOTE_CHARS)
    return _lease_end(
        lease_id=lease_id, annotator=annotator, status=Lease.Status.SKIPPED, skip_reason=reason
    )


def lease_flag(*, lease_id: int, annotator, reason: str, note: str = "") -> Lease:
    """Report a broken, unusable or harmful pair; enough flags take it out of the queue."""
    if reason not in Lease.FlagReason.values:
        raise ValidationError({"reason": "Pick why you flag this pair."})
    note = text_checked(note, field="note", max_chars=MAX_NOTE_CHARS, required=False)
    lease = _lease_end(
        lease_id=lease_id,
        annotator=annotator,
        status=Lease.Status.FLAGGED,
        flag_reason=reason,
        flag_note=note,
    )
    flaggers = (
        Lease.objects.filter(pair_id=lease.pair_id, status=Lease.Status.FLAGGED)
        .values("annotator_id")
        .distinct()
        .count()
    )
    if flaggers >= FLAGS_TO_WITHDRAW:
        JudgmentSlot.objects.filter(pair_id=lease.pair_id, status=JudgmentSlot.Status.FREE).update(
            status=JudgmentSlot.Status.WITHDRAWN
        )
    return lease


def leases_expire() -> int:
    """Put slots whose lease ran out back in the pool; their leases end as expired."""
    now = timezone.now()
    with transaction.atomic():
        slot_ids = list(
            JudgmentSlot.objects.filter(status=JudgmentSlot.Status.LEASED, lease_expires_at__lt=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Lease.objects.filter(slot_id__in=slot_ids, status=Lease.Status.OPEN).update(
            status=Lease.Status.EXPIRED, ended_at=now
        )
        JudgmentSlot.objects.filter(pk__in=slot_ids).update(
            status=JudgmentSlot.Status.FREE, annotator=None, lease_expires_at=None
        )
    return len(slot_ids)
