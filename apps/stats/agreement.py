"""Inter-annotator agreement on pairs judged by several annotators.

Inputs are the rating arrays of `apps.stats.scale` (item, rater, value). Every figure rests on
the items rated at least twice; with none (an empty input, a single rater) the value and
interval are NaN and n is 0. Malformed input raises ValueError.
"""

from dataclasses import dataclass
from typing import Literal

import krippendorff
import numpy as np
import numpy.typing as npt
from scipy import stats

from apps.stats.intervals import (
    Estimate,
    percentile_interval,
    resample_counts,
    row_groups,
    wilson_interval,
)
from apps.stats.scale import (
    SIGNED_SCALE,
    WeightKind,
    agreement_weights,
    category_counts,
    rating_arrays,
)

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class GwetAC2:
    """Gwet's AC2 with its standard error, 95% interval, observed and chance agreement."""

    value: float
    se: float
    low: float
    high: float
    pa: float
    pe: float
    n: int


@dataclass(frozen=True, slots=True)
class RaterAgreement:
    """Per rater (arrays indexed by rater): agreement with the other raters on shared items."""

    n: np.ndarray
    side: np.ndarray
    side_low: np.ndarray
    side_high: np.ndarray
    ac2: np.ndarray
    ac2_low: np.ndarray
    ac2_high: np.ndarray


def gwet_ac2(
    *,
    item: npt.ArrayLike,
    rater: npt.ArrayLike,
    value: npt.ArrayLike,
    categories: npt.ArrayLike = SIGNED_SCALE,
    weights: WeightKind = "ordinal",
    confidence: float = 0.95,
) -> GwetAC2:
    """Gwet's AC2 (AC1 with agreement weights) over all raters, as irrCAC's `gwet()` computes it.

    Standard error from Gwet's variance formula without finite-population correction; the
    interval is Student's t with n - 1 degrees of freedom, its upper bound capped at 1. Items
    rated once count towards chance agreement (as in irrCAC); n is the items rated twice or more.
    """
    counts = category_counts(item=item, rater=rater, value=value, categories=categories)
    weight = agreement_weights(n_categories=counts.shape[1], kind=weights)
    return _gwet_from_counts(counts=counts, weight=weight, confidence=confidence)


def percent_agreement(
    *,
    item: npt.ArrayLike,
    rater: npt.ArrayLike,
    value: npt.ArrayLike,
    on: Literal["side", "value"] = "side",
    n_resamples: int = 1000,
    seed: int | np.random.Generator = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Share of rater pairs that agree within an item, averaged over items rated twice or more.

    `on="side"` compares the sign of the code (which sample was chosen), `on="value"` the code.
    Each item counts once, as in Gwet's observed agreement (this is AC1's `pa` on the same
    labels); the interval is a percentile bootstrap over items.
    """
    if on not in ("side", "value"):
        raise ValueError(f"unknown comparison {on!r}")
    value = np.asarray(value)
    labels = np.sign(value) if on == "side" else value
    categories = np.array([-1, 1]) if on == "side" else np.unique(labels)
    if len(categories) < 2:
        # One observed code: a second, unused category leaves agreement unchanged.
        categories = np.append(categories, categories.max(initial=0) + 1)
    counts = category_counts(item=item, rater=rater, value=labels, categories=categories)
    counts = counts[counts.sum(axis=1) >= 2]
    if len(counts) == 0:
        return Estimate(value=NAN, low=NAN, high=NAN, n=0)
    profiles, inverse = row_groups(rows=counts)
    raters = profiles.sum(axis=1)
    agree = (profiles * (profiles - 1)).sum(axis=1) / (raters * (raters - 1))
    draws = resample_counts(groups=inverse, n_resamples=n_resamples, seed=seed)
    low, high = percentile_interval(replicates=draws @ agree / len(counts), confidence=confidence)
    point = float(np.bincount(inverse, minlength=len(agree)) @ agree / len(counts))
    return Estimate(value=point, low=low, high=high, n=len(counts))


def krippendorff_alpha(
    *,
    item: npt.ArrayLike,
    rater: npt.ArrayLike,
    value: npt.ArrayLike,
    categories: npt.ArrayLike = SIGNED_SCALE,
    n_resamples: int = 1000,
    seed: int | np.random.Generator = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Krippendorff's alpha with the ordinal metric (the `krippendorff` package), bootstrap CI.

    The interval is a percentile bootstrap over items rated twice or more. Alpha is NaN when all
    those ratings share one category: no variation, so alpha is undefined (AC2 is 1 there).
    """
    counts = category_counts(item=item, rater=rater, value=value, categories=categories)
    counts = counts[counts.sum(axis=1) >= 2]
    if len(counts) == 0:
        return Estimate(value=NAN, low=NAN, high=NAN, n=0)
    if np.count_nonzero(counts.sum(axis=0)) < 2:
        return Estimate(value=NAN, low=NAN, high=NAN, n=len(counts))
    point = krippendorff.alpha(
        value_counts=counts, value_domain=np.asarray(categories), level_of_measurement="ordinal"
    )
    profiles, inverse = row_groups(rows=counts)
    draws = resample_counts(groups=inverse, n_resamples=n_resamples, seed=seed)
    low, high = percentile_interval(
        replicates=_ordinal_alpha(profiles=profiles, draws=draws), confidence=confidence
    )
    return Estimate(value=float(point), low=low, high=high, n=len(counts))


