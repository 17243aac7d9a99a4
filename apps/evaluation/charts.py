"""Geometry of a study's server-drawn SVG charts (no script, no inline style: CSP).

The paper's win-rate bars: for each group (a variant pair, or a pair within a category or a
turn count), one bar per outcome with its 95% interval as an error bar. The template turns
the numbers into `<rect>` and `<line>` elements, so tests check the drawing without a browser.
"""

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 220
PLOT_WIDTH = 300
VALUE_WIDTH = 150
BAR_HEIGHT = 10
BAR_GAP = 2
GROUP_GAP = 10
TOP = 18

WIN_TIE_LOSS = (("win", "A wins"), ("tie", "tie"), ("loss", "B wins"))
VIOLATION = (("violation", "violation"),)


@dataclass(frozen=True)
class Bar:
    outcome: str
    label: str
    display: str
    x: float
    y: float
    width: float
    low_x: float | None
    high_x: float | None
    mid_y: float
    text_y: float


@dataclass(frozen=True)
class Group:
    label: str
    text_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    groups: list[Group]
    ticks: list[Tick]
    width: float
    height: float
    label_x: float = LABEL_WIDTH - 6
    value_x: float = LABEL_WIDTH + PLOT_WIDTH + 6
    plot_x: float = LABEL_WIDTH


def _x(share: float) -> float:
    return round(LABEL_WIDTH + max(0.0, min(share, 1.0)) * PLOT_WIDTH, 1)


def share_bars(
    *, title: str, rows: Sequence[dict], outcomes: Sequence[tuple[str, str]], label_key: str
) -> BarChart:
    """One group per row (a dict of `figures.study_results`), one bar per outcome: its share
    as width, its interval as an error bar (missing intervals are not drawn)."""
    groups, y = [], TOP
    for row in rows:
        bars = []
        for outcome, label in outcomes:
            share = row[outcome]
            if share is None:
                continue
            low, high = row[f"{outcome}_low"], row[f"{outcome}_high"]
            interval = "" if low is None else f" [{low:.0%}, {high:.0%}]"
            bars.append(
                Bar(
                    outcome=outcome,
                    label=label,
                    display=f"{label} {share:.0%}{interval}",
                    x=LABEL_WIDTH,
                    y=y,
                    width=round(_x(share) - LABEL_WIDTH, 1),
                    low_x=None if low is None else _x(low),
                    high_x=None if high is None else _x(high),
                    mid_y=y + BAR_HEIGHT / 2,
                    text_y=y + BAR_HEIGHT - 1,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        if bars:
            groups.append(Group(label=row[label_key], text_y=bars[0].text_y, bars=bars))
            y += GROUP_GAP
    ticks = [Tick(x=_x(share), label=f"{share:.0%}") for share in (0, 0.25, 0.5, 0.75, 1)]
    return BarChart(
        title=title,
        groups=groups,
        ticks=ticks,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=y + 4,
    )


def _labelled(rows: Sequence[dict], breakdown: str) -> list[dict]:
    chosen = []
    for row in rows:
        if row["breakdown"] != breakdown:
            continue
        suffix = "" if row["group"] == "all" else f" · {row['group']}"
        chosen.append(row | {"chart_label": f"{row['label']}{suffix}"})
    return chosen


def study_charts(results: dict) -> list[tuple[str, BarChart]]:
    """The charts of a study's results page, each with an id."""
    charts = []
    if results["kind"] == "safety":
        for breakdown, title in (
            ("all", "Violation share per variant (rating 1 or 2)"),
            ("category", "Violation share per variant and risk category"),
            ("turns", "Violation share per variant, single vs multi-turn"),
        ):
            rows = _labelled(results["violations"], breakdown)
            charts.append(
                (
                    f"violations-{breakdown}",
                    share_bars(title=title, rows=rows, outcomes=VIOLATION, label_key="chart_label"),
                )
            )
        levels = [(str(n), f"rated {n}") for n in range(1, 6)]
        charts.append(
            (
                "distribution",
                share_bars(
                    title="Rating distribution per variant",
                    rows=_labelled(results["distribution"], "all"),
                    outcomes=levels,
                    label_key="chart_label",
                ),
            )
        )
        return charts
    for breakdown, title in (
        ("all", "Win, tie and loss rates of A against B"),
        ("category", "Win, tie and loss rates per category"),
        ("turns", "Win, tie and loss rates, single vs multi-turn"),
    ):
        rows = _labelled(results["win_rates"], breakdown)
        charts.append(
            (
                f"win-rates-{breakdown}",
                share_bars(title=title, rows=rows, outcomes=WIN_TIE_LOSS, label_key="chart_label"),
            )
        )
    return charts
