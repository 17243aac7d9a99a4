"""The queue's claims as single PostgreSQL statements: the open-lease count, the slot pick, the
slot write and the lease in one round trip (see `apps.assignments.services` for the rules and
the ORM path SQLite takes). The gold pair's statement (`gold_mixing`) shares the pieces here.
"""

import random

from django.db import connection

from apps.batches.models import Batch
from apps.preferences.errors import Refused

from .models import Lease


class LeaseLimitReached(Refused):
    """The annotator holds the most leases the batch allows: nothing is handed out."""


# The slot pick, the lease it ends (run out, someone else's), the slot write and the lease
# (the annotator's own run-out lease on the pair reopened, else a new one) in one statement.
# Data-modifying CTEs share one snapshot and the row lock of `slot`, so this is the ORM path
# below (SQLite) with the same WHERE clause, order and SKIP LOCKED, in one round trip.
_CLAIM_SQL = """
WITH {held_cte}, slot AS (
    SELECT s.id, s.pair_id, s.status,
        (SELECT l.id FROM assignments_lease l
         WHERE l.pair_id = s.pair_id AND l.annotator_id = %(annotator)s
           AND l.status = 'expired' LIMIT 1) AS ran_out_id
    FROM pairs_judgmentslot s JOIN pairs_pair p ON p.id = s.pair_id
    WHERE (SELECT n FROM held) < %(max_open)s
      AND s.batch_id = %(batch)s AND p.ready_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM preferences_goldanswer g WHERE g.pair_id = s.pair_id)
      AND s.status IN ('free', 'leased')  -- the partial index slot_claimable: no done rows
      AND (s.status = 'free' OR s.lease_expires_at < %(now)s)
      AND s.pair_id NOT IN (
          SELECT l.pair_id FROM assignments_lease l
          WHERE l.annotator_id = %(annotator)s AND l.batch_id = %(batch)s
            AND l.status NOT IN ('released', 'expired'))
    ORDER BY s.pair_id, s."index"
    LIMIT 1
    FOR UPDATE OF s SKIP LOCKED
), ended AS (
    UPDATE assignments_lease SET status = 'expired', ended_at = %(now)s
    WHERE slot_id IN (SELECT id FROM slot WHERE status = 'leased') AND status = 'open'
), taken AS (
    UPDATE pairs_judgmentslot s
    SET status = 'leased', annotator_id = %(annotator)s, lease_expires_at = %(expires)s
    FROM slot WHERE s.id = slot.id
), reopened AS (
    UPDATE assignments_lease l
    SET status = 'open', ended_at = NULL, slot_id = slot.id, expires_at = %(expires)s
    FROM slot WHERE l.id = slot.ran_out_id
    RETURNING {lease_columns}
), created AS (
    INSERT INTO assignments_lease (slot_id, pair_id, batch_id, annotator_id, left_slot, status,
        claimed_at, expires_at, ended_at, skip_reason, flag_reason, flag_note, idempotency_key)
    SELECT slot.id, slot.pair_id, %(batch)s, %(annotator)s, %(left_slot)s, 'open',
        %(now)s, %(expires)s, NULL, '', '', '', ''
    FROM slot WHERE slot.ran_out_id IS NULL
    RETURNING {lease_columns}
)
SELECT held.n, leased.* FROM held
LEFT JOIN (SELECT * FROM reopened UNION ALL SELECT * FROM created) leased ON true
"""

# The annotator's live leases in the batch, read in the claim's statement (after the
# advisory lock, so it sees what the claim before committed): a claim at the limit leases
# nothing and says how many they hold. Used by the gold pair's statement too.
HELD_CTE = """held AS (
    SELECT count(*) AS n FROM assignments_lease
    WHERE annotator_id = %(annotator)s AND batch_id = %(batch)s AND status = 'open'
      AND expires_at > %(now)s
)"""


def held_and_lease(*, row, batch: Batch, annotator) -> tuple[int, Lease | None]:
    """(live leases held before the claim, the Lease leased or None) from a claim statement's
    row `n, {lease_columns}`: the lease is built from what the statement returned."""
    held, columns = row[0], row[1:]
    if columns[0] is None:
        return held, None
    fields = Lease._meta.concrete_fields
    lease = Lease.from_db(connection.alias, [f.attname for f in fields], list(columns))
    lease.batch, lease.annotator = batch, annotator
    return held, lease


def lease_limit_check(*, held: int, batch: Batch) -> None:
    if held >= batch.max_open_leases:
        raise LeaseLimitReached(
            f"You already hold {held} pairs of this batch (the most allowed is "
            f"{batch.max_open_leases}). Judge, skip or release one first."
        )


def lease_columns(table: str) -> str:
    return ", ".join(f"{table}.{f.column}" for f in Lease._meta.concrete_fields)


def slot_lease_in_one_statement(*, batch: Batch, annotator, now, expires) -> Lease | None:
    sql = _CLAIM_SQL.replace("{held_cte}", HELD_CTE).replace("{lease_columns}", "{}")
    parts = sql.split("{}")
    sql = parts[0] + lease_columns("l") + parts[1] + lease_columns("assignments_lease") + parts[2]
    params = {
        "batch": batch.pk,
        "annotator": annotator.pk,
        "now": now,
        "expires": expires,
        "left_slot": random.choice("ab"),
        "max_open": batch.max_open_leases,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    held, lease = held_and_lease(row=row, batch=batch, annotator=annotator)
    lease_limit_check(held=held, batch=batch)
    return lease
