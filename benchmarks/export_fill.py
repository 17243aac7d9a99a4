"""Bulk-fill the database with realistic comparisons for `bench_export`, and remove them.

PostgreSQL only. The users come from the accounts service; the rest goes in with COPY, in
chunks of dialogues, each chunk its own transaction (deferred foreign-key checks stay small),
ids reserved from the sequences up front. Dialogues, turns and comparisons have no bulk
service. Pairs and samples do (`pairs_create`), but it makes pending samples the fill must then
rewrite as done, and the pairs again as ready: at 100,000 rows (2-core VM, idle) that took
49.7 s against 14.1 s with COPY, and left the sample and pair tables 25% and 100% larger with
dead rows for the export to read past. COPY writes what `pairs_create` and a worker would leave.
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
from apps.batches.models import Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant

STRENGTHS = ("significantly_better", "better", "slightly_better", "negligibly_better_or_unsure")
SAFETY = ((True, False), (True, True), (False, False))
WORDS = (
    "the model answer context reward helpful safe because first then however example "
    "données réponse naïve Grüße 答案 例子 ☀️ résumé"
).split()

# Every column of a done sample, in the order the fills write them (shared with quality_fill).
SAMPLE_COLUMNS = (
    "id",
    "slot",
    "temperature",
    "top_p",
    "max_new_tokens",
    "seed",
    "status",
    "text",
    "prompt_tokens",
    "completion_tokens",
    "finish_reason",
    "context_truncated",
    "attempts",
    "error",
    "worker",
    "created_at",
    "finished_at",
    "pair_id",
    "variant_id",
    "priority",
    "supplied",
)

TABLES = {
    "dialogues_dialogue": ("id", "status", "created_at", "updated_at", "annotator_id", "batch_id"),
    "dialogues_turn": (
        "id",
        "index",
        "role",
        "text",
        "created_at",
        "dialogue_id",
        "source_sample_id",
    ),
    "pairs_pair": (
        "id",
        "context",
        "left_slot",
        "created_at",
        "dialogue_id",
        "user_turn_id",
        "batch_id",
        "ready_at",
    ),
    "pairs_sample": SAMPLE_COLUMNS,
    "preferences_comparison": (
        "id",
        "track",
        "turn_index",
        "context",
        "strength",
        "chosen_is_safe",
        "rejected_is_safe",
        "time_spent_ms",
        "created_at",
        "annotator_id",
        "batch_id",
        "chosen_id",
        "left_id",
        "pair_id",
        "rejected_id",
        "withdrawn_reason",
    ),
}


@dataclass
class BenchData:
    label: str
    batch_ids: list[int]
    user_ids: list[int]
    rows: int


def _text(rng: random.Random, chars: int) -> str:
    words, size = [], 0
    while size < chars:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def _reserve(cursor, table: str, count: int) -> int:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    start = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [sequence, start + count])
    return start


def _setup(label: str) -> tuple[list[Batch], list[int], list[ModelVariant]]:
    variants = [
        ModelVariant.objects.get_or_create(
            name=f"bench-{name}", defaults={"source_kind": "hub_id", "source": f"bench/{name}"}
        )[0]
        for name in ("model-a", "model-b")
    ]
    users = [
        # A password nobody knows: nobody logs in as these annotators.
        user_ensure(username=f"bench-{label}-{i}", password=None)[0]
        for i in range(8)
    ]
    # Not batch_create/batch_open/batch_close: they record audit events, which are
    # append-only and PROTECT their actor, and `bench_clean` must remove everything.
    batches = []
    for track in (Track.HELPFULNESS, Track.SAFETY):
        low, high = (
            SamplingConfig.objects.create(variant=v, temperature_min=t, temperature_max=t + 0.2)
            for v, t in zip(variants, (0.5, 1.0), strict=True)
        )
        batches.append(
            Batch.objects.create(
                name=f"bench-export-{label}-{track}",
                track=track,
                sampling_a=low,
                sampling_b=high,
                status=Batch.Status.CLOSED,
                max_turns=8,
            )
        )
    return batches, [u.pk for u in users], variants


def bench_fill(
    *,
    rows: int,
    response_chars: int = 600,
    prompt_chars: int = 120,
    turns: int = 4,
    chunk_dialogues: int = 5000,
    seed: int = 0,
) -> BenchData:
    """Insert `rows` comparisons: dialogues of `turns` judged turns, 1 in 5 on the safety track."""
    label = uuid.uuid4().hex[:8]
    rng = random.Random(seed)
    with transaction.atomic():
        batches, user_ids, variants = _setup(label)
    responses = [_text(rng, response_chars) for _ in range(997)]
    prompts = [_text(rng, prompt_chars) for _ in range(499)]
    dialogues = -(-rows // turns)
    with connection.cursor() as cursor:
        ids = {
            table: _reserve(cursor, table, n)
            for table, n in (
                ("dialogues_dialogue", dialogues),
                ("dialogues_turn", 2 * rows),
                ("pairs_pair", rows),
                ("pairs_sample", 2 * rows),
                ("preferences_comparison", rows),
            )
        }
    now = timezone.now() - timedelta(days=7)
    k = 0
    for first in range(0, dialogues, chunk_dialogues):
        out = {table: [] for table in TABLES}
        for d in range(first, min(first + chunk_dialogues, dialogues)):
            dialogue_id = ids["dialogues_dialogue"] + d
            safety = d % 5 == 0
            batch = batches[1 if safety else 0]
            annotator = user_ids[d % len(user_ids)]
            at = now + timedelta(seconds=d)
            out["dialogues_dialogue"].append((dialogue_id, "finished", at, at, annotator, batch.pk))
            messages: list[dict] = []
            for t in range(min(turns, rows - k)):
                turn_id = ids["dialogues_turn"] + 2 * k
                pair_id = ids["pairs_pair"] + k
                sample_a = ids["pairs_sample"] + 2 * k
                prompt = prompts[(k * 7) % len(prompts)]
                messages.append({"role": "user", "content": prompt})
                context = orjson.dumps(messages).decode()
                texts = (responses[(k * 13) % 997], responses[(k * 31 + 5) % 997])
                chosen_slot = k % 2
                chosen, rejected = sample_a + chosen_slot, sample_a + 1 - chosen_slot
                out["dialogues_turn"].append(
                    (turn_id, 2 * t, "user", prompt, at, dialogue_id, None)
                )
                out["pairs_pair"].append(
                    (pair_id, context, "a", at, dialogue_id, turn_id, batch.pk, at)
                )
                for slot in (0, 1):
                    out["pairs_sample"].append(
                        (
                            sample_a + slot,
                            "ab"[slot],
                            0.5 + slot / 2,
                            0.9,
                            256,
                            k,
                            "done",
                            texts[slot],
                            31,
                            234,
                            "stop",
                            False,
                            1,
                            "",
                            "bench",
                            at,
                            at,
                            pair_id,
                            variants[slot].pk,
                            0,  # live: a written prompt's pair
                            False,
                        )
                    )
                out["dialogues_turn"].append(
                    (
                        turn_id + 1,
                        2 * t + 1,
                        "assistant",
                        texts[chosen_slot],
                        at,
                        dialogue_id,
                        chosen,
                    )
                )
                chosen_safe, rejected_safe = SAFETY[k % 3] if safety else (None, None)
                out["preferences_comparison"].append(
                    (
                        ids["preferences_comparison"] + k,
                        batch.track,
                        2 * t,
                        context,
                        STRENGTHS[k % 4],
                        chosen_safe,
                        rejected_safe,
                        20000 + k % 9000,
                        at,
                        annotator,
                        batch.pk,
                        chosen,
                        sample_a,
                        pair_id,
                        rejected,
                        "",
                    )
                )
                messages.append({"role": "assistant", "content": texts[chosen_slot]})
                k += 1
        _copy_chunk(out)
    return BenchData(label=label, batch_ids=[b.pk for b in batches], user_ids=user_ids, rows=k)


def _copy_chunk(out: dict[str, list[tuple]]) -> None:
    copy_rows(tables=TABLES, out=out)


def copy_rows(*, tables: dict[str, tuple[str, ...]], out: dict[str, list[tuple]]) -> None:
    """COPY each table's rows in one transaction (constraints are checked at commit)."""
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for table, columns in tables.items():
            quoted = ", ".join(f'"{c}"' for c in columns)
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in out[table]:
                    copy.write_row(row)


def bench_clean(*, data: BenchData) -> None:
    """Delete everything `bench_fill` inserted (constraints are checked at commit)."""
    with transaction.atomic(), connection.cursor() as cursor:
        dialogues = "SELECT id FROM dialogues_dialogue WHERE batch_id = ANY(%s)"
        for sql in (
            "DELETE FROM preferences_comparison WHERE batch_id = ANY(%s)",
            f"DELETE FROM dialogues_turn WHERE dialogue_id IN ({dialogues})",
            f"DELETE FROM pairs_sample WHERE pair_id IN (SELECT id FROM pairs_pair "
            f"WHERE dialogue_id IN ({dialogues}))",
            f"DELETE FROM pairs_pair WHERE dialogue_id IN ({dialogues})",
            "DELETE FROM dialogues_dialogue WHERE batch_id = ANY(%s)",
        ):
            cursor.execute(sql, [data.batch_ids])
    batches = Batch.objects.filter(pk__in=data.batch_ids)
    configs = [pk for b in batches for pk in (b.sampling_a_id, b.sampling_b_id)]
    batches.delete()
    SamplingConfig.objects.filter(pk__in=configs).delete()
    get_user_model().objects.filter(pk__in=data.user_ids).delete()
