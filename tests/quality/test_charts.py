"""Geometry of the quality page's SVG charts, checked on hand-made figures."""

import math
from dataclasses import replace

from apps.quality.charts import (
    LABEL_WIDTH,
    MAX_ROWS,
    PLOT_HEIGHT,
    PLOT_WIDTH,
    TOP,
    agreement_over_time_chart,
    left_share_chart,
    speed_chart,
)
from apps.quality.figures import Agreement, AnnotatorFigures
from apps.quality.selectors import AnnotatorRow
from apps.stats.intervals import Estimate

NAN = float("nan")
BASE = AnnotatorFigures(
    index=0, annotator_id=1, judgments=20, left_share=0.5, left_low=0.3, left_high=0.7,
    left_p=1.0, unsure_share=0.1, median_seconds=10.0, fast_share=0.0, longest_streak=3,
    agreement_n=5, agreement_side=0.8, agreement_side_low=0.5, agreement_side_high=0.9,
    agreement_ac2=0.6, agreement_ac2_low=0.4, agreement_ac2_high=0.8, gold_n=0,
    gold_correct=0, gold_accuracy=NAN, gold_low=NAN, gold_high=NAN,
    gold_below_threshold=False, qualification_n=0, qualification_correct=0, weight=0.9,
)  # fmt: skip


def _row(name, **figures):
    return AnnotatorRow(username=name, figures=replace(BASE, **figures), flag=None)


def test_left_share_points_sit_on_a_0_to_1_scale_furthest_from_half_first():
    chart = left_share_chart(
        rows=[
            _row("even"),
            _row("lefty", left_share=1.0, left_low=0.8, left_high=1.0, outliers={"left_share"}),
            _row("unmeasured", left_share=NAN),
        ]
    )
    assert [r.label for r in chart.rows] == ["lefty", "even"]
    lefty, even = chart.rows
    assert chart.reference_x == even.x == LABEL_WIDTH + PLOT_WIDTH / 2
    assert lefty.x == LABEL_WIDTH + PLOT_WIDTH
    assert lefty.low_x == LABEL_WIDTH + 0.8 * PLOT_WIDTH
    assert lefty.outlier and not even.outlier


def test_a_chart_draws_at_most_fifty_annotators_and_counts_the_rest():
    chart = left_share_chart(rows=[_row(f"a{i}") for i in range(MAX_ROWS + 7)])
    assert len(chart.rows) == MAX_ROWS and chart.omitted == 7


def test_speed_bars_scale_to_the_slowest_and_mark_the_floor():
    chart = speed_chart(
        rows=[_row("slow", median_seconds=20.0), _row("rushed", median_seconds=2.0)],
        floor_seconds=5,
    )
    assert [r.label for r in chart.rows] == ["rushed", "slow"]
    assert chart.rows[1].width == PLOT_WIDTH
    assert chart.rows[0].width == PLOT_WIDTH / 10
    assert chart.reference_x == LABEL_WIDTH + PLOT_WIDTH / 4


def _week(label, value, low, high):
    estimate = Estimate(value=value, low=low, high=high, n=4)
    return Agreement(label, 10, 5, 4, estimate, estimate, estimate)


def test_agreement_over_time_puts_one_point_per_measured_week():
    chart = agreement_over_time_chart(
        weeks=[_week("2026-W01", 1.0, 0.5, 1.0), _week("2026-W02", NAN, NAN, NAN),
               _week("2026-W03", -0.2, -0.5, 0.0)]
    )  # fmt: skip
    assert [p.label for p in chart.points] == ["2026-W01", "2026-W03"]
    first, second = chart.points
    assert first.y == TOP and first.low_y == TOP + PLOT_HEIGHT / 2
    # Below 0 is drawn at 0, the baseline.
    assert second.y == second.low_y == chart.baseline_y == TOP + PLOT_HEIGHT
    assert chart.path.startswith("M") and " L" in chart.path
    assert not math.isnan(chart.width)
