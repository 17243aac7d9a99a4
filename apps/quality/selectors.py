"""Reads of quality control: the figures of a batch's quality page and API, annotators'
standing for exports, and the agreement of an exported selection.

Each loads the judgments once as arrays (`apps.quality.arrays`) and computes on them
(`apps.quality.figures`); nothing iterates ORM rows of comparisons.
"""

import math
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from apps.batches.models import AnnotatorFlag, Batch
from apps.preferences.models import Comparison
from apps.stats.agreement import gwet_ac2, percent_agreement
from apps.stats.intervals import Estimate

from .arrays import judgments_for_batches, judgments_from
from .figures import (
    Agreement,
    AnnotatorFigures,
    GoldSummary,
    agreement_by_category,
    agreement_by_track,
    agreement_by_week,
    agreement_of,
    annotator_figures,
    annotator_weights,
    gold_summary,
    work_judgments,
)

DEFAULT_GOLD_MIN_ACCURACY = 0.7
DEFAULT_GOLD_MIN_COUNT = 10


@dataclass(frozen=True)
class Standing:
    """An annotator's standing for exports: reliability weight in [0, 1] (None when they share
    no pair with anyone), and whether an active flag marks or pauses them."""

    weight: float | None
    flagged: bool
    paused: bool


@dataclass(frozen=True)
class FlagRow:
    """An active (not lifted) flag on an annotator."""

    id: int
    batch_id: int
    annotator_id: int
    username: str
    reason: str
    details: dict
    pauses_work: bool
    flagged_at: object
    flagged_by: str  # empty: quality control raised it


@dataclass(frozen=True)
class AnnotatorRow:
    """An annotator's figures with who they are and any active flag."""

    username: str
    figures: AnnotatorFigures
    flag: FlagRow | None

    @property
    def state(self) -> str:
        if self.flag is None:
            return "active"
        return "paused" if self.flag.pauses_work else "flagged"


@dataclass(frozen=True)
class QualityReport:
    batch_ids: list[int]
    judgments: int
    annotators: int
    pairs: int
    shared_pairs: int
    floor_seconds: float
    gold_min_accuracy: float
    gold_min_count: int
    overall: Agreement
    by_track: list[Agreement]
    by_category: list[Agreement]
    by_week: list[Agreement]
    gold: GoldSummary
    annotator_rows: list[AnnotatorRow]
    flags: list[FlagRow]

    @property
    def is_empty(self) -> bool:
        return self.judgments == 0


def annotator_flags_open(*, batch_ids: list[int]) -> list[FlagRow]:
    """The batches' active flags, newest first."""
    rows = (
        AnnotatorFlag.objects.filter(batch_id__in=batch_ids, lifted_at__isnull=True)
        .order_by("-flagged_at", "-pk")
        .values_list(
            "pk",
            "batch_id",
            "annotator_id",
            "annotator__username",
            "reason",
            "details",
            "pauses_work",
            "flagged_at",
            "flagged_by__username",
        )
    )
    return [
        FlagRow(
            id=pk,
            batch_id=batch_id,
            annotator_id=annotator_id,
            username=username,
            reason=reason,
            details=details or {},
            pauses_work=pauses,
            flagged_at=flagged_at,
            flagged_by=flagged_by or "",
        )
        for (
            pk,
            batch_id,
            annotator_id,
            username,
            reason,
            details,
            pauses,
            flagged_at,
            flagged_by,
        ) in rows
    ]


