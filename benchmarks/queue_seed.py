"""Seed a prompt pool for `bench_queue`, and clean it up afterwards.

The pairs come from the one pair-creation service (apps.pairs.services.pairs_create, without
waking the workers), the users and tokens from the accounts services. PostgreSQL only.
Everything the bench creates carries a unique label (`bench-queue-<hex>`) in its name, and
`bench_clean` deletes exactly those rows, in an order the PROTECT foreign keys allow.
"""

import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.services import api_token_create, user_ensure
from apps.assignments.models import Lease
from apps.batches.models import Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pairs.services import PairSpec, pairs_create
from apps.pools.models import PoolItem, PoolUpload
from apps.preferences.models import Comparison

RESPONSES = (
    "Here is a short, direct answer with one example.",
    "Let me explain step by step, then summarise the résumé of the idea.",
    "I would rather not guess; here is what is known and what is not.",
)
CHUNK_PAIRS = 2000  # pairs per pairs_create call


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
        # Not batch_create/batch_open, nor pool_import: they record audit events, which are
        # append-only and PROTECT their actor, and the bench must leave nothing behind; the
        # import would also wake the workers for pairs the bench marks done itself.
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
        items = PoolItem.objects.bulk_create(
            (
                PoolItem(
                    batch=batch,
                    upload=upload,
                    line_number=i + 1,
                    context=[{"role": "user", "content": f"Bench prompt {i}: explain x{i}."}],
                )
                for i in range(pairs)
            ),
            batch_size=CHUNK_PAIRS,
        )
        made: list[Pair] = []
        for first in range(0, pairs, CHUNK_PAIRS):
            specs = [
                PairSpec(context=item.context, pool_item=item, left_slot="ab"[i % 2])
                for i, item in enumerate(items[first : first + CHUNK_PAIRS], start=first)
            ]
            made += pairs_create(batch=batch, specs=specs, judgments=overlap, enqueue=False)
        _samples_finish(pair_ids=[pair.pk for pair in made])
        users = [
            # A password nobody knows: the annotators use their API tokens only.
            user_ensure(username=f"{label}-{i}", password=None)[0]
            for i in range(annotators)
        ]
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


def _samples_finish(*, pair_ids: list[int]) -> None:
    """Mark the pairs' samples generated and the pairs ready, as a worker would (the worker's
    own services claim the oldest pending samples anywhere, so the bench does not call them).
    Pair i gets RESPONSES[i % 3] on side a and the next one on side b."""
    now = timezone.now()
    for offset in range(len(RESPONSES)):
        group = pair_ids[offset :: len(RESPONSES)]
        for slot, shift in (("a", 0), ("b", 1)):
            Sample.objects.filter(pair_id__in=group, slot=slot).update(
                status=Sample.Status.DONE,
                text=RESPONSES[(offset + shift) % len(RESPONSES)],
                prompt_tokens=12,
                completion_tokens=14,
                finish_reason="stop",
                attempts=1,
                finished_at=now,
            )
    Pair.objects.filter(pk__in=pair_ids).update(ready_at=now)


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
