"""Confidence intervals shared by the statistics modules.

Binomial intervals (Wilson, Clopper-Pearson) work elementwise on arrays of counts. The bootstrap
resamples units (items, pairs) with replacement without materialising a resample: units whose
rows are equal are interchangeable, so the number of draws landing in each group of equal rows
is multinomial over the groups, and a statistic built from column totals needs only those counts.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate, its confidence interval and the number of units it rests on."""

    value: float
    low: float
    high: float
    n: int


def wilson_interval(
    *, successes: npt.ArrayLike, trials: npt.ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion, elementwise, without continuity correction.

    Matches `scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`. NaN where trials is 0.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = special.ndtri(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 2 * (n + z**2)
        center = (2 * n * p + z**2) / denom
        delta = z / denom * np.sqrt(4 * n * p * (1 - p) + z**2)
    low = np.where(k == 0, 0.0, np.clip(center - delta, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(center + delta, 0.0, 1.0))
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def clopper_pearson_interval(
    *, successes: npt.ArrayLike, trials: npt.ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval of a binomial proportion, elementwise.

    Matches `scipy.stats.binomtest(k, n).proportion_ci(method="exact")`. NaN where trials is 0.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k == 0, 0.0, stats.beta.ppf(tail, k, n - k + 1))
        high = np.where(k == n, 1.0, stats.beta.ppf(1 - tail, k + 1, n - k))
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def row_groups(*, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group equal rows of a 2-D array: (the distinct rows, each row's group index)."""
    rows = np.asarray(rows)
    if rows.ndim != 2:
        raise ValueError("rows must be a 2-D array")
    if rows.shape[0] == 0:
        return rows, np.zeros(0, dtype=np.intp)
    if np.issubdtype(rows.dtype, np.integer) and rows.min() >= 0:
        # Small non-negative counts: one mixed-radix key per row sorts far faster than rows.
        bases = rows.max(axis=0).astype(np.float64) + 1
        if np.prod(bases) < 2.0**62:
            radix = np.concatenate(([1], np.cumprod(bases[:-1]))).astype(np.int64)
            _, first, inverse = np.unique(rows @ radix, return_index=True, return_inverse=True)
            return rows[first], inverse
    unique, inverse = np.unique(rows, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


def resample_counts(
    *, groups: np.ndarray, n_resamples: int, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """How often each group is drawn when n units are resampled with replacement, per resample.

    `groups` gives each unit's group (0..G-1, units in one group being interchangeable). Returns
    an (n_resamples, G) integer array whose rows sum to n: the exact nonparametric bootstrap,
    drawn over G groups instead of n units.
    """
    groups = np.asarray(groups)
    sizes = np.bincount(groups) if groups.size else np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    n, n_groups = groups.size, sizes.size
    if n_groups == 0:
        return np.zeros((n_resamples, 0), dtype=np.int64)
    # A binomial per large group and resample; the draws landing in the small groups (together
    # one more multinomial cell) are spread over their units one by one, which is cheaper than a
    # binomial each when a group holds a few units. Both steps are exact.
    small = sizes <= 4
    large = np.flatnonzero(~small)
    small_units = np.flatnonzero(small[groups])
    cells = np.append(sizes[large], small_units.size) / n
    drawn = rng.multinomial(n, cells, size=n_resamples)
    counts = np.zeros((n_resamples, n_groups), dtype=np.int64)
    counts[:, large] = drawn[:, :-1]
    in_small = drawn[:, -1]
    if small_units.size:
        unit = small_units[rng.integers(0, small_units.size, size=in_small.sum())]
        resample = np.repeat(np.arange(n_resamples), in_small)
        flat = np.bincount(resample * n_groups + groups[unit], minlength=n_resamples * n_groups)
        counts += flat.reshape(n_resamples, n_groups)
    return counts


def bootstrap_totals(
    *, rows: np.ndarray, n_resamples: int = 1000, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Column totals of `rows` (one row per unit) in each bootstrap resample of the units.

    Returns an (n_resamples, k) float array; a ratio of totals per resample gives the bootstrap
    distribution of a ratio statistic (a mean, a share of pairs, ...).
    """
    unique, inverse = row_groups(rows=rows)
    counts = resample_counts(groups=inverse, n_resamples=n_resamples, seed=seed)
    return counts @ unique.astype(float)


def percentile_interval(
    *, replicates: npt.ArrayLike, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of a 1-D array of replicates, ignoring NaN replicates.

    NaN bounds when no replicate is finite (nothing was measurable in any resample).
    """
    values = np.asarray(replicates, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)
