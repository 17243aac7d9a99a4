"""Bar geometry for the dashboard's SVG charts."""

import itertools

import pytest

from apps.dashboards import charts


def test_it_scales_bars_to_the_largest_value():
    chart = charts.horizontal_bars(title="t", series=[("a", 10), ("b", 5), ("c", 0)])

    widths = [bar.width for bar in chart.bars]
    assert widths == [charts.PLOT_WIDTH, charts.PLOT_WIDTH / 2, 0]
    assert all(bar.x == charts.LABEL_WIDTH for bar in chart.bars)


def test_it_stacks_rows_without_overlap_and_fits_them_in_the_chart():
    chart = charts.horizontal_bars(title="t", series=[(str(i), i) for i in range(5)])

    ys = [bar.y for bar in chart.bars]
    assert ys == sorted(ys)
    assert all(b.y - a.y >= a.height for a, b in itertools.pairwise(chart.bars))
    last = chart.bars[-1]
    assert last.y + last.height <= chart.height
    assert all(bar.value_x + 1 <= chart.width for bar in chart.bars)


def test_all_zero_series_draw_zero_width_bars_and_count_as_empty():
    chart = charts.horizontal_bars(title="t", series=[("a", 0), ("b", 0)])

    assert [bar.width for bar in chart.bars] == [0, 0]
    assert chart.is_empty


def test_an_empty_series_still_has_a_drawable_size():
    chart = charts.horizontal_bars(title="t", series=[])

    assert chart.bars == [] and chart.height > 0 and chart.width > 0


def test_a_fixed_scale_caps_bars_and_draws_references_on_the_same_scale():
    chart = charts.horizontal_bars(
        title="t",
        series=[("safe", 50.0), ("over", 150.0)],
        unit="%",
        scale_max=100,
        references=[18, 47],
        reference_unit="%",
    )

    safe, over = chart.bars
    assert safe.width == charts.PLOT_WIDTH / 2
    assert over.width == charts.PLOT_WIDTH
    assert safe.reference_width == round(0.18 * charts.PLOT_WIDTH, 1)
    assert over.reference_width == round(0.47 * charts.PLOT_WIDTH, 1)
    assert (safe.display, safe.reference_display) == ("50%", "18%")
    assert safe.reference_y >= safe.y + safe.height


def test_references_must_match_the_bars():
    with pytest.raises(ValueError):
        charts.horizontal_bars(title="t", series=[("a", 1)], references=[1, 2])


def test_it_prints_whole_numbers_without_decimals_and_others_to_one_decimal():
    chart = charts.horizontal_bars(title="t", series=[("a", 3), ("b", 2.25), ("c", 4.0)], unit=" s")

    assert [bar.display for bar in chart.bars] == ["3 s", "2.2 s", "4 s"]


def test_columns_stand_on_one_baseline_and_scale_to_the_tallest():
    chart = charts.columns(title="t", series=[("d1", 4), ("d2", 0), ("d3", 2)])

    heights = [bar.height for bar in chart.bars]
    assert heights == [charts.COLUMN_PLOT_HEIGHT, 0, charts.COLUMN_PLOT_HEIGHT / 2]
    assert all(bar.y + bar.height == chart.baseline_y for bar in chart.bars)
    assert all(bar.y >= 0 for bar in chart.bars)
    xs = [bar.x for bar in chart.bars]
    assert all(b - a >= charts.COLUMN_WIDTH for a, b in itertools.pairwise(xs))
    assert chart.bars[-1].x + charts.COLUMN_WIDTH <= chart.width


def test_columns_label_every_seventh_day_counting_back_from_the_last():
    chart = charts.columns(title="t", series=[(f"day{i}", 1) for i in range(30)])

    assert [tick["text"] for tick in chart.axis_labels] == [
        "day1",
        "day8",
        "day15",
        "day22",
        "day29",
    ]
