"""Bar geometry for the dashboard's server-rendered SVG charts.

Charts are plain data: the templates draw each bar as a `<rect>` with the numbers computed
here, so the page needs no script or inline style (the CSP forbids both) and tests can check
the geometry directly. Labels are kept as given and escaped by the template.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

# Horizontal bar charts: a label column, the bars, then the value printed after each bar.
LABEL_WIDTH = 190
PLOT_WIDTH = 300
VALUE_WIDTH = 90
VALUE_WIDTH_WITH_REFERENCE = 140
ROW_HEIGHT = 24
BAR_HEIGHT = 16
REFERENCE_HEIGHT = 5
PAD = 4

# Column charts (one column per day): columns over a baseline, the dates every few columns.
COLUMN_PLOT_HEIGHT = 120
COLUMN_WIDTH = 18
COLUMN_GAP = 6
COLUMN_TOP = 16
COLUMN_AXIS = 20


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str
    x: float
    y: float
    width: float
    height: float
    # Where the label and the printed value sit.
    label_x: float
    value_x: float
    text_y: float
    # An optional reference marker drawn under the bar (the paper's split, for example).
    reference: float | None = None
    reference_display: str = ""
    reference_width: float = 0.0
    reference_y: float = 0.0


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    width: float
    height: float
    unit: str = ""
    axis_labels: list[dict] = field(default_factory=list)
    baseline_y: float = 0.0

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def _scaled(value: float, scale_max: float, length: float) -> float:
    if scale_max <= 0 or value <= 0:
        return 0.0
    scaled = round(min(value, scale_max) / scale_max * length, 1)
    return int(scaled) if scaled.is_integer() else scaled


def _display(value: float, unit: str) -> str:
    number = f"{value:g}" if isinstance(value, int) or float(value).is_integer() else f"{value:.1f}"
    return f"{number}{unit}"


def horizontal_bars(
    *,
    title: str,
    series: Sequence[tuple[str, float]],
    unit: str = "",
    scale_max: float | None = None,
    references: Sequence[float] | None = None,
    reference_unit: str = "",
) -> Chart:
    """One horizontal bar per (label, value), scaled to the largest value (or `scale_max`).

    `references`, when given, holds one value per bar drawn as a thin marker bar under it on the
    same scale, e.g. the paper's percentage next to the batch's own.
    """
    values = [value for _, value in series]
    if references is not None and len(references) != len(series):
        raise ValueError("references must have one value per bar")
    top = scale_max if scale_max is not None else max([*values, *(references or []), 0])
    bars = []
    for index, (label, value) in enumerate(series):
        y = PAD + index * ROW_HEIGHT
        reference = references[index] if references is not None else None
        bars.append(
            Bar(
                label=label,
                value=value,
                display=_display(value, unit),
                x=LABEL_WIDTH,
                y=y,
                width=_scaled(value, top, PLOT_WIDTH),
                height=BAR_HEIGHT,
                label_x=LABEL_WIDTH - PAD,
                value_x=LABEL_WIDTH + PLOT_WIDTH + PAD,
                text_y=y + BAR_HEIGHT - 4,
                reference=reference,
                reference_display=_display(reference, reference_unit)
                if reference is not None
                else "",
                reference_width=_scaled(reference, top, PLOT_WIDTH)
                if reference is not None
                else 0.0,
                reference_y=y + BAR_HEIGHT + 1,
            )
        )
    return Chart(
        title=title,
        bars=bars,
        width=LABEL_WIDTH
        + PLOT_WIDTH
        + (VALUE_WIDTH if references is None else VALUE_WIDTH_WITH_REFERENCE),
        height=2 * PAD + max(len(series), 1) * ROW_HEIGHT,
        unit=unit,
    )


def columns(
    *, title: str, series: Sequence[tuple[str, float]], axis_every: int = 7, unit: str = ""
) -> Chart:
    """One vertical column per (label, value) over a shared baseline, e.g. judgments per day.

    Every `axis_every`-th label (counting back from the last column) is printed under the axis.
    """
    top = max([value for _, value in series] + [0])
    baseline = COLUMN_TOP + COLUMN_PLOT_HEIGHT
    bars = []
    axis_labels = []
    last = len(series) - 1
    for index, (label, value) in enumerate(series):
        x = PAD + index * (COLUMN_WIDTH + COLUMN_GAP)
        height = _scaled(value, top, COLUMN_PLOT_HEIGHT)
        bars.append(
            Bar(
                label=label,
                value=value,
                display=_display(value, unit),
                x=x,
                y=round(baseline - height, 1),
                width=COLUMN_WIDTH,
                height=height,
                label_x=x + COLUMN_WIDTH / 2,
                value_x=x + COLUMN_WIDTH / 2,
                text_y=round(baseline - height - 3, 1),
            )
        )
        if (last - index) % axis_every == 0:
            axis_labels.append({"text": label, "x": x + COLUMN_WIDTH / 2, "y": baseline + 14})
    return Chart(
        title=title,
        bars=bars,
        width=2 * PAD + max(len(series), 1) * (COLUMN_WIDTH + COLUMN_GAP),
        height=baseline + COLUMN_AXIS,
        unit=unit,
        axis_labels=axis_labels,
        baseline_y=baseline,
    )
