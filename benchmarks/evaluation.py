"""`bench_evaluation`: the variant leaderboard over N comparisons among V variants.

The fill is set-based SQL: one temporary plan table (`generate_series`, one row per
comparison: its variants, screen side, response lengths and outcome drawn from a known
Bradley-Terry model with a left-side and a length effect), then INSERT ... SELECT from it
into pool items, pairs, samples and comparisons, in chunks (each its own transaction, so the
deferred foreign-key checks stay small), ids reserved from the sequences up front. The
comparisons are spread over `iterations` weekly batches.

Then the real job path, in this process: `leaderboard_run_request` (the run and its
fingerprint; not enqueued) and the task function `leaderboard_run_task` (one query into numpy
arrays, the Bradley-Terry fit, the bootstrap, the win-rate matrix, the movement, the stored
result JSON). `peak_rss_mb` is this process's peak during the job alone (VmHWM reset just
before it, as bench_export does), with `rss_before_mb` what the process held when it began.
`cached_s` is the same request again: it finds the stored run by fingerprint. A second run
with position and length controls follows. Everything made is removed unless `keep`.
"""

import math
import time
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from scipy import stats

from apps.accounts.services import user_ensure
from apps.batches.models import Batch, SamplingConfig, Track
from apps.catalog.models import ModelVariant
from apps.leaderboard.models import LeaderboardRun
from apps.leaderboard.options import RankingOptions
from apps.leaderboard.services import leaderboard_run_request
from apps.leaderboard.tasks import leaderboard_run_task
from apps.pools.models import PoolUpload

from .export import _peak_reset, _rss_mb
from .export_fill import _reserve

STEP = 0.15  # true log-odds strength between neighbouring variants
LEFT_EFFECT = 0.2  # true log-odds advantage of the left side
LENGTH_EFFECT = 0.5  # true log-odds effect of (len_a - len_b) / (len_a + len_b)
ANNOTATORS = 50
CHUNK = 200_000


@dataclass
class EvaluationBenchData:
    label: str
    batch_ids: list[int]
    config_ids: list[int]
    user_ids: list[int]
    variant_ids: list[int]
    comparisons: int


def _skip_foreign_key_checks(cursor) -> bool:
    """Inside a transaction: skip the foreign-key triggers until it ends, where allowed.

    The fill's ids are consistent by construction, and the checks (one row-locking lookup per
    reference, at commit) cost more than the inserts. Only a superuser may do this; anyone
    else gets the checks, and the same rows, more slowly.
    """
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def _current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


def _setup(label: str, variants: int, iterations: int):
    variant_rows = [
        ModelVariant.objects.get_or_create(
            name=f"bench-eval-{v:02d}",
            defaults={"source_kind": "hub_id", "source": f"bench/eval-{v:02d}"},
        )[0]
        for v in range(variants)
    ]
    users = [
        user_ensure(username=f"bench-eval-{label}-{i}", password=None)[0] for i in range(ANNOTATORS)
    ]
    batches, configs, uploads = [], [], []
    for t in range(iterations):
        low, high = (
            SamplingConfig.objects.create(variant=v, temperature_min=0.7, temperature_max=0.9)
            for v in (variant_rows[0], variant_rows[1])
        )
        configs += [low.pk, high.pk]
        batch = Batch.objects.create(
            name=f"bench-eval-{label}-week-{t + 1}",
            track=Track.HELPFULNESS,
            sampling_a=low,
            sampling_b=high,
            status=Batch.Status.CLOSED,
            iteration=t + 1,
        )
        batches.append(batch)
        uploads.append(
            PoolUpload.objects.create(
                batch=batch, filename="bench-eval.jsonl", file_format="jsonl", rows=0
            ).pk
        )
    return variant_rows, users, batches, configs, uploads


