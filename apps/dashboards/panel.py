"""The dashboard's figures and charts for one batch, as the panel template renders them."""

from django.utils import timezone

from apps.batches.models import Batch
from apps.pairs.models import JudgmentSlot
from apps.preferences.models import SafetyLabel, Strength

from . import charts, selectors

SAFETY_BIN_SHORT_LABELS = {
    SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE: "Chosen safe, other unsafe",
    SafetyLabel.BOTH_SAFE: "Both safe",
    SafetyLabel.BOTH_UNSAFE: "Both unsafe",
}


def _percent(part: int, whole: int) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


def dashboard_panel_context(*, batch: Batch) -> dict:
    """Everything the panel shows: the figures, and each chart's bar geometry."""
    pairs = selectors.batch_pair_counts(batch=batch)
    comparisons = selectors.batch_comparison_figures(batch=batch)
    slots = selectors.batch_slot_counts(batch=batch)
    per_day = selectors.batch_judgments_per_day(batch=batch)
    annotators = selectors.batch_annotator_figures(batch=batch)
    outcomes = selectors.batch_lease_outcomes(batch=batch)

    chart_list = {
        "pairs": charts.horizontal_bars(
            title="Pairs generated",
            series=[
                ("Ready", pairs.ready),
                ("Pending", pairs.pending),
                ("Failed", pairs.failed),
            ],
        ),
        "progress": charts.horizontal_bars(
            title="Comparisons against the target",
            series=[
                ("Judged", comparisons.judged),
                ("Outstanding", comparisons.outstanding),
                ("Target", comparisons.target),
            ],
        ),
        "slots": charts.horizontal_bars(
            title="Pool judgment slots",
            series=[(label, slots[value]) for value, label in _slot_statuses(slots)],
        ),
        "per_day": charts.columns(
            title="Judgments per day, last 30 days",
            series=[(day.strftime("%b %d"), n) for day, n in per_day],
        ),
        "annotator_counts": charts.horizontal_bars(
            title="Judgments per annotator",
            series=[(row.username, row.judgments) for row in annotators],
        ),
        "annotator_medians": charts.horizontal_bars(
            title="Median seconds per judgment",
            series=[(row.username, row.median_seconds or 0) for row in annotators],
            unit=" s",
        ),
        "strengths": charts.horizontal_bars(
            title="Preference strength",
            series=[(Strength(s).label, comparisons.strengths[s]) for s in Strength.values],
        ),
    }
    safety_rows = None
    if comparisons.safety_bins is not None:
        labelled = sum(comparisons.safety_bins.values())
        safety_rows = [
            {
                "label": SAFETY_BIN_SHORT_LABELS[label],
                "count": count,
                "percent": _percent(count, labelled),
                "paper_percent": selectors.PAPER_SAFETY_SPLIT[label],
            }
            for label, count in comparisons.safety_bins.items()
        ]
        chart_list["safety"] = charts.horizontal_bars(
            title="Safety bins: this batch (bar) and the paper (marker)",
            series=[(row["label"], row["percent"]) for row in safety_rows],
            unit="%",
            scale_max=100,
            references=[row["paper_percent"] for row in safety_rows],
            reference_unit="%",
        )
    return {
        "batch": batch,
        "pairs": pairs,
        "comparisons": comparisons,
        "slots": slots,
        "annotators": annotators,
        "outcomes": outcomes,
        "safety_rows": safety_rows,
        "charts": chart_list,
        "generated_at": timezone.now(),
    }


def _slot_statuses(slots: dict[str, int]) -> list[tuple[str, str]]:
    """Free, leased and done always; withdrawn only when some slot was withdrawn."""
    return [
        (value, label)
        for value, label in JudgmentSlot.Status.choices
        if value != JudgmentSlot.Status.WITHDRAWN or slots.get(value)
    ]
