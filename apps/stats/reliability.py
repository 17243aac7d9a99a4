"""Annotator reliability figures, for all annotators at once.

Inputs are parallel per-judgment arrays with `rater` an annotator index 0..R-1; each result holds
arrays indexed by rater, of length `n_raters` (default: the largest index + 1). An annotator with
no judgments gets n = 0 and NaN figures. Agreement with the others is
`apps.stats.agreement.rater_agreement`.
"""

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from apps.stats.intervals import clopper_pearson_interval, wilson_interval


@dataclass(frozen=True, slots=True)
class Share:
    """Per rater: judgments, how many had the property, their share and its interval."""

    n: np.ndarray
    count: np.ndarray
    share: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True, slots=True)
class PositionBias:
    """Per rater: share of left choices, exact interval and two-sided binomial p against 1/2."""

    n: np.ndarray
    left: np.ndarray
    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_value: np.ndarray


@dataclass(frozen=True, slots=True)
class JudgmentSpeed:
    """Per rater: judgments, median seconds per judgment, share faster than the batch's floor."""

    n: np.ndarray
    median_seconds: np.ndarray
    fast_share: np.ndarray


@dataclass(frozen=True, slots=True)
class GoldAccuracy:
    """Per rater: gold judgments, correct ones, accuracy, Wilson interval, below-threshold flag."""

    n: np.ndarray
    correct: np.ndarray
    accuracy: np.ndarray
    low: np.ndarray
    high: np.ndarray
    below_threshold: np.ndarray


def position_bias(
    *, rater: npt.ArrayLike, chose_left: npt.ArrayLike, n_raters: int | None = None
) -> PositionBias:
    """Share of judgments choosing the response shown on the left, per rater.

    p-value and 95% interval as `scipy.stats.binomtest(left, n, 0.5)` gives them (two-sided;
    Clopper-Pearson), computed for all raters at once: at p = 1/2 the two-sided p-value is
    twice the smaller tail.
    """
    rater, size = _rater_index(rater=rater, n_raters=n_raters)
    left = np.asarray(chose_left, dtype=bool)
    _same_length(rater, left)
    n = np.bincount(rater, minlength=size)
    k = np.bincount(rater, weights=left, minlength=size).astype(np.int64)
    low, high = clopper_pearson_interval(successes=k, trials=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(k, n - k), n, 0.5))
        return PositionBias(
            n=n, left=k, share=k / n, low=low, high=high, p_value=np.where(n > 0, p, np.nan)
        )


def unsure_rate(
    *, rater: npt.ArrayLike, value: npt.ArrayLike, n_raters: int | None = None
) -> Share:
    """Share of judgments rated "negligibly better / unsure" (code +-1 on the signed scale)."""
    value = np.asarray(value)
    return _share(rater=rater, flag=np.abs(value) == 1, n_raters=n_raters)


