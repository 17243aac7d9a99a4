"""Seed a prompt pool for `bench_queue`, check the queue's books afterwards, and clean up.

PostgreSQL only. Everything the bench creates carries a unique label (`bench-queue-<hex>`) in
its name, and `bench_clean` deletes exactly those rows, in an order the PROTECT foreign keys
allow.
"""

import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.services import api_token_create
from apps.assignments.models import Lease
from apps.batches.models import Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pools.models import PoolItem, PoolUpload
from apps.preferences.models import Comparison

RESPONSES = (
    "Here is a short, direct answer with one example.",
    "Let me explain step by step, then summarise the résumé of the idea.",
    "I would rather not guess; here is what is known and what is not.",
)


@dataclass
class QueueBenchData:
    label: str
    batch_id: int
    overlap: int
    pairs: int
    user_ids: list[int]
    config_ids: list[int]
    token_keys: list[str] = field(repr=False)


def database_url(*, conn_max_age: int = 0) -> str:
    """A DATABASE_URL for the database this process is connected to (the test one in tests)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or ""
    if host.startswith("/"):  # a Unix socket directory
        host = quote(host, safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    params = {k: v for k, v in (db.get("OPTIONS") or {}).items() if isinstance(v, str | int)}
    if conn_max_age:
        params["conn_max_age"] = conn_max_age
    query = urlencode(params)
    url = f"postgres://{auth}{host}{port}/{quote(db['NAME'], safe='')}"
    return f"{url}?{query}" if query else url


def bench_seed(*, pairs: int, annotators: int, overlap: int) -> QueueBenchData:
    """An open pool batch: `pairs` ready pool pairs with `overlap` free slots each, and
    `annotators` users with a writable API token each."""
    label = f"bench-queue-{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    with transaction.atomic():
        variants = [
            ModelVariant.objects.get_or_create(
                name=f"bench-queue-{name}",
                defaults={"source_kind": "hub_id", "source": f"bench/{name}"},
            )[0]
            for name in ("model-a", "model-b")
        ]
        configs = [
            SamplingConfig.objects.create(variant=v, temperature_min=t, temperature_max=t)
            for v, t in zip(variants, (0.5, 1.0), strict=True)
        ]
        batch = Batch.objects.create(
            name=label,
            track=Track.HELPFULNESS,
            sampling_a=configs[0],
            sampling_b=configs[1],
            status=Batch.Status.OPEN,
            overlap=overlap,
            allow_written_prompts=False,
            target_comparisons=max(1, pairs * overlap),
        )
        upload = PoolUpload.objects.create(
            batch=batch, filename=f"{label}.jsonl", file_format="jsonl", rows=pairs
        )
        contexts = [
            [{"role": "user", "content": f"Bench prompt {i}: explain x{i}."}] for i in range(pairs)
        ]
        items = PoolItem.objects.bulk_create(
            PoolItem(batch=batch, upload=upload, line_number=i + 1, context=contexts[i])
            for i in range(pairs)
        )
        pair_rows = Pair.objects.bulk_create(
            Pair(
                batch=batch,
                pool_item=item,
                context=contexts[i],
                left_slot="ab"[i % 2],
                ready_at=now,
            )
            for i, item in enumerate(items)
        )
        Sample.objects.bulk_create(
            Sample(
                pair=pair,
                slot=slot,
                variant=config.variant,
                temperature=config.temperature_min,
                top_p=config.top_p,
                max_new_tokens=config.max_new_tokens,
                seed=i,
                status=Sample.Status.DONE,
                text=RESPONSES[(i + (slot == "b")) % len(RESPONSES)],
                prompt_tokens=12,
                completion_tokens=14,
                finish_reason="stop",
                attempts=1,
                finished_at=now,
            )
            for i, pair in enumerate(pair_rows)
            for slot, config in (("a", configs[0]), ("b", configs[1]))
        )
        JudgmentSlot.objects.bulk_create(
            JudgmentSlot(batch=batch, pair=pair, index=index)
            for pair in pair_rows
            for index in range(overlap)
        )
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"{label}-{i}", password=make_password(None))
            for i in range(annotators)
        )
        keys = [api_token_create(user=user, name=label, read_only=False)[1] for user in users]
    with connection.cursor() as cursor:
        for table in ("pairs_judgmentslot", "pairs_pair", "pairs_sample"):
            cursor.execute(f"ANALYZE {table}")
    return QueueBenchData(
        label=label,
        batch_id=batch.pk,
        overlap=overlap,
        pairs=pairs,
        user_ids=[u.pk for u in users],
        config_ids=[c.pk for c in configs],
        token_keys=keys,
    )


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


def bench_clean(*, data: QueueBenchData) -> None:
    """Delete everything `bench_seed` created and everything the run stored in its batch."""
    batch = data.batch_id
    with transaction.atomic():
        Lease.objects.filter(batch_id=batch).delete()
        Comparison.objects.filter(batch_id=batch).delete()
        JudgmentSlot.objects.filter(batch_id=batch).delete()
        Sample.objects.filter(pair__batch_id=batch).delete()
        Pair.objects.filter(batch_id=batch).delete()
        PoolItem.objects.filter(batch_id=batch).delete()
        PoolUpload.objects.filter(batch_id=batch).delete()
        Batch.objects.filter(pk=batch).delete()
        SamplingConfig.objects.filter(pk__in=data.config_ids).delete()
        get_user_model().objects.filter(pk__in=data.user_ids).delete()
