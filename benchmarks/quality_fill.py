"""Bulk-fill one batch with pool pairs judged by several annotators for `bench_quality`.

PostgreSQL only, like `export_fill`: users through `user_ensure`, the batch and its sampling
configurations by the ORM (no audit events, so everything can be removed), then pool items,
pairs, samples, comparisons and gold answers with COPY, ids reserved from the sequences.

The judgments behave like a real crowd so the figures mean something: each pair has a true
side and strength, each annotator an accuracy (a few click the left side whatever it shows,
a few rush under the batch's floor), and the screen order is random per judgment.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.services import user_ensure
from apps.batches.models import AnnotatorFlag, Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant
from apps.pools.models import PoolUpload

from .export_fill import SAMPLE_COLUMNS, _reserve, copy_rows

STRENGTHS = ("negligibly_better_or_unsure", "slightly_better", "better", "significantly_better")
CATEGORIES = ("coding", "writing", "reasoning", "advice", "chat", "math", "facts", "")
TABLES = {
    "pools_poolitem": (
        "id",
        "line_number",
        "context",
        "category",
        "metadata",
        "created_at",
        "batch_id",
        "upload_id",
    ),
    "pairs_pair": (
        "id",
        "context",
        "left_slot",
        "created_at",
        "batch_id",
        "pool_item_id",
        "ready_at",
    ),
    "pairs_sample": SAMPLE_COLUMNS,
    "preferences_goldanswer": (
        "id",
        "expected_slot",
        "min_strength",
        "for_qualification",
        "explanation",
        "source",
        "created_at",
        "batch_id",
        "pair_id",
    ),
    "preferences_comparison": (
        "id",
        "track",
        "turn_index",
        "context",
        "strength",
        "time_spent_ms",
        "created_at",
        "annotator_id",
        "batch_id",
        "chosen_id",
        "left_id",
        "pair_id",
        "rejected_id",
        "gold_correct",
        "withdrawn_reason",
    ),
}


@dataclass
class QualityBenchData:
    label: str
    batch_id: int
    user_ids: list[int]
    staff_id: int
    comparisons: int
    pairs: int


def _setup(label: str, annotators: int) -> tuple[Batch, list[int], int, list[ModelVariant]]:
    variants = [
        ModelVariant.objects.get_or_create(
            name=f"bench-{name}", defaults={"source_kind": "hub_id", "source": f"bench/{name}"}
        )[0]
        for name in ("model-a", "model-b")
    ]
    users = [
        user_ensure(username=f"bench-q-{label}-{i}", password=None)[0] for i in range(annotators)
    ]
    staff = user_ensure(username=f"bench-q-{label}-staff", password=None, is_staff=True)[0]
    low, high = (
        SamplingConfig.objects.create(variant=v, temperature_min=t, temperature_max=t + 0.2)
        for v, t in zip(variants, (0.5, 1.0), strict=True)
    )
    batch = Batch.objects.create(
        name=f"bench-quality-{label}",
        track=Track.HELPFULNESS,
        sampling_a=low,
        sampling_b=high,
        status=Batch.Status.CLOSED,
        overlap=5,
        gold_rate=0.05,
        min_seconds_per_judgment=5,
    )
    return batch, [u.pk for u in users], staff.pk, variants


def quality_fill(
    *, pairs: int = 20_000, annotators: int = 200, overlap: int = 5, seed: int = 0
) -> QualityBenchData:
    """Insert `pairs` pool pairs, each judged by `overlap` distinct annotators of `annotators`,
    spread over six weeks; 2% of the pairs are gold, and three annotators are flagged."""
    if overlap > annotators:
        raise ValueError("overlap cannot exceed the number of annotators")
    label = uuid.uuid4().hex[:8]
    rng = random.Random(seed)
    with transaction.atomic():
        batch, user_ids, staff_id, variants = _setup(label, annotators)
        upload = PoolUpload.objects.create(
            batch=batch, filename="bench-quality.jsonl", file_format="jsonl", rows=pairs
        )
    accuracy = [rng.uniform(0.65, 0.95) for _ in user_ids]
    clicks_left = set(rng.sample(range(annotators), k=max(1, annotators // 40)))
    rushes = set(rng.sample(range(annotators), k=max(1, annotators // 40)))
    gold_every = 50
    comparisons = pairs * overlap
    with connection.cursor() as cursor:
        ids = {
            table: _reserve(cursor, table, n)
            for table, n in (
                ("pools_poolitem", pairs),
                ("pairs_pair", pairs),
                ("pairs_sample", 2 * pairs),
                ("preferences_goldanswer", pairs // gold_every + 1),
                ("preferences_comparison", comparisons),
            )
        }
    start = timezone.now() - timedelta(weeks=6)
    out: dict[str, list[tuple]] = {table: [] for table in TABLES}
    k = 0
    for p in range(pairs):
        at = start + timedelta(seconds=p * 6 * 7 * 86400 // pairs)
        item_id, pair_id = ids["pools_poolitem"] + p, ids["pairs_pair"] + p
        sample_a = ids["pairs_sample"] + 2 * p
        context = orjson.dumps([{"role": "user", "content": f"Bench prompt {p}"}]).decode()
        category = CATEGORIES[p % len(CATEGORIES)]
        out["pools_poolitem"].append(
            (item_id, p + 1, context, category, "{}", at, batch.pk, upload.pk)
        )
        out["pairs_pair"].append((pair_id, context, "ab"[p % 2], at, batch.pk, item_id, at))
        for slot in (0, 1):
            out["pairs_sample"].append(
                (sample_a + slot, "ab"[slot], 0.5 + slot / 2, 0.9, 256, p, "done",
                 f"Response {slot} to prompt {p}", 31, 234, "stop", False, 1, "", "bench",
                 at, at, pair_id, variants[slot].pk, 1, False)
            )  # fmt: skip
        true_a = rng.random() < 0.5
        true_level = rng.randrange(4)
        gold = p % gold_every == 0
        if gold:
            out["preferences_goldanswer"].append(
                (ids["preferences_goldanswer"] + p // gold_every, "a" if true_a else "b",
                 STRENGTHS[0], False, "", "admin", at, batch.pk, pair_id)
            )  # fmt: skip
        for who in rng.sample(range(annotators), k=overlap):
            left_a = rng.random() < 0.5
            if who in clicks_left:
                chose_a = left_a
            else:
                chose_a = true_a if rng.random() < accuracy[who] else not true_a
            level = min(3, max(0, true_level + rng.choice((-1, 0, 0, 1))))
            chosen = sample_a + (0 if chose_a else 1)
            rejected = sample_a + (1 if chose_a else 0)
            ms = rng.randint(1000, 4000) if who in rushes else rng.randint(6000, 60000)
            out["preferences_comparison"].append(
                (ids["preferences_comparison"] + k, Track.HELPFULNESS, 0, context,
                 STRENGTHS[level], ms, at + timedelta(seconds=who), user_ids[who], batch.pk,
                 chosen, sample_a if left_a else sample_a + 1, pair_id, rejected,
                 (chose_a == true_a) if gold else None, "")
            )  # fmt: skip
            k += 1
    _copy(out)
    flagged = sorted(clicks_left)[:3]
    AnnotatorFlag.objects.bulk_create(
        AnnotatorFlag(
            batch=batch,
            annotator_id=user_ids[who],
            reason="Gold accuracy under the batch's threshold",
            details={"bench": True},
            pauses_work=index == 0,
        )
        for index, who in enumerate(flagged)
    )
    return QualityBenchData(
        label=label,
        batch_id=batch.pk,
        user_ids=user_ids,
        staff_id=staff_id,
        comparisons=k,
        pairs=pairs,
    )


def _copy(out: dict[str, list[tuple]]) -> None:
    copy_rows(tables=TABLES, out=out)
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")


def quality_clean(*, data: QualityBenchData) -> None:
    """Delete everything `quality_fill` inserted."""
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in (
            "DELETE FROM batches_annotatorflag WHERE batch_id = %s",
            "DELETE FROM preferences_comparison WHERE batch_id = %s",
            "DELETE FROM preferences_goldanswer WHERE batch_id = %s",
            "DELETE FROM pairs_sample WHERE pair_id IN (SELECT id FROM pairs_pair "
            "WHERE batch_id = %s)",
            "DELETE FROM pairs_pair WHERE batch_id = %s",
            "DELETE FROM pools_poolitem WHERE batch_id = %s",
            "DELETE FROM pools_poolupload WHERE batch_id = %s",
        ):
            cursor.execute(sql, [data.batch_id])
    batch = Batch.objects.filter(pk=data.batch_id).first()
    if batch is not None:
        configs = [batch.sampling_a_id, batch.sampling_b_id]
        batch.delete()
        SamplingConfig.objects.filter(pk__in=configs).delete()
    get_user_model().objects.filter(pk__in=[*data.user_ids, data.staff_id]).delete()