def judgment_speed(
    *,
    rater: npt.ArrayLike,
    seconds: npt.ArrayLike,
    floor_seconds: npt.ArrayLike,
    n_raters: int | None = None,
) -> JudgmentSpeed:
    """Median seconds per judgment and the share judged faster than the floor, per rater.

    `floor_seconds` is the minimum plausible time of each judgment's batch (an array, or one
    number for all).
    """
    rater, size = _rater_index(rater=rater, n_raters=n_raters)
    seconds = np.asarray(seconds, dtype=float)
    _same_length(rater, seconds)
    if not np.isfinite(seconds).all():
        raise ValueError("seconds must be finite: leave out judgments without a duration")
    fast = seconds < np.broadcast_to(np.asarray(floor_seconds, dtype=float), seconds.shape)
    order = np.lexsort((seconds, rater))
    ordered = seconds[order]
    n = np.bincount(rater, minlength=size)
    start = np.concatenate(([0], np.cumsum(n)[:-1]))
    has = n > 0
    lower = ordered[(start + (n - 1) // 2)[has]]
    upper = ordered[(start + n // 2)[has]]
    median = np.full(size, np.nan)
    median[has] = (lower + upper) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        fast_share = np.bincount(rater, weights=fast, minlength=size) / n
    return JudgmentSpeed(n=n, median_seconds=median, fast_share=fast_share)


def longest_streak(
    *,
    rater: npt.ArrayLike,
    chose_left: npt.ArrayLike,
    order: npt.ArrayLike,
    n_raters: int | None = None,
) -> np.ndarray:
    """Longest run of consecutive judgments on the same screen side, per rater (0 if none).

    `order` sorts each rater's judgments in time (a submission timestamp or id).
    """
    rater, size = _rater_index(rater=rater, n_raters=n_raters)
    left = np.asarray(chose_left, dtype=bool)
    order = np.asarray(order)
    _same_length(rater, left, order)
    streak = np.zeros(size, dtype=np.int64)
    if rater.size == 0:
        return streak
    sort = np.lexsort((order, rater))
    side, who = left[sort], rater[sort]
    new_run = np.concatenate(([True], (who[1:] != who[:-1]) | (side[1:] != side[:-1])))
    run_start = np.flatnonzero(new_run)
    run_length = np.diff(np.append(run_start, len(sort)))
    run_rater = who[run_start]
    first_run = np.flatnonzero(np.concatenate(([True], run_rater[1:] != run_rater[:-1])))
    streak[run_rater[first_run]] = np.maximum.reduceat(run_length, first_run)
    return streak


def gold_accuracy(
    *,
    rater: npt.ArrayLike,
    correct: npt.ArrayLike,
    threshold: float,
    min_count: int,
    n_raters: int | None = None,
) -> GoldAccuracy:
    """Accuracy on gold pairs per rater, with a Wilson 95% interval.

    `below_threshold` is set once a rater has `min_count` gold judgments and the interval's upper
    bound is under `threshold`: only raters shown to be below it, not those unlucky on a few.
    """
    share = _share(rater=rater, flag=correct, n_raters=n_raters)
    return GoldAccuracy(
        n=share.n,
        correct=share.count,
        accuracy=share.share,
        low=share.low,
        high=share.high,
        below_threshold=(share.n >= min_count) & (share.high < threshold),
    )


def robust_zscore(*, values: npt.ArrayLike) -> np.ndarray:
    """Robust z-scores: 0.6745 (x - median) / MAD (Iglewicz and Hoaglin), NaN left as NaN.

    When more than half the values are equal (MAD 0) the mean absolute deviation stands in,
    scaled by sqrt(pi / 2); when every value is equal all scores are 0.
    """
    x = np.asarray(values, dtype=float)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return np.full(x.shape, np.nan)
    median = np.median(finite)
    mad = np.median(np.abs(finite - median))
    if mad > 0:
        return stats.norm.ppf(0.75) * (x - median) / mad
    mean_deviation = np.mean(np.abs(finite - median))
    if mean_deviation > 0:
        return (x - median) / (np.sqrt(np.pi / 2) * mean_deviation)
    return np.where(np.isfinite(x), 0.0, np.nan)


def outlier_flags(*, values: npt.ArrayLike, cutoff: float = 3.5) -> np.ndarray:
    """Whether each value is an outlier among the others: |robust z-score| > cutoff."""
    with np.errstate(invalid="ignore"):
        return np.abs(robust_zscore(values=values)) > cutoff


def reliability_weights(
    *,
    item: npt.ArrayLike,
    rater: npt.ArrayLike,
    chose_a: npt.ArrayLike,
    method: Literal["dawid_skene", "mace"] = "dawid_skene",
    n_raters: int | None = None,
) -> np.ndarray:
    """A reliability weight in [0, 1] per rater from crowd-kit, on the side chosen (A or B).

    `dawid_skene`: the rater's accuracy under Dawid-Skene, sum over true sides of the prior times
    the chance of reporting that side. `mace`: MACE's probability that the rater is not spamming.
    Only items judged by two raters or more inform the model; other raters get NaN.
    """
    from crowdkit.aggregation import MACE, DawidSkene

    if method not in ("dawid_skene", "mace"):
        raise ValueError(f"unknown method {method!r}")
    rater, size = _rater_index(rater=rater, n_raters=n_raters)
    item = np.asarray(item)
    label = np.asarray(chose_a, dtype=bool).astype(np.int64)
    _same_length(rater, item, label)
    if item.size and (not np.issubdtype(item.dtype, np.integer) or item.min() < 0):
        raise ValueError("item must hold non-negative integer indices")
    shared = np.bincount(item, minlength=int(item.max(initial=-1)) + 1)[item] >= 2
    weights = np.full(size, np.nan)
    if not shared.any():
        return weights
    data = pd.DataFrame({"task": item[shared], "worker": rater[shared], "label": label[shared]})
    with warnings.catch_warnings():
        # crowd-kit 1.4 still passes pandas arguments pandas 3 deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        if method == "mace":
            # Every restart starts from the same random_state, so one restart is all of them.
            model = MACE(n_restarts=1, n_iter=50).fit(data)
            workers = pd.factorize(data["worker"])[1].to_numpy()
            weights[workers] = model.spamming_[:, 1]
            return weights
        model = DawidSkene(n_iter=100).fit(data)
    errors = model.errors_.reset_index()
    workers = np.unique(rater[shared])
    weights[workers] = 0.0
    for side, prior in model.priors_.items():  # the two sides, not rows
        reported = errors[errors["label"] == side]
        np.add.at(weights, reported["worker"].to_numpy(), prior * reported[side].to_numpy())
    return weights


def _share(*, rater: npt.ArrayLike, flag: npt.ArrayLike, n_raters: int | None) -> Share:
    rater, size = _rater_index(rater=rater, n_raters=n_raters)
    flag = np.asarray(flag, dtype=bool)
    _same_length(rater, flag)
    n = np.bincount(rater, minlength=size)
    count = np.bincount(rater, weights=flag, minlength=size).astype(np.int64)
    low, high = wilson_interval(successes=count, trials=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return Share(n=n, count=count, share=count / n, low=low, high=high)


def _rater_index(*, rater: npt.ArrayLike, n_raters: int | None) -> tuple[np.ndarray, int]:
    rater = np.asarray(rater)
    if rater.ndim != 1 or (rater.size and not np.issubdtype(rater.dtype, np.integer)):
        raise ValueError("rater must be a 1-D integer array")
    if rater.size and rater.min() < 0:
        raise ValueError("rater indices must be non-negative")
    size = int(rater.max()) + 1 if rater.size else 0
    if n_raters is not None:
        if n_raters < size:
            raise ValueError("n_raters is smaller than the largest rater index + 1")
        size = n_raters
    return rater.astype(np.int64), size


def _same_length(*arrays: np.ndarray) -> None:
    if any(a.ndim != 1 for a in arrays) or len({a.size for a in arrays}) != 1:
        raise ValueError("the per-judgment arrays must be 1-D and of one length")
