"""The queue's books after a `bench_queue` run, and one claim and submit profiled in-process.

PostgreSQL only (the lease overlap checks use tstzrange).
"""

import json

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.assignments.models import Lease
from apps.preferences.models import Comparison

from .queue_seed import QueueBenchData

DUPLICATE_SQL = {
    # The same annotator judged the same pair twice.
    "same_annotator_twice": """
        SELECT COALESCE(SUM(n - 1), 0) FROM (
            SELECT COUNT(*) AS n FROM preferences_comparison WHERE batch_id = %(batch)s
            GROUP BY pair_id, annotator_id HAVING COUNT(*) > 1) t""",
    # A pair holds more judgments than the batch's overlap.
    "over_overlap": """
        SELECT COALESCE(SUM(n - %(overlap)s), 0) FROM (
            SELECT COUNT(*) AS n FROM preferences_comparison WHERE batch_id = %(batch)s
            GROUP BY pair_id HAVING COUNT(*) > %(overlap)s) t""",
    # Two leases on the same slot whose lifetimes overlap (a lease lives from its claim until
    # it ended, or at the latest until it expired).
    "slot_leased_twice_at_once": """
        SELECT COUNT(*) FROM assignments_lease a JOIN assignments_lease b
          ON a.slot_id = b.slot_id AND a.id < b.id
        WHERE a.batch_id = %(batch)s
          AND tstzrange(a.claimed_at, LEAST(COALESCE(a.ended_at, a.expires_at), a.expires_at))
           && tstzrange(b.claimed_at, LEAST(COALESCE(b.ended_at, b.expires_at), b.expires_at))""",
    # One annotator holding two leases on one pair at once (overlap > 1).
    "pair_leased_twice_to_one_annotator": """
        SELECT COUNT(*) FROM assignments_lease a JOIN assignments_lease b
          ON a.pair_id = b.pair_id AND a.annotator_id = b.annotator_id AND a.id < b.id
        WHERE a.batch_id = %(batch)s
          AND tstzrange(a.claimed_at, LEAST(COALESCE(a.ended_at, a.expires_at), a.expires_at))
           && tstzrange(b.claimed_at, LEAST(COALESCE(b.ended_at, b.expires_at), b.expires_at))""",
}

MISSING_SQL = """
    SELECT COALESCE(SUM(%(overlap)s - COALESCE(c.n, 0)), 0)
    FROM pairs_pair p
    LEFT JOIN (SELECT pair_id, COUNT(*) AS n FROM preferences_comparison
               WHERE batch_id = %(batch)s GROUP BY pair_id) c ON c.pair_id = p.id
    WHERE p.batch_id = %(batch)s AND COALESCE(c.n, 0) < %(overlap)s"""


def bench_check(*, data: QueueBenchData, acknowledged: dict[int, int]) -> dict:
    """The queue's books from the database after a run.

    `acknowledged` maps each comparison id the server answered a submit with to the user id
    that submitted it. Returns duplicates and lost (totals and their parts).
    """
    params = {"batch": data.batch_id, "overlap": data.overlap}
    with connection.cursor() as cursor:
        duplicates = {}
        for name, sql in DUPLICATE_SQL.items():
            cursor.execute(sql, params)
            duplicates[name] = int(cursor.fetchone()[0])
        cursor.execute(MISSING_SQL, params)
        missing = int(cursor.fetchone()[0])
    stored = dict(
        Comparison.objects.filter(pk__in=list(acknowledged), batch_id=data.batch_id).values_list(
            "pk", "annotator_id"
        )
    )
    acknowledged_missing = sum(
        1 for pk, user_id in acknowledged.items() if stored.get(pk) != user_id
    )
    leases = Lease.objects.filter(batch_id=data.batch_id)
    return {
        "duplicates": sum(duplicates.values()),
        "duplicates_detail": duplicates,
        "lost": missing + acknowledged_missing,
        "lost_detail": {
            "judgments_missing": missing,
            "acknowledged_not_stored": acknowledged_missing,
        },
        "judgments_expected": data.pairs * data.overlap,
        "judgments_stored": Comparison.objects.filter(batch_id=data.batch_id).count(),
        "leases": leases.count(),
        "leases_left_open": leases.filter(status=Lease.Status.OPEN).count(),
    }


def _statements(captured: list[dict]) -> list[str]:
    """SQL sent for a request, less the savepoints the rolled-back wrapper adds."""
    skip = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    return [q["sql"] for q in captured if not q["sql"].startswith(skip)]


def _scans(plan: dict) -> list[str]:
    """The plan's scans of the slot table, with the rows they read and threw away."""
    found = []
    if plan.get("Relation Name") == "pairs_judgmentslot":
        found.append(
            f"{plan['Node Type']} {plan.get('Index Name', '')}".strip()
            + f" rows={plan.get('Actual Rows')} removed={plan.get('Rows Removed by Filter', 0)}"
        )
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found


def claim_profile(*, data: QueueBenchData, user_index: int = 0) -> dict:
    """One claim and one submit through the API views in this process, then rolled back.

    Returns the SQL statements each sent (transaction control aside) and EXPLAIN ANALYZE of
    the claim's slot query (the one with SKIP LOCKED) in the state the pool is in now.
    """
    host = next((h for h in settings.ALLOWED_HOSTS if h != "*" and not h.startswith(".")), "")
    client = Client(
        HTTP_HOST=host or "localhost",
        HTTP_AUTHORIZATION=f"Token {data.token_keys[user_index]}",
    )
    result: dict = {}
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                f"/api/queue/batches/{data.batch_id}/claim/",
                data={},
                content_type="application/json",
            )
        claim_sql = _statements(captured.captured_queries)
        result["claim_status"] = response.status_code
        result["claim_statements"] = len(claim_sql)
        select = next((sql for sql in claim_sql if "SKIP LOCKED" in sql), None)
        if select is not None:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + select)
                explained = cursor.fetchone()[0]
            explained = json.loads(explained) if isinstance(explained, str) else explained
            result["claim_select_ms"] = round(explained[0]["Execution Time"], 3)
            result["claim_select_scans"] = _scans(explained[0]["Plan"])
        if response.status_code == 201:
            lease_id = response.json()["id"]
            with CaptureQueriesContext(connection) as captured:
                response = client.post(
                    f"/api/queue/leases/{lease_id}/submit/",
                    data={"chosen_side": "left", "strength": "better", "time_spent_ms": 1000},
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY="bench-profile",
                )
            result["submit_status"] = response.status_code
            result["submit_statements"] = len(_statements(captured.captured_queries))
        transaction.set_rollback(True)
    return result
