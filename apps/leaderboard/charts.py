"""Geometry of the leaderboard page's server-drawn SVG charts (no script, no inline style: CSP).

Each chart is plain numbers, computed from a run's result JSON (the API's answer), that the
templates turn into `<line>`, `<circle>`, `<rect>` and `<path>` elements; colours and shades
are CSS classes. Null figures are not drawn.
"""

import math
from dataclasses import dataclass, field

LABEL_WIDTH = 170
PLOT_WIDTH = 360
VALUE_WIDTH = 210
ROW_HEIGHT = 18
PAD = 6
TOP = 20  # room for the axis ticks above the rows
CELL = 34  # win-rate heatmap cell
SHADES = 10  # heatmap shade classes shade-0 .. shade-10
SERIES = 12  # movement line colour classes series-0 .. series-11
MOVE_WIDTH = 90  # per iteration
MOVE_HEIGHT = 200
MOVE_LEFT = 50


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class ScoreRow:
    label: str
    display: str
    y: float
    text_y: float
    x: float
    low_x: float | None
    high_x: float | None


@dataclass(frozen=True)
class ScoreChart:
    title: str
    rows: list[ScoreRow]
    width: float
    height: float
    ticks: list[Tick]
    reference_x: float
    label_x: float = LABEL_WIDTH - 4
    value_x: float = LABEL_WIDTH + PLOT_WIDTH + 6


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    text_x: float
    text_y: float
    value: float | None
    display: str
    shade: str
    title: str


@dataclass(frozen=True)
class Heatmap:
    title: str
    labels: list[str]
    row_labels: list[Tick]
    column_labels: list[Tick]
    cells: list[Cell]
    size: float
    width: float
    height: float


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    path: str
    points: list[tuple[float, float, str]] = field(default_factory=list)
    end_x: float = 0.0
    end_y: float = 0.0


@dataclass(frozen=True)
class MovementChart:
    title: str
    series: list[Series]
    ticks: list[Tick]
    iteration_labels: list[Tick]
    width: float
    height: float
    baseline_y: float


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def _nice_step(span: float) -> float:
    raw = span / 4 if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= raw)


def score_chart(*, result: dict) -> ScoreChart:
    """Each variant's Elo-like points with its 95% interval, best first, around 1000."""
    variants = [v for v in result["variants"] if _finite(v["elo"])]
    values = [x for v in variants for x in (v["elo"], v["elo_low"], v["elo_high"]) if _finite(x)]
    low, high = (min(values), max(values)) if values else (900.0, 1100.0)
    low, high = min(low, 1000.0), max(high, 1000.0)
    margin = max((high - low) * 0.05, 5.0)
    low, high = low - margin, high + margin

    def x_of(value: float) -> float:
        return round(LABEL_WIDTH + (value - low) / (high - low) * PLOT_WIDTH, 1)

    rows = []
    for index, v in enumerate(variants):
        y = TOP + PAD + index * ROW_HEIGHT
        interval = (
            f" [{v['elo_low']:.0f}, {v['elo_high']:.0f}]"
            if _finite(v["elo_low"]) and _finite(v["elo_high"])
            else ""
        )
        rows.append(
            ScoreRow(
                label=v["name"],
                display=f"{v['elo']:.0f}{interval}, {v['comparisons']} comparisons",
                y=y + ROW_HEIGHT / 2 - 2,
                text_y=y + ROW_HEIGHT - 5,
                x=x_of(v["elo"]),
                low_x=x_of(v["elo_low"]) if _finite(v["elo_low"]) else None,
                high_x=x_of(v["elo_high"]) if _finite(v["elo_high"]) else None,
            )
        )
    step = _nice_step(high - low)
    ticks, value = [], math.ceil(low / step) * step
    while value <= high:
        ticks.append(Tick(x=x_of(value), y=TOP - 6, label=f"{value:g}"))
        value += step
    return ScoreChart(
        title="Scores (Elo-like points, 95% bootstrap interval; 1000 is the average variant)",
        rows=rows,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=TOP + 2 * PAD + max(len(rows), 1) * ROW_HEIGHT,
        ticks=ticks,
        reference_x=x_of(1000.0),
    )


