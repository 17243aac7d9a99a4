from apps.evaluation.charts import LABEL_WIDTH, PLOT_WIDTH, share_bars, study_charts
from apps.evaluation.figures import study_results

from .test_figures import NAMES, SBS


def test_bars_are_as_wide_as_their_share_with_the_interval_as_an_error_bar():
    row = {
        "label": "big vs small",
        "win": 0.5,
        "win_low": 0.25,
        "win_high": 0.75,
        "tie": None,
        "tie_low": None,
        "tie_high": None,
        "loss": 0.5,
        "loss_low": None,
        "loss_high": None,
    }
    chart = share_bars(
        title="t",
        rows=[row],
        outcomes=[("win", "A wins"), ("tie", "tie"), ("loss", "B wins")],
        label_key="label",
    )
    (group,) = chart.groups
    win, loss = group.bars  # a missing share is not drawn
    assert win.width == PLOT_WIDTH / 2 and win.x == LABEL_WIDTH
    assert (win.low_x, win.high_x) == (
        LABEL_WIDTH + PLOT_WIDTH / 4,
        LABEL_WIDTH + 3 * PLOT_WIDTH / 4,
    )
    assert loss.low_x is None and loss.y > win.y
    assert win.display == "A wins 50% [25%, 75%]"


def test_a_side_by_side_study_draws_win_rates_overall_per_category_and_per_turns():
    charts = dict(
        study_charts(study_results(kind="side_by_side", rows=SBS, names=NAMES, n_boot=50))
    )
    assert list(charts) == ["win-rates-all", "win-rates-category", "win-rates-turns"]
    assert [g.label for g in charts["win-rates-category"].groups] == [
        "big vs small · chat",
        "big vs small · code",
    ]
    assert all(len(g.bars) == 3 for g in charts["win-rates-all"].groups)
