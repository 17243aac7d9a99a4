"""The leaderboard's input rows: one per comparison between two different model variants.

Every source of comparisons (preference batches here, evaluation studies later) hands over
the same columns, so the job ranks their concatenation (`ranking_rows_concat`):

- `variant_a`, `variant_b`: ModelVariant ids (int64). For a preference comparison A is the
  pair's sample in slot "a" and B the one in slot "b"; which of them was on the left is
  random and recorded, so `a_on_left` varies and the position control can measure it.
- `outcome` (int8): +1 A better, 0 tie, -1 B better.
- `level` (int8): 0 tie, 1 slightly better, 2 better, 3 much better.
- `a_on_left` (bool), `length_a`, `length_b` (int64 characters of each response),
  `iteration` (int64, the batch's weekly iteration).

A preference comparison maps significantly/better/slightly better to levels 3/2/1 on the
chosen side. "Negligibly better / unsure" is the four-level scale's nearest thing to the
seven-point scale's tie, and it counts as one (outcome 0, level 0): the paper's reward model
is at chance on those pairs (Llama 2, Table 8), so they carry no preference. Left out: withdrawn
comparisons, comparisons whose two samples come from the same variant (they say nothing about
ranking), and answers on qualification-set gold pairs (they test annotators, not models).
"""

import io

import numpy as np
from django.db import connection

from apps.batches.models import Batch
from apps.pairs.models import Sample
from apps.preferences.models import Comparison, GoldAnswer

COLUMNS = (
    "variant_a",
    "variant_b",
    "outcome",
    "level",
    "a_on_left",
    "length_a",
    "length_b",
    "iteration",
)
DTYPES = {
    "variant_a": np.int64,
    "variant_b": np.int64,
    "outcome": np.int8,
    "level": np.int8,
    "a_on_left": np.bool_,
    "length_a": np.int64,
    "length_b": np.int64,
    "iteration": np.int64,
}
# Comparison weight per level in a strength-weighted fit: the paper's "large" margins
# (Table 27: 3, 2, 1) scaled so that the strongest verdict weighs 1. A tie is as weak a
# statement as the slightest preference.
LEVEL_WEIGHTS = (1 / 3, 1 / 3, 2 / 3, 1.0)
STRENGTH_LEVEL = {
    "significantly_better": 3,
    "better": 2,
    "slightly_better": 1,
    "negligibly_better_or_unsure": 0,
}

RankingRows = dict[str, np.ndarray]
_SMALL = ("outcome", "level", "a_on_left")  # parsed as int8: -1..3


def _query() -> str:
    c, s, b, g = (
        Comparison._meta.db_table,
        Sample._meta.db_table,
        Batch._meta.db_table,
        GoldAnswer._meta.db_table,
    )
    levels = " ".join(f"WHEN '{name}' THEN {level}" for name, level in STRENGTH_LEVEL.items())
    chosen_is_a = "cs.slot = 'a'"
    return f"""
        SELECT
            CASE WHEN {chosen_is_a} THEN cs.variant_id ELSE rs.variant_id END AS variant_a,
            CASE WHEN {chosen_is_a} THEN rs.variant_id ELSE cs.variant_id END AS variant_b,
            CASE WHEN c.strength = 'negligibly_better_or_unsure' THEN 0
                 WHEN {chosen_is_a} THEN 1 ELSE -1 END AS outcome,
            CASE c.strength {levels} END AS level,
            CASE WHEN (c.left_id = c.chosen_id) = ({chosen_is_a}) THEN 1 ELSE 0 END
                AS a_on_left,
            CASE WHEN {chosen_is_a} THEN length(cs.text) ELSE length(rs.text) END AS length_a,
            CASE WHEN {chosen_is_a} THEN length(rs.text) ELSE length(cs.text) END AS length_b,
            bt.iteration AS iteration
        FROM {c} c
        JOIN {s} cs ON cs.id = c.chosen_id
        JOIN {s} rs ON rs.id = c.rejected_id
        JOIN {b} bt ON bt.id = c.batch_id
        LEFT JOIN {g} g ON g.pair_id = c.pair_id
        WHERE c.batch_id IN ({{placeholders}})
          AND c.withdrawn_at IS NULL
          AND cs.variant_id <> rs.variant_id
          AND (g.id IS NULL OR NOT g.for_qualification)
    """


def ranking_rows_empty() -> RankingRows:
    return {name: np.empty(0, dtype=DTYPES[name]) for name in COLUMNS}


def batch_comparisons_for_ranking(*, batch_ids: list[int]) -> RankingRows:
    """The batches' comparisons as ranking rows (see the module docstring), in one query.

    On PostgreSQL the server joins the rows into one CSV text that pandas parses column by
    column (as `apps.quality.arrays` does): no Python object per comparison, so a million
    comparisons stay a few tens of megabytes.
    """
    ids = sorted({int(pk) for pk in batch_ids})
    if not ids:
        return ranking_rows_empty()
    sql = _query().format(placeholders=", ".join(["%s"] * len(ids)))
    if connection.vendor == "postgresql":
        return _rows_copied(sql, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        found = cursor.fetchall()
    if not found:
        return ranking_rows_empty()
    columns = zip(*found, strict=True)
    return {
        name: np.asarray(column, dtype=DTYPES[name])
        for name, column in zip(COLUMNS, columns, strict=True)
    }


def _rows_copied(sql: str, ids: list[int]) -> RankingRows:
    import pandas as pd

    fields = ", ".join(f'q."{name}"' for name in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg(concat_ws(',', {fields}), E'\\n') FROM ({sql}) q", ids)
        text = cursor.fetchone()[0]
    if not text:
        return ranking_rows_empty()
    # Bytes, not a StringIO: that would hold the text as four bytes a character.
    buffer = io.BytesIO(text.encode("ascii"))
    del text
    frame = pd.read_csv(
        buffer,
        header=None,
        names=list(COLUMNS),
        dtype={name: np.int8 if name in _SMALL else np.int64 for name in COLUMNS},
        engine="c",
    )
    del buffer
    return {name: frame[name].to_numpy(dtype=DTYPES[name]) for name in COLUMNS}


def ranking_rows_concat(*parts: RankingRows) -> RankingRows:
    """The rows of several sources (batches, studies) as one set of columns."""
    if not parts:
        return ranking_rows_empty()
    if len(parts) == 1:  # no copy of a million rows for nothing
        return {name: parts[0][name].astype(DTYPES[name], copy=False) for name in COLUMNS}
    return {
        name: np.concatenate([part[name] for part in parts]).astype(DTYPES[name])
        for name in COLUMNS
    }


def ranking_weights(*, level: np.ndarray, strength_weighted: bool) -> np.ndarray:
    """Each row's comparison weight: LEVEL_WEIGHTS by level, or 1 for all."""
    if not strength_weighted:
        return np.ones(level.shape, dtype=float)
    return np.asarray(LEVEL_WEIGHTS, dtype=float)[level.astype(np.intp)]