def _shade(value: float | None) -> str:
    if not _finite(value):
        return "shade-none"
    return f"shade-{round(max(0.0, min(value, 1.0)) * SHADES)}"


def win_rate_heatmap(*, result: dict) -> Heatmap:
    """The pairwise win-rate matrix as shaded cells: row variant's share won against column."""
    names = {v["id"]: v["name"] for v in result["variants"]}
    ids = result["win_rates"]["variant_ids"]
    labels = [names.get(i, str(i)) for i in ids]
    left, top = LABEL_WIDTH, 24
    cells = []
    for r, row in enumerate(result["win_rates"]["matrix"]):
        for c, value in enumerate(row):
            x, y = left + c * CELL, top + r * CELL
            display = f"{value:.0%}" if _finite(value) else ""
            title = (
                f"{labels[r]} won {display} against {labels[c]}"
                if _finite(value)
                else f"{labels[r]} and {labels[c]} never met"
            )
            cells.append(
                Cell(
                    x=x,
                    y=y,
                    text_x=x + CELL / 2,
                    text_y=y + CELL / 2 + 4,
                    value=value,
                    display=display,
                    shade=_shade(value),
                    title=title,
                )
            )
    return Heatmap(
        title="Pairwise win rates (row against column; ties count half)",
        labels=labels,
        row_labels=[
            Tick(x=left - 4, y=top + i * CELL + CELL / 2 + 4, label=label)
            for i, label in enumerate(labels)
        ],
        column_labels=[
            Tick(x=left + i * CELL + CELL / 2, y=top - 6, label=str(i + 1))
            for i in range(len(labels))
        ],
        cells=cells,
        size=CELL,
        width=left + max(len(labels), 1) * CELL + PAD,
        height=top + max(len(labels), 1) * CELL + PAD,
    )


def movement_chart(*, result: dict) -> MovementChart:
    """Each variant's score in each weekly iteration (fitted on that iteration alone), as lines."""
    movement = result["movement"]
    names = {v["id"]: v["name"] for v in result["variants"]}
    iterations = movement["iterations"]
    values = [x for row in movement["scores"] for x in row if _finite(x)]
    low, high = (min(values), max(values)) if values else (-1.0, 1.0)
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low < 1e-9:
        low, high = low - 1, high + 1

    def x_of(t: int) -> float:
        return MOVE_LEFT + MOVE_WIDTH / 2 + t * MOVE_WIDTH

    def y_of(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * MOVE_HEIGHT, 1)

    series = []
    for i, variant_id in enumerate(movement["variant_ids"]):
        points = []
        for t, row in enumerate(movement["scores"]):
            if _finite(row[i]):
                points.append((x_of(t), y_of(row[i]), f"iteration {iterations[t]}: {row[i]:.2f}"))
        if not points:
            continue
        path = " ".join(f"{'M' if k == 0 else 'L'}{x},{y}" for k, (x, y, _) in enumerate(points))
        series.append(
            Series(
                label=names.get(variant_id, str(variant_id)),
                css=f"series-{i % SERIES}",
                path=path,
                points=points,
                end_x=points[-1][0] + 8,
                end_y=points[-1][1] + 4,
            )
        )
    step = _nice_step(high - low)
    ticks, value = [], math.ceil(low / step) * step
    while value <= high + 1e-12:
        ticks.append(Tick(x=MOVE_LEFT - 4, y=y_of(value) + 4, label=f"{value:.2g}"))
        value += step
    return MovementChart(
        title="Movement between weekly iterations (log-odds score fitted per iteration)",
        series=series,
        ticks=ticks,
        iteration_labels=[
            Tick(x=x_of(t), y=TOP + MOVE_HEIGHT + 16, label=str(label))
            for t, label in enumerate(iterations)
        ],
        width=MOVE_LEFT + max(len(iterations), 1) * MOVE_WIDTH + LABEL_WIDTH,
        height=TOP + MOVE_HEIGHT + 24,
        baseline_y=y_of(0.0),
    )