def rater_agreement(
    *,
    item: npt.ArrayLike,
    rater: npt.ArrayLike,
    value: npt.ArrayLike,
    categories: npt.ArrayLike = SIGNED_SCALE,
    weights: WeightKind = "ordinal",
    n_raters: int | None = None,
    confidence: float = 0.95,
) -> RaterAgreement:
    """Each rater against the others on the items they share, for all raters at once.

    `side`: the share of the other raters choosing the same side, averaged over the rater's
    items rated by someone else. `ac2`: the same average of weighted agreement, chance-corrected
    with the pooled chance agreement pe of `gwet_ac2` (so it sits on AC2's scale). The side
    interval is Wilson's on (sum of per-item shares, items): shares lie in [0, 1], so their
    variance is at most the Bernoulli one and it errs wide. The AC2 interval is Student's t on
    the mean of per-item weighted shares, pe taken as known, capped at 1 (NaN below 2 items).
    """
    item, rater, category = rating_arrays(
        item=item, rater=rater, value=value, categories=categories
    )
    sign = np.sign(np.asarray(categories))
    q = len(sign)
    size = int(rater.max()) + 1 if rater.size else 0
    if n_raters is not None:
        if n_raters < size:
            raise ValueError("n_raters is smaller than the largest rater index + 1")
        size = n_raters
    weight = agreement_weights(n_categories=q, kind=weights)
    n_items = int(item.max()) + 1 if item.size else 0
    counts = np.bincount(item * q + category, minlength=n_items * q).reshape(n_items, q)
    others = counts.sum(axis=1)[item] - 1
    shared = others > 0
    same_side = (counts[item] * (sign == sign[category][:, None])).sum(axis=1) - 1
    same_weighted = (counts @ weight.T)[item, category] - 1
    denom = np.maximum(others, 1)

    def per_rater(values: np.ndarray) -> np.ndarray:
        return np.bincount(rater, weights=np.where(shared, values, 0.0), minlength=size)

    n = per_rater(np.ones(len(item)))
    side_sum = per_rater(same_side / denom)
    weighted = same_weighted / denom
    weighted_sum, weighted_squares = per_rater(weighted), per_rater(weighted**2)
    rated = counts[counts.sum(axis=1) > 0]
    pe = _gwet_from_counts(counts=rated, weight=weight, confidence=confidence).pe
    side_low, side_high = wilson_interval(successes=side_sum, trials=n, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = weighted_sum / n
        spread = np.sqrt(np.maximum(weighted_squares / n - mean**2, 0) * n / (n - 1))
        half = stats.t.ppf(0.5 + confidence / 2, df=n - 1) * spread / np.sqrt(n)
        return RaterAgreement(
            n=n.astype(np.int64),
            side=side_sum / n,
            side_low=side_low,
            side_high=side_high,
            ac2=(mean - pe) / (1 - pe),
            ac2_low=(mean - half - pe) / (1 - pe),
            ac2_high=np.minimum((mean + half - pe) / (1 - pe), 1.0),
        )


def _gwet_from_counts(*, counts: np.ndarray, weight: np.ndarray, confidence: float) -> GwetAC2:
    """irrCAC's `gwet()` on an (items rated at least once, categories) count array."""
    raters = counts.sum(axis=1)
    multi = raters >= 2
    n_multi = int(multi.sum())
    n, q = counts.shape
    if n_multi == 0:
        return GwetAC2(value=NAN, se=NAN, low=NAN, high=NAN, pa=NAN, pe=NAN, n=0)
    pair_weight = (counts * (counts @ weight.T - 1)).sum(axis=1)
    pa_item = np.where(multi, pair_weight / np.where(multi, raters * (raters - 1), 1), 0.0)
    pa = pa_item[multi].mean()
    share = (counts / raters[:, None]).mean(axis=0)
    chance_scale = weight.sum() / (q * (q - 1))
    pe = chance_scale * (share * (1 - share)).sum()
    ac2 = (pa - pe) / (1 - pe)
    ac2_item = (n / n_multi) * (pa_item - pe * multi) / (1 - pe)
    pe_item = chance_scale * (counts @ (1 - share)) / raters
    linearised = ac2_item - 2 * (1 - ac2) * (pe_item - pe) / (1 - pe)
    se = np.sqrt(((linearised - ac2) ** 2).sum() / (n * (n - 1))) if n > 1 else NAN
    if se > 0:
        low, high = stats.t.interval(confidence, df=n - 1, loc=ac2, scale=se)
    else:
        low = high = ac2 if se == 0 else NAN
    return GwetAC2(
        value=float(ac2),
        se=float(se),
        low=float(low),
        high=float(min(1.0, high)),
        pa=float(pa),
        pe=float(pe),
        n=n_multi,
    )


def _ordinal_alpha(*, profiles: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Ordinal alpha for each row of `draws` (how often each distinct count profile is drawn)."""
    q = profiles.shape[1]
    raters = profiles.sum(axis=1)
    pair_counts = profiles[:, :, None] * profiles[:, None, :] - profiles[:, :, None] * np.eye(q)
    coincidence = (
        draws @ (pair_counts / (raters - 1)[:, None, None]).reshape(len(profiles), -1)
    ).reshape(-1, q, q)
    marginal = coincidence.sum(axis=2)
    total = marginal.sum(axis=1)
    cumulative = np.cumsum(marginal, axis=1)
    lo = np.minimum.outer(np.arange(q), np.arange(q))
    hi = np.maximum.outer(np.arange(q), np.arange(q))
    between = cumulative[:, hi] - cumulative[:, lo] + marginal[:, lo]
    distance = (between - (marginal[:, :, None] + marginal[:, None, :]) / 2) ** 2
    observed = (coincidence * distance).sum(axis=(1, 2))
    expected = (marginal[:, :, None] * marginal[:, None, :] * distance).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - (total - 1) * observed / expected
