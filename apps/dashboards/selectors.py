"""Reads for the batch dashboard: every figure is an aggregate query over one batch.

Nothing here loops in Python over a batch's comparisons, except the median time per judgment
on databases without `PERCENTILE_CONT` (SQLite, used by `make run`), where the median comes
from one ordered `values_list` of the batch's times.
"""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, Exists, FloatField, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.assignments.models import Lease
from apps.batches.models import Batch
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.preferences.models import Comparison, SafetyLabel, Strength

# Share of each safety bin in the Llama 2 paper's safety data (section 3.2.1), in percent.
PAPER_SAFETY_SPLIT: dict[str, int] = {
    SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE: 18,
    SafetyLabel.BOTH_SAFE: 47,
    SafetyLabel.BOTH_UNSAFE: 35,
}
SAFETY_BIN_FILTERS: dict[str, Q] = {
    SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE: Q(chosen_is_safe=True, rejected_is_safe=False),
    SafetyLabel.BOTH_SAFE: Q(chosen_is_safe=True, rejected_is_safe=True),
    SafetyLabel.BOTH_UNSAFE: Q(chosen_is_safe=False, rejected_is_safe=False),
}
NO_SKIP_REASON = "(no reason given)"


class Median(Aggregate):
    """PostgreSQL's continuous median of a column."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class PairCounts:
    ready: int
    pending: int
    failed: int

    @property
    def total(self) -> int:
        return self.ready + self.pending + self.failed


@dataclass(frozen=True)
class ComparisonFigures:
    judged: int
    target: int
    strengths: dict[str, int]
    safety_bins: dict[str, int] | None

    @property
    def outstanding(self) -> int:
        return max(self.target - self.judged, 0)

    @property
    def percent_done(self) -> float:
        return round(min(self.judged / self.target, 1) * 100, 1) if self.target else 0.0


@dataclass(frozen=True)
class AnnotatorFigures:
    annotator_id: int
    username: str
    judgments: int
    median_seconds: float | None


@dataclass(frozen=True)
class LeaseOutcomes:
    flagged: int
    skipped: int
    flags: list[Lease]
    flag_reasons: list[tuple[str, int]]
    skip_reasons: list[tuple[str, int]]


def batch_pair_counts(*, batch: Batch) -> PairCounts:
    """Pairs with both responses (ready), still generating (pending), or stuck on a failure."""
    failed_sample = Sample.objects.filter(pair=OuterRef("pk"), status=Sample.Status.FAILED)
    row = Pair.objects.filter(batch=batch).aggregate(
        total=Count("pk"),
        ready=Count("pk", filter=Q(ready_at__isnull=False)),
        failed=Count("pk", filter=Q(ready_at__isnull=True) & Q(Exists(failed_sample))),
    )
    return PairCounts(
        ready=row["ready"],
        failed=row["failed"],
        pending=row["total"] - row["ready"] - row["failed"],
    )


def batch_comparison_figures(*, batch: Batch) -> ComparisonFigures:
    """Judged against the target, the strength distribution and (safety) the safety bins."""
    aggregates = {"judged": Count("pk")}
    for strength in Strength.values:
        aggregates[f"strength:{strength}"] = Count("pk", filter=Q(strength=strength))
    if batch.is_safety:
        for label, condition in SAFETY_BIN_FILTERS.items():
            aggregates[f"safety:{label}"] = Count("pk", filter=condition)
    row = Comparison.objects.filter(batch=batch).aggregate(**aggregates)
    return ComparisonFigures(
        judged=row["judged"],
        target=batch.target_comparisons,
        strengths={strength: row[f"strength:{strength}"] for strength in Strength.values},
        safety_bins={label: row[f"safety:{label}"] for label in SAFETY_BIN_FILTERS}
        if batch.is_safety
        else None,
    )


def batch_slot_counts(*, batch: Batch) -> dict[str, int]:
    """Pool judgment slots by status (free, leased, done, withdrawn), zeros included."""
    counts = dict.fromkeys(JudgmentSlot.Status.values, 0)
    rows = (
        JudgmentSlot.objects.filter(batch=batch)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def batch_judgments_per_day(
    *, batch: Batch, days: int = 30, today: date | None = None
) -> list[tuple[date, int]]:
    """Comparisons per calendar day (current time zone) for the last `days` days, oldest first."""
    today = today or timezone.localdate()
    first_day = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first_day, time.min))
    rows = (
        Comparison.objects.filter(batch=batch, created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    per_day = {row["day"]: row["n"] for row in rows}
    return [
        (day, per_day.get(day, 0)) for day in (first_day + timedelta(days=i) for i in range(days))
    ]


def batch_annotator_figures(*, batch: Batch) -> list[AnnotatorFigures]:
    """Per annotator: judgments in this batch and median seconds per judgment, busiest first."""
    rows = (
        Comparison.objects.filter(batch=batch)
        .values("annotator_id", "annotator__username")
        .annotate(judgments=Count("pk"))
        .order_by("-judgments", "annotator__username")
    )
    if connection.vendor == "postgresql":
        rows = rows.annotate(median_ms=Median("time_spent_ms"))
        medians = {row["annotator_id"]: row["median_ms"] for row in rows}
    else:
        medians = _medians_in_python(batch=batch)
    return [
        AnnotatorFigures(
            annotator_id=row["annotator_id"],
            username=row["annotator__username"],
            judgments=row["judgments"],
            median_seconds=round(medians[row["annotator_id"]] / 1000, 1)
            if medians.get(row["annotator_id"]) is not None
            else None,
        )
        for row in rows
    ]


def _medians_in_python(*, batch: Batch) -> dict[int, float]:
    times: dict[int, list[int]] = {}
    for annotator_id, ms in (
        Comparison.objects.filter(batch=batch)
        .order_by()
        .values_list("annotator_id", "time_spent_ms")
        .iterator()
    ):
        times.setdefault(annotator_id, []).append(ms)
    return {annotator_id: statistics.median(values) for annotator_id, values in times.items()}


def batch_lease_outcomes(
    *, batch: Batch, flags_shown: int = 50, reasons_shown: int = 10
) -> LeaseOutcomes:
    """Flagged leases (latest first, with reason and note) and skip reasons by frequency."""
    leases = Lease.objects.filter(batch=batch).order_by()
    totals = leases.aggregate(
        flagged=Count("pk", filter=Q(status=Lease.Status.FLAGGED)),
        skipped=Count("pk", filter=Q(status=Lease.Status.SKIPPED)),
    )
    flagged = leases.filter(status=Lease.Status.FLAGGED)
    flags = list(
        flagged.select_related("annotator").order_by("-ended_at", "-claimed_at", "-pk")[
            :flags_shown
        ]
    )
    reason_labels = dict(Lease.FlagReason.choices)
    flag_reasons = [
        (reason_labels.get(row["flag_reason"], row["flag_reason"]), row["n"])
        for row in flagged.values("flag_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "flag_reason")
    ]
    skip_reasons = [
        (row["skip_reason"] or NO_SKIP_REASON, row["n"])
        for row in leases.filter(status=Lease.Status.SKIPPED)
        .values("skip_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "skip_reason")[:reasons_shown]
    ]
    return LeaseOutcomes(
        flagged=totals["flagged"],
        skipped=totals["skipped"],
        flags=flags,
        flag_reasons=flag_reasons,
        skip_reasons=skip_reasons,
    )
