"""Geometry of the quality page's server-drawn SVG charts (no script, no inline style: CSP).

Each chart is plain numbers the template turns into `<line>`, `<circle>` and `<rect>`
elements, so tests can check the drawing without a browser. NaN figures are not drawn.
"""

import math
from dataclasses import dataclass, field

from .figures import Agreement
from .selectors import AnnotatorRow

LABEL_WIDTH = 150
PLOT_WIDTH = 320
VALUE_WIDTH = 230
ROW_HEIGHT = 16
PAD = 6
TOP = 18  # room for the axis ticks above the rows
MAX_ROWS = 50  # annotators drawn per chart; the table below lists them all

# Agreement over time: one column of a point and its interval per week.
WEEK_WIDTH = 56
PLOT_HEIGHT = 160
AXIS_LEFT = 40
AXIS_BOTTOM = 22


@dataclass(frozen=True)
class Row:
    """One annotator's mark on a horizontal chart: a bar or a point with its interval."""

    label: str
    display: str
    y: float
    text_y: float
    x: float
    low_x: float | None = None
    high_x: float | None = None
    width: float = 0.0
    outlier: bool = False


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class RowChart:
    title: str
    rows: list[Row]
    width: float
    height: float
    reference_x: float
    reference_label: str
    ticks: list[Tick] = field(default_factory=list)
    omitted: int = 0
    label_x: float = LABEL_WIDTH - 4
    value_x: float = LABEL_WIDTH + PLOT_WIDTH + 4


@dataclass(frozen=True)
class WeekPoint:
    label: str
    display: str
    x: float
    y: float
    low_y: float
    high_y: float
    n: int


@dataclass(frozen=True)
class WeekChart:
    title: str
    points: list[WeekPoint]
    width: float
    height: float
    ticks: list[Tick]
    baseline_y: float
    path: str


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _at(value: float, top: float) -> float:
    """x of a value on a 0..top scale across the plot."""
    return round(LABEL_WIDTH + max(0.0, min(value, top)) / top * PLOT_WIDTH, 1)


def _row_y(index: int) -> tuple[float, float]:
    y = TOP + PAD + index * ROW_HEIGHT
    return y, y + ROW_HEIGHT - 4


def left_share_chart(*, rows: list[AnnotatorRow]) -> RowChart:
    """Each annotator's share of left choices with its exact 95% interval, around 1/2; the
    annotators furthest from 1/2 first."""
    measured = [r for r in rows if _finite(r.figures.left_share)]
    measured.sort(key=lambda r: (-abs(r.figures.left_share - 0.5), r.username))
    shown = measured[:MAX_ROWS]
    drawn = []
    for index, row in enumerate(shown):
        f = row.figures
        y, text_y = _row_y(index)
        drawn.append(
            Row(
                label=row.username,
                display=f"{f.left_share:.0%} left of {f.judgments} (p={f.left_p:.2g})",
                y=y + ROW_HEIGHT / 2 - 2,
                text_y=text_y,
                x=_at(f.left_share, 1.0),
                low_x=_at(f.left_low, 1.0),
                high_x=_at(f.left_high, 1.0),
                outlier="left_share" in f.outliers,
            )
        )
    ticks = [Tick(x=_at(v, 1.0), y=TOP - 6, label=f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1)]
    return RowChart(
        title="Left-side share per annotator (95% interval; 50% is no position bias)",
        rows=drawn,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=TOP + 2 * PAD + max(len(drawn), 1) * ROW_HEIGHT,
        reference_x=_at(0.5, 1.0),
        reference_label="50%",
        ticks=ticks,
        omitted=len(measured) - len(shown),
    )


def speed_chart(*, rows: list[AnnotatorRow], floor_seconds: float) -> RowChart:
    """Each annotator's median seconds per judgment as a bar, the batch's floor marked; the
    fastest first."""
    measured = [r for r in rows if _finite(r.figures.median_seconds)]
    measured.sort(key=lambda r: (r.figures.median_seconds, r.username))
    shown = measured[:MAX_ROWS]
    top = max([floor_seconds * 2, *(r.figures.median_seconds for r in shown), 1.0])
    drawn = []
    for index, row in enumerate(shown):
        f = row.figures
        y, text_y = _row_y(index)
        drawn.append(
            Row(
                label=row.username,
                display=f"{f.median_seconds:.1f} s, {f.fast_share:.0%} under the floor",
                y=y,
                text_y=text_y,
                x=LABEL_WIDTH,
                width=round(_at(f.median_seconds, top) - LABEL_WIDTH, 1),
                outlier=bool({"median_seconds", "fast_share"} & f.outliers),
            )
        )
    ticks = [Tick(x=_at(v, top), y=TOP - 6, label=f"{v:.0f} s") for v in (0, top / 2, top)]
    return RowChart(
        title=f"Median seconds per judgment (the floor, {floor_seconds:g} s, marked)",
        rows=drawn,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=TOP + 2 * PAD + max(len(drawn), 1) * ROW_HEIGHT,
        reference_x=_at(floor_seconds, top),
        reference_label=f"{floor_seconds:g} s",
        ticks=ticks,
        omitted=len(measured) - len(shown),
    )


def agreement_over_time_chart(*, weeks: list[Agreement]) -> WeekChart:
    """Gwet's AC2 per ISO week with its 95% interval, on a 0..1 scale (below 0 drawn at 0)."""

    def y_of(value: float) -> float:
        return round(TOP + (1 - max(0.0, min(value, 1.0))) * PLOT_HEIGHT, 1)

    points = []
    for index, week in enumerate(w for w in weeks if _finite(w.ac2.value)):
        low = week.ac2.low if _finite(week.ac2.low) else week.ac2.value
        high = week.ac2.high if _finite(week.ac2.high) else week.ac2.value
        points.append(
            WeekPoint(
                label=week.label,
                display=f"AC2 {week.ac2.value:.2f} [{low:.2f}, {high:.2f}] on {week.ac2.n} pairs",
                x=AXIS_LEFT + WEEK_WIDTH / 2 + index * WEEK_WIDTH,
                y=y_of(week.ac2.value),
                low_y=y_of(low),
                high_y=y_of(high),
                n=week.ac2.n,
            )
        )
    ticks = [Tick(x=AXIS_LEFT - 4, y=y_of(v) + 4, label=f"{v:g}") for v in (0, 0.5, 1)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    return WeekChart(
        title="Agreement over time: Gwet's AC2 per week (95% interval)",
        points=points,
        width=AXIS_LEFT + max(len(points), 1) * WEEK_WIDTH + PAD,
        height=TOP + PLOT_HEIGHT + AXIS_BOTTOM,
        ticks=ticks,
        baseline_y=y_of(0),
        path=path,
    )