def evaluation_fill(
    *, comparisons: int, variants: int = 12, iterations: int = 4, seed: float = 0.25
) -> EvaluationBenchData:
    """Insert `comparisons` judged pool pairs between all pairs of `variants` variants."""
    if variants < 2:
        raise ValueError("need at least two variants")
    label = uuid.uuid4().hex[:8]
    with transaction.atomic():
        variant_rows, users, batches, configs, uploads = _setup(label, variants, iterations)
    v_ids = [v.pk for v in variant_rows]
    strengths = [STEP * (v - (variants - 1) / 2) for v in range(variants)]
    with connection.cursor() as cursor:
        ids = {
            table: _reserve(cursor, table, n)
            for table, n in (
                ("pools_poolitem", comparisons),
                ("pairs_pair", comparisons),
                ("pairs_sample", 2 * comparisons),
                ("preferences_comparison", comparisons),
            )
        }
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute("DROP TABLE IF EXISTS bench_eval_plan")
        # One row per comparison; every random draw made once, here.
        cursor.execute(
            """
            CREATE TEMP TABLE bench_eval_plan AS
            WITH g AS (
                SELECT g, g %% %(iters)s AS t, g %% %(v)s AS va,
                       (g %% %(v)s + 1 + (g / %(v)s) %% (%(v)s - 1)) %% %(v)s AS vb,
                       random() < 0.5 AS left_a,
                       20 + floor(random() * 380)::int AS len_a,
                       20 + floor(random() * 380)::int AS len_b,
                       random() AS u, random() AS r
                FROM generate_series(0, %(n)s - 1) g
            )
            SELECT g.*,
                   (%(strength)s::float8[])[va + 1] - (%(strength)s::float8[])[vb + 1]
                   + CASE WHEN left_a THEN %(left)s ELSE -%(left)s END
                   + %(length)s * (len_a - len_b)::float8 / (len_a + len_b) AS z
            FROM g
            """,
            {
                "iters": iterations,
                "v": variants,
                "n": comparisons,
                "strength": strengths,
                "left": LEFT_EFFECT,
                "length": LENGTH_EFFECT,
            },
        )
    params = {
        "batches": [b.pk for b in batches],
        "uploads": uploads,
        "variants": v_ids,
        "users": [u.pk for u in users],
        "item0": ids["pools_poolitem"],
        "pair0": ids["pairs_pair"],
        "sample0": ids["pairs_sample"],
        "comparison0": ids["preferences_comparison"],
        "iters": iterations,
    }
    context = '[{"role": "user", "content": "Which answer is better?"}]'
    statements = (
        f"""INSERT INTO pools_poolitem (id, line_number, context, category, metadata, created_at,
                batch_id, upload_id)
            SELECT %(item0)s + g, g / %(iters)s + 1, '{context}'::jsonb, '', '{{}}'::jsonb,
                   now(), (%(batches)s::bigint[])[t + 1], (%(uploads)s::bigint[])[t + 1]
            FROM bench_eval_plan WHERE g >= %(lo)s AND g < %(hi)s""",
        f"""INSERT INTO pairs_pair (id, context, left_slot, created_at, batch_id, pool_item_id,
                ready_at)
            SELECT %(pair0)s + g, '{context}'::jsonb, CASE WHEN left_a THEN 'a' ELSE 'b' END,
                   now(), (%(batches)s::bigint[])[t + 1], %(item0)s + g, now()
            FROM bench_eval_plan WHERE g >= %(lo)s AND g < %(hi)s""",
        """INSERT INTO pairs_sample (id, slot, temperature, top_p, max_new_tokens, seed, status,
                text, prompt_tokens, completion_tokens, finish_reason, context_truncated,
                attempts, error, worker, created_at, finished_at, pair_id, variant_id, priority,
                supplied)
            SELECT %(sample0)s + 2 * g + s, CASE WHEN s = 0 THEN 'a' ELSE 'b' END, 0.8, 0.9,
                   256, g, 'done', repeat('w', CASE WHEN s = 0 THEN len_a ELSE len_b END), 10,
                   100, 'stop', false, 1, '', 'bench', now(), now(), %(pair0)s + g,
                   (%(variants)s::bigint[])[CASE WHEN s = 0 THEN va ELSE vb END + 1], 1, false
            FROM bench_eval_plan CROSS JOIN (VALUES (0), (1)) AS slots(s)
            WHERE g >= %(lo)s AND g < %(hi)s""",
        f"""INSERT INTO preferences_comparison (id, track, turn_index, context, strength,
                time_spent_ms, created_at, annotator_id, batch_id, chosen_id, left_id, pair_id,
                rejected_id, withdrawn_reason)
            SELECT %(comparison0)s + g, 'helpfulness', 0, '{context}'::jsonb,
                   CASE WHEN r < 0.25 THEN 'significantly_better' WHEN r < 0.55 THEN 'better'
                        WHEN r < 0.85 THEN 'slightly_better'
                        ELSE 'negligibly_better_or_unsure' END,
                   20000, now(), (%(users)s::int[])[g %% {ANNOTATORS} + 1],
                   (%(batches)s::bigint[])[t + 1],
                   %(sample0)s + 2 * g + CASE WHEN chosen_a THEN 0 ELSE 1 END,
                   %(sample0)s + 2 * g + CASE WHEN left_a THEN 0 ELSE 1 END, %(pair0)s + g,
                   %(sample0)s + 2 * g + CASE WHEN chosen_a THEN 1 ELSE 0 END, ''
            FROM (SELECT *, u < 1 / (1 + exp(-z)) AS chosen_a FROM bench_eval_plan) p
            WHERE g >= %(lo)s AND g < %(hi)s""",
    )
    for lo in range(0, comparisons, CHUNK):
        with transaction.atomic(), connection.cursor() as cursor:
            _skip_foreign_key_checks(cursor)
            for sql in statements:
                cursor.execute(sql, params | {"lo": lo, "hi": min(lo + CHUNK, comparisons)})
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_eval_plan")
        for table in ("pools_poolitem", "pairs_pair", "pairs_sample", "preferences_comparison"):
            cursor.execute(f"ANALYZE {table}")
    return EvaluationBenchData(
        label=label,
        batch_ids=[b.pk for b in batches],
        config_ids=configs,
        user_ids=[u.pk for u in users],
        variant_ids=v_ids,
        comparisons=comparisons,
    )


