"""Gold pairs and qualification pairs in the work queue.

A gold pair has no judgment slots of its own to claim (marking it withdrew them). The queue
hands it to an annotator by giving them a slot of their own on it: the pair row is locked
(FOR UPDATE), a slot with the next index is created leased to them, and a lease is written
exactly as for a normal slot (same fields, a random left side). A unique constraint on
(pair, annotator) among slots backs "never twice to one person".

Work gold is mixed in with probability `batch.gold_rate` and must not be recognisable, so
this path takes as many statements as a normal claim (see tests/assignments).
Qualification pairs are handed out one at a time, in a fixed order (by pair), until the
annotator has answered the whole set.
"""

import random

from django.db import connection
from django.db.models import Exists, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.batches.models import Batch, Qualification
from apps.pairs.models import JudgmentSlot, Pair
from apps.preferences.models import Comparison

from .claim_statements import HELD_CTE, held_and_lease, lease_columns, lease_limit_check
from .models import Lease


def _next_index():
    top = (
        JudgmentSlot.objects.filter(pair_id=OuterRef("pk"))
        .order_by()
        .values("pair_id")
        .annotate(top=Max("index"))
        .values("top")
    )
    return Coalesce(Subquery(top, output_field=IntegerField()), Value(-1)) + 1


# The gold pair (locked, SKIP LOCKED), its new slot and the lease, in one round trip.
_GOLD_CLAIM_SQL = """
WITH {held_cte}, pair AS (
    SELECT p.id, COALESCE(
        (SELECT MAX(s."index") FROM pairs_judgmentslot s WHERE s.pair_id = p.id), -1
    ) + 1 AS next_index
    FROM pairs_pair p JOIN preferences_goldanswer g ON g.pair_id = p.id
    WHERE (SELECT n FROM held) < %(max_open)s
      AND p.batch_id = %(batch)s AND NOT g.for_qualification AND p.ready_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM assignments_lease l
                      WHERE l.pair_id = p.id AND l.annotator_id = %(annotator)s)
      AND NOT EXISTS (SELECT 1 FROM preferences_comparison c
                      WHERE c.pair_id = p.id AND c.annotator_id = %(annotator)s)
      AND NOT EXISTS (SELECT 1 FROM pairs_judgmentslot s
                      WHERE s.pair_id = p.id AND s.annotator_id = %(annotator)s)
    ORDER BY p.id
    LIMIT 1
    FOR UPDATE OF p SKIP LOCKED
), slot AS (
    INSERT INTO pairs_judgmentslot (batch_id, pair_id, "index", status, annotator_id,
        lease_expires_at)
    SELECT %(batch)s, pair.id, pair.next_index, 'leased', %(annotator)s, %(expires)s FROM pair
    RETURNING id, pair_id
), leased AS (
    INSERT INTO assignments_lease (slot_id, pair_id, batch_id, annotator_id, left_slot, status,
        claimed_at, expires_at, ended_at, skip_reason, flag_reason, flag_note, idempotency_key)
    SELECT slot.id, slot.pair_id, %(batch)s, %(annotator)s, %(left_slot)s, 'open', %(now)s,
        %(expires)s, NULL, '', '', '', ''
    FROM slot
    RETURNING {lease_columns}
)
SELECT held.n, leased.* FROM held LEFT JOIN leased ON true
"""