def batch_quality(*, batch_ids: list[int]) -> QualityReport:
    """Every figure of the quality page for these batches (thresholds of the first batch)."""
    batch_ids = sorted(set(batch_ids))
    settings_row = (
        Batch.objects.filter(pk__in=batch_ids)
        .order_by("pk")
        .values_list("min_seconds_per_judgment", "gold_min_accuracy", "gold_min_count")
        .first()
    )
    floor, min_accuracy, min_count = settings_row or (
        0,
        DEFAULT_GOLD_MIN_ACCURACY,
        DEFAULT_GOLD_MIN_COUNT,
    )
    judgments = judgments_for_batches(batch_ids=batch_ids)
    work = work_judgments(judgments)
    figures = annotator_figures(judgments, gold_threshold=min_accuracy, gold_min_count=min_count)
    usernames = dict(
        get_user_model()
        .objects.filter(pk__in=judgments.annotator_ids.tolist())
        .values_list("pk", "username")
    )
    flags = annotator_flags_open(batch_ids=batch_ids)
    flag_of = {}
    for flag in flags:
        flag_of.setdefault(flag.annotator_id, flag)
    overall = agreement_of(work, label="All judgments")
    return QualityReport(
        batch_ids=batch_ids,
        judgments=len(work),
        annotators=int(np.count_nonzero(np.bincount(work.rater))) if len(work) else 0,
        pairs=overall.pairs,
        shared_pairs=overall.shared_pairs,
        floor_seconds=float(floor),
        gold_min_accuracy=float(min_accuracy),
        gold_min_count=int(min_count),
        overall=overall,
        by_track=agreement_by_track(work, overall=overall),
        by_category=agreement_by_category(work, overall=overall),
        by_week=agreement_by_week(work, overall=overall),
        gold=gold_summary(judgments),
        annotator_rows=[
            AnnotatorRow(
                username=usernames.get(f.annotator_id, str(f.annotator_id)),
                figures=f,
                flag=flag_of.get(f.annotator_id),
            )
            for f in figures
        ],
        flags=flags,
    )


def annotator_standing_for(*, batch_ids: list[int]) -> dict[int, Standing]:
    """Per annotator id (anyone who judged in these batches or is flagged there): reliability
    weight from their judgments across the batches, and whether an active flag marks or
    pauses them in any of the batches."""
    judgments = judgments_for_batches(batch_ids=batch_ids)
    weights = annotator_weights(judgments)
    flagged: dict[int, bool] = {}
    for annotator_id, pauses in AnnotatorFlag.objects.filter(
        batch_id__in=batch_ids, lifted_at__isnull=True
    ).values_list("annotator_id", "pauses_work"):
        flagged[annotator_id] = flagged.get(annotator_id, False) or pauses
    standing = {
        int(annotator_id): Standing(
            weight=None if math.isnan(weight) else float(weight),
            flagged=int(annotator_id) in flagged,
            paused=flagged.get(int(annotator_id), False),
        )
        for annotator_id, weight in zip(judgments.annotator_ids, weights, strict=True)
    }
    for annotator_id, paused in flagged.items():
        standing.setdefault(annotator_id, Standing(weight=None, flagged=True, paused=paused))
    return standing


def selection_quality(*, comparisons_qs: QuerySet[Comparison]) -> dict:
    """Agreement and gold accuracy of a selection of comparisons (an export's), for its card.

    Returns plain JSON-ready values (None where nothing could be measured): `comparisons`,
    `pairs_judged_twice`, `percent_agreement` and `gwet_ac2` (value, low, high, n) on the
    signed eight-point scale, and `gold_accuracy` (n, correct, accuracy, low, high) of the
    selection's work gold judgments.
    """
    judgments = judgments_from(comparisons=comparisons_qs)
    work = work_judgments(judgments)
    side = percent_agreement(item=work.item, rater=work.rater, value=work.code, seed=12)
    ac2 = gwet_ac2(item=work.item, rater=work.rater, value=work.code)
    gold = gold_summary(judgments)
    return {
        "comparisons": len(judgments),
        "pairs_judged_twice": side.n,
        "percent_agreement": estimate_dict(side),
        "gwet_ac2": estimate_dict(Estimate(value=ac2.value, low=ac2.low, high=ac2.high, n=ac2.n)),
        "gold_accuracy": {
            "n": gold.n,
            "correct": gold.correct,
            "accuracy": finite_or_none(gold.accuracy),
            "low": finite_or_none(gold.low),
            "high": finite_or_none(gold.high),
        },
    }


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN: an unmeasurable figure becomes None (null)."""
    return None if value is None or not math.isfinite(value) else float(value)


def estimate_dict(estimate: Estimate) -> dict:
    return {
        "value": finite_or_none(estimate.value),
        "low": finite_or_none(estimate.low),
        "high": finite_or_none(estimate.high),
        "n": int(estimate.n),
    }
