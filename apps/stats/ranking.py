"""Bradley-Terry leaderboard of model variants from pairwise comparisons.

Scores are on the natural log-odds scale: P(i beats j) = 1 / (1 + exp(s_j - s_i)), a tie
counting as half a win each way, centred to mean 0 over the variants that were compared
(Elo-like points are 400 / ln 10 = 173.7 per unit). A comparison's weight (its strength level,
the caller's choice) multiplies its contribution to the likelihood.

Every fit runs on aggregated rows, one per distinct (A, B, outcome, weight), so a million
comparisons cost as much as a few hundred rows. A bootstrap round redraws the rows' counts from
a multinomial, which is exactly resampling comparisons with replacement.

`prior` adds that weight of virtual ties between every pair of compared variants: a variant
that always wins (or loses) keeps a finite score, all ties give equal scores, and groups of
variants never compared with each other still get defined (shrunk) scores. A variant with no
comparison at all has a NaN score.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import evalica
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

# evalica's Winner codes (Draw 0, X 1, Y 2) for outcomes -1 (B won), 0 (tie), 1 (A won).
_WINNER = np.array([2, 0, 1], dtype=np.uint8)
_TOLERANCE = 1e-12
_ITERATION_LIMIT = 100_000


@dataclass(frozen=True)
class Leaderboard:
    """Scores per variant code with percentile bootstrap intervals (NaN: never compared).

    `coefficients` hold the covariates' log-odds effects in a controlled fit (empty otherwise),
    `coefficient_ci` their intervals; every interval is NaN when `n_boot` was 0.
    """

    scores: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_comparisons: np.ndarray
    coefficients: dict[str, float] = field(default_factory=dict)
    coefficient_ci: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparisons:
    """Validated comparisons aggregated on distinct rows (shared with style control).

    `rows` holds one column per key (a, b, outcome, weight level, then any controls), `count`
    how many comparisons each row stands for and `weight` each row's comparison weight.
    """

    rows: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    n_variants: int
    n_comparisons: np.ndarray


def comparisons_aggregate(
    *,
    variant_a: npt.ArrayLike,
    variant_b: npt.ArrayLike,
    outcome: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    n_variants: int | None = None,
    extra: tuple[np.ndarray, ...] = (),
) -> Comparisons:
    """Check comparisons and aggregate them on distinct (a, b, outcome, weight, *extra) rows.

    Variants are integer codes 0..n_variants-1, `outcome` is 1 (A won), 0 (tie) or -1 (B won),
    `weight` non-negative (1 when omitted; it should take few distinct values, such as one per
    strength level). A variant compared with itself says nothing about ranking: such rows are
    dropped. Raises ValueError on empty or malformed input.
    """
    a = np.asarray(variant_a)
    b = np.asarray(variant_b)
    y = np.asarray(outcome)
    w = np.ones(a.shape, dtype=float) if weight is None else np.asarray(weight, dtype=float)
    if len({array.shape for array in (a, b, y, w, *extra)}) > 1 or a.ndim != 1:
        raise ValueError("all per-comparison arrays must be 1-D of the same length")
    if a.size == 0:
        raise ValueError("no comparisons to rank")
    if not (np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
        raise ValueError("variants must be integer codes")
    n = int(max(a.max(), b.max())) + 1 if n_variants is None else n_variants
    if min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n:
        raise ValueError("variant codes must lie in 0..n_variants-1")
    if not np.isin(y, (-1, 0, 1)).all():
        raise ValueError("outcome must be 1 (A won), 0 (tie) or -1 (B won)")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError("weights must be finite and non-negative")
    other = a != b
    if not other.any():
        raise ValueError("no comparisons between two different variants")
    levels, level = np.unique(w[other], return_inverse=True)
    offsets = np.array([column[other].min() for column in extra], dtype=np.int64)
    columns = [a[other], b[other], y[other] + 1, level]
    columns += [column[other] - offset for column, offset in zip(extra, offsets, strict=True)]
    # One mixed-radix key per comparison: sorting integers is far cheaper than sorting rows.
    sizes = [int(column.max()) + 1 for column in columns]
    keys, count = np.unique(np.ravel_multi_index(columns, sizes), return_counts=True)
    rows = np.stack(np.unravel_index(keys, sizes), axis=1)
    rows[:, 4:] += offsets
    seen = np.bincount(columns[0], minlength=n) + np.bincount(columns[1], minlength=n)
    return Comparisons(
        rows=rows, count=count, weight=levels[rows[:, 3]], n_variants=n, n_comparisons=seen
    )


def bradley_terry_fit(
    *,
    variant_a: npt.ArrayLike,
    variant_b: npt.ArrayLike,
    outcome: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    n_variants: int | None = None,
    prior: float = 1.0,
    n_boot: int = 100,
    confidence: float = 0.95,
    seed: int = 0,
) -> Leaderboard:
    """Bradley-Terry scores of the variants (evalica's fit) with bootstrap intervals.

    Inputs as in `comparisons_aggregate`; `prior` (> 0) is the weight of virtual ties between
    each pair of compared variants. Intervals resample comparisons `n_boot` times.
    """
    data = comparisons_aggregate(
        variant_a=variant_a,
        variant_b=variant_b,
        outcome=outcome,
        weight=weight,
        n_variants=n_variants,
    )
    if not prior > 0:
        raise ValueError("prior must be positive: it keeps scores finite")
    return _bootstrapped(
        data,
        lambda weight: _evalica_scores(data.rows, weight, data.n_variants, prior),
        n_boot,
        confidence,
        seed,
    )


def win_rate_matrix(
    *,
    variant_a: npt.ArrayLike,
    variant_b: npt.ArrayLike,
    outcome: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    n_variants: int | None = None,
) -> np.ndarray:
    """Observed pairwise win rates: M[i, j] is the weighted share of i-vs-j comparisons i won.

    A tie counts half to each side, so M[i, j] + M[j, i] = 1; NaN where i and j never met and
    on the diagonal.
    """
    data = comparisons_aggregate(
        variant_a=variant_a,
        variant_b=variant_b,
        outcome=outcome,
        weight=weight,
        n_variants=n_variants,
    )
    n = data.n_variants
    a, b, y = data.rows[:, 0], data.rows[:, 1], data.rows[:, 2] / 2
    w = data.count * data.weight
    cells = n * n
    won = np.bincount(a * n + b, w * y, cells) + np.bincount(b * n + a, w * (1 - y), cells)
    met = np.bincount(a * n + b, w, cells) + np.bincount(b * n + a, w, cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = (won / met).reshape(n, n)
    np.fill_diagonal(matrix, np.nan)
    return matrix


@dataclass(frozen=True)
class Movement:
    """Scores and ranks per iteration (rows, in `iterations` order; NaN: variant absent).

    `rank_change[t]` is rank at t minus rank at t+1 (positive: moved up). `score_change[t]`
    compares t+1 with t after centring both on the variants compared in both iterations.
    """

    iterations: list
    scores: np.ndarray
    ranks: np.ndarray
    score_change: np.ndarray
    rank_change: np.ndarray


def leaderboard_movement(
    *,
    iteration: npt.ArrayLike,
    variant_a: npt.ArrayLike,
    variant_b: npt.ArrayLike,
    outcome: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    n_variants: int | None = None,
    prior: float = 1.0,
    cumulative: bool = False,
) -> Movement:
    """How each variant moved between (weekly) iterations of the Bradley-Terry leaderboard.

    One fit per iteration label (sorted), on that iteration's comparisons, or on it and all
    earlier ones with `cumulative`. Ranks are 1 for the best, ties sharing the lowest rank.
    """
    labels, code = np.unique(np.asarray(iteration), return_inverse=True)
    data = comparisons_aggregate(
        variant_a=variant_a,
        variant_b=variant_b,
        outcome=outcome,
        weight=weight,
        n_variants=n_variants,
        extra=(code,),
    )
    scores = np.full((len(labels), data.n_variants), np.nan)
    for t in range(len(labels)):
        keep = data.rows[:, 4] <= t if cumulative else data.rows[:, 4] == t
        if keep.any():
            scores[t] = _evalica_scores(
                data.rows[keep], data.count[keep] * data.weight[keep], data.n_variants, prior
            )
    ranks = np.full_like(scores, np.nan)
    present = ~np.isnan(scores)
    for t in range(len(labels)):
        ranks[t, present[t]] = stats.rankdata(-scores[t, present[t]], method="min")
    both = present[1:] & present[:-1]
    with np.errstate(invalid="ignore"):
        centred = [
            np.where(both, s - np.nanmean(np.where(both, s, np.nan), axis=1, keepdims=True), 0)
            for s in (scores[1:], scores[:-1])
        ]
    return Movement(
        iterations=labels.tolist(),
        scores=scores,
        ranks=ranks,
        score_change=np.where(both, centred[0] - centred[1], np.nan),
        rank_change=ranks[:-1] - ranks[1:],
    )


def _evalica_scores(rows: np.ndarray, weight: np.ndarray, n: int, prior: float) -> np.ndarray:
    """Bradley-Terry log-strengths from aggregated rows by evalica's MM algorithm."""
    present, compact = _present_variants(rows, n)
    tie_a, tie_b = np.triu_indices(present.size, 1)
    result = evalica.bradley_terry(
        xs=np.concatenate([compact[:, 0], tie_a]),
        ys=np.concatenate([compact[:, 1], tie_b]),
        winners=np.concatenate([_WINNER[rows[:, 2]], np.zeros(tie_a.size, dtype=np.uint8)]),
        weights=np.concatenate([weight, np.full(tie_a.size, prior)]),
        index=pd.RangeIndex(present.size),
        tolerance=_TOLERANCE,
        limit=_ITERATION_LIMIT,
    )
    log_strength = np.log(result.scores.sort_index().to_numpy())
    scores = np.full(n, np.nan)
    scores[present] = log_strength - log_strength.mean()
    return scores


def _present_variants(rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The variants that occur in rows and the rows' (a, b) recoded to 0..len(present)-1."""
    present = np.unique(rows[:, :2])
    lookup = np.zeros(n, dtype=np.intp)
    lookup[present] = np.arange(present.size)
    return present, lookup[rows[:, :2]]


def _bootstrapped(
    data: Comparisons,
    fit: Callable[[np.ndarray], np.ndarray],
    n_boot: int,
    confidence: float,
    seed: int,
    names: tuple[str, ...] = (),
) -> Leaderboard:
    """Run fit on the data and on n_boot multinomial resamples of its comparisons.

    fit(weight of each aggregated row) returns the scores, then one coefficient per name.
    """
    estimate = fit(data.count * data.weight)
    rng = np.random.default_rng(seed)
    total = int(data.count.sum())
    replicates = np.empty((n_boot, estimate.size))
    for round_ in range(n_boot):
        drawn = rng.multinomial(total, data.count / total)
        replicates[round_] = fit(drawn * data.weight)
    tail = (1 - confidence) / 2
    if n_boot:
        low, high = np.quantile(replicates, [tail, 1 - tail], axis=0)
    else:
        low = high = np.full(estimate.size, np.nan)
    n = data.n_variants
    return Leaderboard(
        scores=estimate[:n],
        ci_low=low[:n],
        ci_high=high[:n],
        n_comparisons=data.n_comparisons,
        coefficients={name: float(estimate[n + i]) for i, name in enumerate(names)},
        coefficient_ci={
            name: (float(low[n + i]), float(high[n + i])) for i, name in enumerate(names)
        },
    )