def _gold_claim_in_one_statement(*, batch: Batch, annotator, expires) -> Lease | None:
    params = {
        "max_open": batch.max_open_leases,
        "batch": batch.pk,
        "annotator": annotator.pk,
        "expires": expires,
        "now": timezone.now(),
        "left_slot": random.choice("ab"),
    }
    sql = _GOLD_CLAIM_SQL.replace("{held_cte}", HELD_CTE).replace(
        "{lease_columns}", lease_columns("assignments_lease")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    held, lease = held_and_lease(row=row, batch=batch, annotator=annotator)
    lease_limit_check(held=held, batch=batch)  # at the limit: refused, like a normal claim
    return lease


def gold_drawn(*, batch: Batch) -> bool:
    """Whether this claim should try a gold pair (`random.random() < batch.gold_rate`)."""
    return batch.gold_rate > 0 and random.random() < batch.gold_rate


def gold_claim(*, batch: Batch, annotator, expires) -> Lease | None:
    """Lease the annotator a work-gold pair of the batch they never had (no lease, no
    judgment, no slot), or None when there is none. One statement on PostgreSQL (with the
    open-lease count: LeaseLimitReached at the limit), like a normal claim's; three elsewhere,
    like the normal claim's slot read, slot write and lease insert there."""
    if connection.vendor == "postgresql":
        return _gold_claim_in_one_statement(batch=batch, annotator=annotator, expires=expires)
    had = {"pair_id": OuterRef("pk"), "annotator": annotator}
    pair = (
        Pair.objects.filter(batch=batch, gold__for_qualification=False, ready_at__isnull=False)
        .exclude(Exists(Lease.objects.filter(**had)))
        .exclude(Exists(Comparison.objects.filter(**had)))
        .exclude(Exists(JudgmentSlot.objects.filter(**had)))
        .annotate(next_index=_next_index())
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .only("pk")
        .first()
    )
    if pair is None:
        return None
    slot = JudgmentSlot.objects.create(
        batch=batch,
        pair_id=pair.pk,
        index=pair.next_index,
        status=JudgmentSlot.Status.LEASED,
        annotator=annotator,
        lease_expires_at=expires,
    )
    return Lease.objects.create(
        slot=slot,
        pair_id=pair.pk,
        batch=batch,
        annotator=annotator,
        left_slot=random.choice("ab"),
        expires_at=expires,
    )


def qualification_pending(*, batch: Batch, annotator) -> bool:
    """Whether the queue should hand this annotator qualification pairs in this batch."""
    if not batch.qualification_required or annotator.is_staff:
        return False
    return not Qualification.objects.filter(
        batch=batch, annotator=annotator, status=Qualification.Status.PASSED
    ).exists()


def qualification_claim(*, batch: Batch, annotator, expires) -> Lease | None:
    """Lease the annotator the first qualification pair (by pair) they have not answered,
    starting their qualification run on the first; None when none is ready for them.

    The same pair comes back until it is answered: a skipped or run-out lease on it is
    reopened (an annotator has one lease per pair) on the slot that is theirs.
    """
    Qualification.objects.get_or_create(batch=batch, annotator=annotator)
    answered = Comparison.objects.filter(pair_id=OuterRef("pk"), annotator=annotator)
    pair = (
        Pair.objects.filter(batch=batch, gold__for_qualification=True, ready_at__isnull=False)
        .exclude(Exists(answered))
        .annotate(next_index=_next_index())
        .order_by("pk")
        .select_for_update(of=("self",))
        .only("pk")
        .first()
    )
    if pair is None:
        return None
    slot = JudgmentSlot.objects.filter(pair_id=pair.pk, annotator=annotator).first()
    if slot is None:
        slot = JudgmentSlot(batch=batch, pair_id=pair.pk, index=pair.next_index)
    slot.status = JudgmentSlot.Status.LEASED
    slot.annotator = annotator
    slot.lease_expires_at = expires
    slot.save()
    lease = (
        Lease.objects.filter(pair_id=pair.pk, annotator=annotator)
        .exclude(status=Lease.Status.RELEASED)
        .first()
    )
    if lease is None:
        return Lease.objects.create(
            slot=slot,
            pair_id=pair.pk,
            batch=batch,
            annotator=annotator,
            left_slot=random.choice("ab"),
            expires_at=expires,
        )
    lease.status, lease.ended_at = Lease.Status.OPEN, None
    lease.slot, lease.expires_at = slot, expires
    lease.save(update_fields=["status", "slot", "expires_at", "ended_at"])
    return lease
