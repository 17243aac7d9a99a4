"""Quality figures computed from the judgment arrays: agreement and per-annotator reliability.

Plain functions of `apps.quality.arrays.Judgments` on top of `apps.stats` (no queries here).
Judgments on qualification-set gold pairs are left out of every figure but the qualification
counts: the annotator saw the expected answer after each, so they say nothing about the work.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from apps.stats.agreement import gwet_ac2, krippendorff_alpha, percent_agreement, rater_agreement
from apps.stats.intervals import Estimate, wilson_interval
from apps.stats.reliability import (
    gold_accuracy,
    judgment_speed,
    longest_streak,
    outlier_flags,
    position_bias,
    reliability_weights,
    unsure_rate,
)

from .arrays import GOLD_NONE, GOLD_RIGHT, UNCATEGORISED, Judgments

N_RESAMPLES = 500  # bootstrap resamples per interval: a few ms each on 20,000 pairs
SEED = 12  # fixed, so the same data always shows the same intervals
MAX_CATEGORIES = 30  # the largest categories get a row; the rest are summed up in the batch row
MIN_JUDGMENTS_FOR_OUTLIER = 10  # fewer judgments than this say too little to call anyone out

# The per-annotator figures checked for outliers (robust z-score over the annotators).
OUTLIER_FIGURES = (
    "left_share",
    "unsure_share",
    "median_seconds",
    "fast_share",
    "longest_streak",
    "agreement_side",
    "gold_accuracy",
)


@dataclass(frozen=True)
class Agreement:
    """Agreement among the annotators of one group of judgments (the batch, a week, ...)."""

    label: str
    judgments: int
    pairs: int
    shared_pairs: int
    side: Estimate
    ac2: Estimate
    alpha: Estimate


@dataclass(frozen=True)
class AnnotatorFigures:
    """One annotator's reliability figures; NaN where there is nothing to measure."""

    index: int
    annotator_id: int
    judgments: int
    left_share: float
    left_low: float
    left_high: float
    left_p: float
    unsure_share: float
    median_seconds: float
    fast_share: float
    longest_streak: int
    agreement_n: int
    agreement_side: float
    agreement_side_low: float
    agreement_side_high: float
    agreement_ac2: float
    agreement_ac2_low: float
    agreement_ac2_high: float
    gold_n: int
    gold_correct: int
    gold_accuracy: float
    gold_low: float
    gold_high: float
    gold_below_threshold: bool
    qualification_n: int
    qualification_correct: int
    weight: float
    outliers: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class GoldSummary:
    """Gold judgments of the work (qualification apart) and of the qualification set."""

    n: int
    correct: int
    accuracy: float
    low: float
    high: float
    qualification_n: int
    qualification_correct: int


def work_judgments(judgments: Judgments) -> Judgments:
    """The judgments every figure but the qualification counts rests on."""
    return judgments.subset(~judgments.qualification)


