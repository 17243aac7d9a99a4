"""The leaderboard charts' geometry, from a result JSON as the API returns it."""

import pytest

from apps.leaderboard.charts import (
    LABEL_WIDTH,
    PLOT_WIDTH,
    movement_chart,
    score_chart,
    win_rate_heatmap,
)

RESULT = {
    "variants": [
        {
            "id": 7,
            "name": "best",
            "elo": 1100.0,
            "elo_low": 1080.0,
            "elo_high": 1120.0,
            "comparisons": 40,
        },
        {
            "id": 3,
            "name": "middle",
            "elo": 1000.0,
            "elo_low": None,
            "elo_high": None,
            "comparisons": 30,
        },
        {
            "id": 5,
            "name": "worst",
            "elo": 900.0,
            "elo_low": 870.0,
            "elo_high": 930.0,
            "comparisons": 30,
        },
    ],
    "win_rates": {
        "variant_ids": [7, 3, 5],
        "matrix": [[None, 0.8, 1.0], [0.2, None, None], [0.0, None, None]],
    },
    "movement": {
        "iterations": [1, 2],
        "variant_ids": [7, 3, 5],
        "scores": [[0.5, 0.0, -0.5], [0.25, None, -0.25]],
    },
}


def test_the_score_chart_draws_each_variant_in_order_on_one_scale():
    chart = score_chart(result=RESULT)
    assert [r.label for r in chart.rows] == ["best", "middle", "worst"]
    xs = [r.x for r in chart.rows]
    assert xs[0] > xs[1] > xs[2]
    assert all(LABEL_WIDTH <= x <= LABEL_WIDTH + PLOT_WIDTH for x in xs)
    best, middle, worst = chart.rows
    assert best.low_x < best.x < best.high_x and middle.low_x is None
    assert chart.reference_x == middle.x  # 1000, the average variant
    # Equal distances in points are equal distances on the page.
    assert best.x - middle.x == pytest.approx(middle.x - worst.x, abs=0.2)
    assert "1100 [1080, 1120], 40 comparisons" == best.display


def test_the_heatmap_shades_each_cell_by_its_win_rate():
    chart = win_rate_heatmap(result=RESULT)
    cells = {(c.x, c.y): c for c in chart.cells}
    assert len(cells) == 9
    shades = [c.shade for c in chart.cells]
    assert shades[:3] == ["shade-none", "shade-8", "shade-10"]
    assert shades[6] == "shade-0"
    assert chart.cells[1].display == "80%" and "best won 80% against middle" == chart.cells[1].title
    assert chart.cells[5].title == "middle and worst never met"


def test_the_movement_chart_draws_one_line_per_variant_and_skips_missing_iterations():
    chart = movement_chart(result=RESULT)
    lines = {s.label: s for s in chart.series}
    assert len(lines["best"].points) == 2 and lines["best"].path.startswith("M")
    assert len(lines["middle"].points) == 1  # absent from iteration 2
    (x1, y1, _), (x2, y2, _) = lines["best"].points
    assert x2 > x1 and y2 > y1  # its score fell: lower on the page
    assert lines["worst"].points[0][1] > chart.baseline_y > lines["best"].points[0][1]
    assert [t.label for t in chart.iteration_labels] == ["1", "2"]