def evaluation_clean(*, data: EvaluationBenchData) -> None:
    """Delete everything `evaluation_fill` inserted, and the runs over its batches."""
    runs = LeaderboardRun.objects.filter(batches__in=data.batch_ids).values_list("pk", flat=True)
    LeaderboardRun.objects.filter(pk__in=list(runs)).delete()
    with transaction.atomic(), connection.cursor() as cursor:
        # Everything that refers to these rows goes too (runs above, the rest in this order).
        _skip_foreign_key_checks(cursor)
        for sql in (
            "DELETE FROM preferences_comparison WHERE batch_id = ANY(%s)",
            "DELETE FROM pairs_sample s USING pairs_pair p "
            "WHERE s.pair_id = p.id AND p.batch_id = ANY(%s)",
            "DELETE FROM pairs_pair WHERE batch_id = ANY(%s)",
            "DELETE FROM pools_poolitem WHERE batch_id = ANY(%s)",
            "DELETE FROM pools_poolupload WHERE batch_id = ANY(%s)",
        ):
            cursor.execute(sql, [data.batch_ids])
    Batch.objects.filter(pk__in=data.batch_ids).delete()
    SamplingConfig.objects.filter(pk__in=data.config_ids).delete()
    get_user_model().objects.filter(pk__in=data.user_ids).delete()


def _timed_run(*, data: EvaluationBenchData, options: RankingOptions) -> dict:
    run, created = leaderboard_run_request(
        batch_ids=data.batch_ids, options=options, user=None, enqueue=False
    )
    if not created:
        raise RuntimeError("a fresh fill found a cached run")
    rss_before = _current_rss_mb()
    _peak_reset()
    started = time.perf_counter()
    status = leaderboard_run_task(run.pk)
    seconds = time.perf_counter() - started
    peak = _rss_mb()
    run.refresh_from_db()
    if status != LeaderboardRun.Status.DONE:
        raise RuntimeError(f"the leaderboard run ended {run.status}: {run.error}")
    started = time.perf_counter()
    again, created = leaderboard_run_request(
        batch_ids=data.batch_ids, options=options, user=None, enqueue=False
    )
    cached_s = time.perf_counter() - started
    if created or again.pk != run.pk:
        raise RuntimeError("the same request did not find the stored run")
    return {"run": run, "seconds": seconds, "peak": peak, "before": rss_before, "cached": cached_s}


def evaluation_bench_run(
    *,
    comparisons: int = 1_000_000,
    variants: int = 12,
    iterations: int = 4,
    bootstrap_rounds: int = 100,
    controlled: bool = True,
    keep: bool = False,
) -> dict:
    started = time.perf_counter()
    data = evaluation_fill(comparisons=comparisons, variants=variants, iterations=iterations)
    fill_s = time.perf_counter() - started
    try:
        plain = _timed_run(data=data, options=RankingOptions(bootstrap_rounds=bootstrap_rounds))
        result = plain["run"].result
        fitted = {v["id"]: v["score"] for v in result["variants"]}
        true_order = list(range(variants))
        correlation = stats.spearmanr(true_order, [fitted[i] for i in data.variant_ids]).statistic
        out = {
            "comparisons": result["comparisons"],
            "variants": len(result["variants"]),
            "iterations": len(result["movement"]["iterations"]),
            "bootstrap_rounds": bootstrap_rounds,
            "leaderboard_s": round(plain["seconds"], 2),
            "peak_rss_mb": round(plain["peak"], 1),
            "rss_before_mb": round(plain["before"], 1),
            "cached_s": round(plain["cached"], 4),
            "fill_s": round(fill_s, 1),
            "rank_correlation_with_truth": round(float(correlation), 4),
            "ties": result["ties"],
        }
        if controlled:
            options = RankingOptions(
                bootstrap_rounds=bootstrap_rounds, position_control=True, length_control=True
            )
            both = _timed_run(data=data, options=options)
            coefficients = both["run"].result["coefficients"]
            out |= {
                "controlled_leaderboard_s": round(both["seconds"], 2),
                "controlled_peak_rss_mb": round(both["peak"], 1),
                "position_coefficient": round(coefficients["position"]["value"], 4),
                "length_coefficient": round(coefficients["length"]["value"], 4),
                "true_position_effect": LEFT_EFFECT,
                "true_length_effect": LENGTH_EFFECT,
            }
        out["kept_batches"] = data.batch_ids if keep else []
        return out
    finally:
        if not keep:
            evaluation_clean(data=data)