def agreement_of(
    judgments: Judgments, *, label: str, n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> Agreement:
    """Percent agreement on the side, Gwet's AC2 (ordinal) and Krippendorff's alpha (ordinal)."""
    item, rater, code = judgments.item, judgments.rater, judgments.code
    per_pair = np.bincount(item) if len(item) else np.zeros(0, dtype=np.int64)
    ac2 = gwet_ac2(item=item, rater=rater, value=code)
    return Agreement(
        label=label,
        judgments=len(item),
        pairs=int(np.count_nonzero(per_pair)),
        shared_pairs=int(np.count_nonzero(per_pair >= 2)),
        side=percent_agreement(
            item=item, rater=rater, value=code, n_resamples=n_resamples, seed=seed
        ),
        ac2=Estimate(value=ac2.value, low=ac2.low, high=ac2.high, n=ac2.n),
        alpha=krippendorff_alpha(
            item=item, rater=rater, value=code, n_resamples=n_resamples, seed=seed
        ),
    )


def agreement_by(
    judgments: Judgments,
    *,
    key: np.ndarray,
    labels: list[str],
    limit: int | None = None,
    overall: Agreement | None = None,
) -> list[Agreement]:
    """Agreement per value of `key` (an index into `labels`), in label order; groups without
    a pair judged twice are left out. `limit` keeps the groups with the most judgments.
    `overall`, the figures of all the judgments, stands for a group that holds them all."""
    present, counts = np.unique(key, return_counts=True)
    if overall is not None and len(present) == 1:
        label = labels[int(present[0])]
        return [replace(overall, label=label)] if overall.shared_pairs else []
    rows = []
    for value, _ in sorted(zip(present, counts, strict=True), key=lambda vc: -vc[1])[:limit]:
        group = judgments.subset(key == value)
        if np.count_nonzero(np.bincount(group.item) >= 2) == 0:
            continue
        rows.append((int(value), agreement_of(group, label=labels[int(value)])))
    return [agreement for _, agreement in sorted(rows)]


def agreement_by_track(
    judgments: Judgments, *, overall: Agreement | None = None
) -> list[Agreement]:
    return agreement_by(judgments, key=judgments.track, labels=judgments.tracks, overall=overall)


def agreement_by_category(
    judgments: Judgments, *, overall: Agreement | None = None
) -> list[Agreement]:
    labels = [c if c != UNCATEGORISED else "(none)" for c in judgments.categories]
    return agreement_by(
        judgments, key=judgments.category, labels=labels, limit=MAX_CATEGORIES, overall=overall
    )


def agreement_by_week(judgments: Judgments, *, overall: Agreement | None = None) -> list[Agreement]:
    weeks, index = np.unique(judgments.week, return_inverse=True)
    labels = [f"{week // 100}-W{week % 100:02d}" for week in weeks]
    return agreement_by(judgments, key=index.reshape(-1), labels=labels, overall=overall)


def gold_summary(judgments: Judgments) -> GoldSummary:
    on_gold = judgments.gold != GOLD_NONE
    work = on_gold & ~judgments.qualification
    qualification = on_gold & judgments.qualification
    n = int(work.sum())
    correct = int((work & (judgments.gold == GOLD_RIGHT)).sum())
    low, high = wilson_interval(successes=correct, trials=n)
    return GoldSummary(
        n=n,
        correct=correct,
        accuracy=correct / n if n else float("nan"),
        low=float(low),
        high=float(high),
        qualification_n=int(qualification.sum()),
        qualification_correct=int((qualification & (judgments.gold == GOLD_RIGHT)).sum()),
    )


def annotator_weights(judgments: Judgments) -> np.ndarray:
    """Dawid-Skene reliability weight in [0, 1] per annotator index (NaN: nothing shared)."""
    work = work_judgments(judgments)
    return reliability_weights(
        item=work.item, rater=work.rater, chose_a=work.chose_a, n_raters=judgments.n_raters
    )


def annotator_figures(
    judgments: Judgments, *, gold_threshold: float, gold_min_count: int
) -> list[AnnotatorFigures]:
    """Every annotator's reliability figures against the others, with outliers marked."""
    size = judgments.n_raters
    work = work_judgments(judgments)
    rater = work.rater
    bias = position_bias(rater=rater, chose_left=work.chose_left, n_raters=size)
    unsure = unsure_rate(rater=rater, value=work.code, n_raters=size)
    speed = judgment_speed(
        rater=rater, seconds=work.seconds, floor_seconds=work.floor_seconds, n_raters=size
    )
    streak = longest_streak(
        rater=rater, chose_left=work.chose_left, order=work.comparison_id, n_raters=size
    )
    agreement = rater_agreement(item=work.item, rater=rater, value=work.code, n_raters=size)
    on_gold = work.gold != GOLD_NONE
    gold = gold_accuracy(
        rater=rater[on_gold],
        correct=work.gold[on_gold] == GOLD_RIGHT,
        threshold=gold_threshold,
        min_count=gold_min_count,
        n_raters=size,
    )
    qualifying = judgments.qualification & (judgments.gold != GOLD_NONE)
    qualification_n = np.bincount(judgments.rater[qualifying], minlength=size)
    qualification_correct = np.bincount(
        judgments.rater[qualifying & (judgments.gold == GOLD_RIGHT)], minlength=size
    )
    weights = annotator_weights(judgments)
    columns = {
        "left_share": bias.share,
        "unsure_share": unsure.share,
        "median_seconds": speed.median_seconds,
        "fast_share": speed.fast_share,
        "longest_streak": streak.astype(float),
        "agreement_side": agreement.side,
        "gold_accuracy": gold.accuracy,
    }
    enough = bias.n >= MIN_JUDGMENTS_FOR_OUTLIER
    outliers = {
        name: outlier_flags(values=np.where(enough, columns[name], np.nan))
        for name in OUTLIER_FIGURES
    }
    return [
        AnnotatorFigures(
            index=i,
            annotator_id=int(judgments.annotator_ids[i]),
            judgments=int(bias.n[i]),
            left_share=float(bias.share[i]),
            left_low=float(bias.low[i]),
            left_high=float(bias.high[i]),
            left_p=float(bias.p_value[i]),
            unsure_share=float(unsure.share[i]),
            median_seconds=float(speed.median_seconds[i]),
            fast_share=float(speed.fast_share[i]),
            longest_streak=int(streak[i]),
            agreement_n=int(agreement.n[i]),
            agreement_side=float(agreement.side[i]),
            agreement_side_low=float(agreement.side_low[i]),
            agreement_side_high=float(agreement.side_high[i]),
            agreement_ac2=float(agreement.ac2[i]),
            agreement_ac2_low=float(agreement.ac2_low[i]),
            agreement_ac2_high=float(agreement.ac2_high[i]),
            gold_n=int(gold.n[i]),
            gold_correct=int(gold.correct[i]),
            gold_accuracy=float(gold.accuracy[i]),
            gold_low=float(gold.low[i]),
            gold_high=float(gold.high[i]),
            gold_below_threshold=bool(gold.below_threshold[i]),
            qualification_n=int(qualification_n[i]),
            qualification_correct=int(qualification_correct[i]),
            weight=float(weights[i]),
            outliers=frozenset(name for name in OUTLIER_FIGURES if outliers[name][i]),
        )
        for i in range(size)
    ]
