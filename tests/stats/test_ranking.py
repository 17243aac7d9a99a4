import numpy as np
import pytest

from apps.stats.ranking import (
    bradley_terry_fit,
    comparisons_aggregate,
    leaderboard_movement,
    win_rate_matrix,
)

TINY = 1e-9  # a prior that leaves the maximum-likelihood scores of connected data unchanged

# Dataset FOUR: (a, b, outcome, weight, count) for four variants, with ties and two weights.
FOUR_ROWS = [
    (0, 1, 1, 1, 3), (0, 1, -1, 2, 1), (0, 1, 0, 1, 1), (0, 2, 1, 2, 2), (0, 2, 0, 1, 2),
    (1, 2, 1, 1, 1), (1, 2, -1, 1, 2), (2, 3, 1, 1, 2), (2, 3, -1, 1, 1), (3, 0, -1, 1, 2),
    (3, 0, 0, 2, 1), (1, 3, 1, 2, 1),
]  # fmt: skip
# choix 0.4.1 (scratch venv): choix.ilsr_pairwise(4, data, alpha=0.0, max_iter=10000,
# tol=1e-14), centred, where data holds every FOUR comparison doubled (a win of weight w as 2w
# (winner, loser) pairs, a tie of weight w as w pairs each way) plus one pair each way per
# variant pair for prior=1; choix.opt_pairwise(..., method="Newton-CG") gives the same.
FOUR_CHOIX = [0.62906669, 0.14442426, -0.12125009, -0.65224086]


def four() -> dict:
    rows = np.repeat(np.array(FOUR_ROWS), [row[4] for row in FOUR_ROWS], axis=0)
    return {
        "variant_a": rows[:, 0],
        "variant_b": rows[:, 1],
        "outcome": rows[:, 2],
        "weight": rows[:, 3],
    }


def two(wins: int, losses: int, ties: int = 0) -> dict:
    """Variant 0 (as A) against variant 1: wins, then losses, then ties."""
    n = wins + losses + ties
    return {
        "variant_a": np.zeros(n, dtype=int),
        "variant_b": np.ones(n, dtype=int),
        "outcome": np.r_[np.ones(wins), -np.ones(losses), np.zeros(ties)].astype(int),
    }


def test_it_scores_two_variants_by_their_log_odds():
    # 3 wins to 1: s0 - s1 = ln 3, centred: -+ ln(3) / 2 = 0.5493.
    result = bradley_terry_fit(**two(3, 1), prior=TINY, n_boot=0)
    np.testing.assert_allclose(result.scores, [np.log(3) / 2, -np.log(3) / 2], atol=1e-8)
    assert result.n_comparisons.tolist() == [4, 4]


def test_it_counts_the_prior_as_virtual_ties():
    # prior 1 is one virtual tie, half a win each way: 3.5 to 1.5, s0 - s1 = ln(7 / 3).
    result = bradley_terry_fit(**two(3, 1), prior=1.0, n_boot=0)
    assert result.scores[0] - result.scores[1] == pytest.approx(np.log(7 / 3), abs=1e-9)


def test_it_counts_a_tie_as_half_a_win_each_way():
    # 2 wins and 2 ties: 3 to 1, so ln 3 as above.
    result = bradley_terry_fit(**two(2, 0, ties=2), prior=TINY, n_boot=0)
    assert result.scores[0] - result.scores[1] == pytest.approx(np.log(3), abs=1e-8)


def test_it_weights_comparisons():
    # A win of weight 2 against a loss of weight 0.5: s0 - s1 = ln(2 / 0.5) = ln 4.
    result = bradley_terry_fit(**two(1, 1), weight=[2.0, 0.5], prior=TINY, n_boot=0)
    assert result.scores[0] - result.scores[1] == pytest.approx(np.log(4), abs=1e-8)


def test_it_matches_choix_on_four_variants_with_ties_and_weights():
    result = bradley_terry_fit(**four(), prior=1.0, n_boot=0)
    np.testing.assert_allclose(result.scores, FOUR_CHOIX, atol=1e-7)
    assert result.scores.sum() == pytest.approx(0, abs=1e-12)


def test_it_keeps_a_variant_that_always_wins_finite():
    # 10 wins, no loss: the maximum-likelihood score is infinite; with prior 1 it is
    # 10.5 to 0.5, s0 - s1 = ln 21 = 3.0445.
    result = bradley_terry_fit(**two(10, 0), prior=1.0, n_boot=200)
    assert result.scores[0] - result.scores[1] == pytest.approx(np.log(21), abs=1e-9)
    assert np.isfinite(result.ci_low).all()
    assert np.isfinite(result.ci_high).all()
    # Three variants, 0 beating both others every time: finite, first, ordered.
    dominant = bradley_terry_fit(
        variant_a=[0] * 8 + [1] * 4,
        variant_b=[1] * 4 + [2] * 4 + [2] * 4,
        outcome=[1] * 8 + [1, 1, 1, -1],
        n_boot=0,
    )
    assert np.isfinite(dominant.scores).all()
    assert dominant.scores[0] > dominant.scores[1] > dominant.scores[2]


def test_it_gives_equal_scores_when_every_comparison_is_a_tie():
    result = bradley_terry_fit(
        variant_a=[0, 0, 1, 2, 2, 3], variant_b=[1, 2, 2, 3, 0, 1], outcome=[0] * 6, n_boot=50
    )
    np.testing.assert_allclose(result.scores, 0, atol=1e-9)
    np.testing.assert_allclose(result.ci_low, 0, atol=1e-9)
    np.testing.assert_allclose(result.ci_high, 0, atol=1e-9)


def test_it_bootstraps_comparisons_not_aggregated_rows():
    # 600 wins to 400: s0 = ln(1.5) / 2 = 0.2027; the log-odds' standard error is
    # 1 / sqrt(1000 * 0.6 * 0.4) = 0.0645, so s0's 95% interval is about
    # 0.2027 -+ 1.96 * 0.0645 / 2 = 0.1395 .. 0.2659. The data aggregate to two rows.
    result = bradley_terry_fit(**two(600, 400), prior=TINY, n_boot=2000, seed=1)
    assert result.scores[0] == pytest.approx(np.log(1.5) / 2, abs=1e-8)
    assert result.ci_low[0] == pytest.approx(0.1395, abs=0.01)
    assert result.ci_high[0] == pytest.approx(0.2659, abs=0.01)
    np.testing.assert_allclose(result.ci_low[1], -result.ci_high[0])


def test_it_repeats_intervals_for_the_same_seed():
    first = bradley_terry_fit(**four(), n_boot=50, seed=4)
    again = bradley_terry_fit(**four(), n_boot=50, seed=4)
    np.testing.assert_array_equal(first.ci_low, again.ci_low)
    np.testing.assert_array_equal(first.ci_high, again.ci_high)
    assert (first.ci_low <= first.scores).all()
    assert (first.scores <= first.ci_high).all()


def test_it_ignores_a_variant_compared_with_itself():
    base = two(3, 1)
    with_self = {key: np.r_[value, [1, 1]] for key, value in base.items()}
    with_self["variant_a"][-2:] = with_self["variant_b"][-2:] = [0, 1]
    left = bradley_terry_fit(**base, n_boot=0)
    right = bradley_terry_fit(**with_self, n_boot=0)
    np.testing.assert_allclose(right.scores, left.scores)
    assert right.n_comparisons.tolist() == [4, 4]
    with pytest.raises(ValueError, match="two different variants"):
        bradley_terry_fit(variant_a=[1], variant_b=[1], outcome=[1])


def test_it_leaves_a_variant_never_compared_without_a_score():
    result = bradley_terry_fit(**two(3, 1), n_variants=3, prior=1.0, n_boot=10)
    assert np.isnan(result.scores[2])
    assert np.isnan(result.ci_low[2])
    assert result.n_comparisons.tolist() == [4, 4, 0]
    assert result.scores[0] - result.scores[1] == pytest.approx(np.log(7 / 3), abs=1e-9)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"variant_a": [], "variant_b": [], "outcome": []}, "no comparisons"),
        ({"outcome": [1, 2]}, "outcome must be"),
        ({"weight": [1.0, -1.0]}, "non-negative"),
        ({"weight": [1.0, np.nan]}, "finite"),
        ({"variant_b": [1, 5]}, "0..n_variants-1"),
        ({"variant_a": [0.0, 1.0]}, "integer codes"),
        ({"outcome": [1]}, "same length"),
    ],
)
def test_it_rejects_malformed_comparisons(changes, message):
    arguments = {"variant_a": [0, 1], "variant_b": [1, 0], "outcome": [1, -1], "n_variants": 3}
    with pytest.raises(ValueError, match=message):
        bradley_terry_fit(**(arguments | changes))


def test_it_needs_a_positive_prior():
    with pytest.raises(ValueError, match="prior must be positive"):
        bradley_terry_fit(**two(3, 1), prior=0)


def test_it_aggregates_a_million_comparisons_on_few_rows():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 12, 1_000_000)
    b = (a + rng.integers(1, 12, a.size)) % 12
    data = comparisons_aggregate(
        variant_a=a,
        variant_b=b,
        outcome=rng.integers(-1, 2, a.size),
        weight=rng.choice([1.0, 0.5, 0.25], a.size),
    )
    # At most 12 * 11 ordered pairs x 3 outcomes x 3 weights = 1188 rows.
    assert data.rows.shape[0] <= 1188
    assert data.count.sum() == 1_000_000
    assert set(data.weight.tolist()) == {1.0, 0.5, 0.25}


def test_it_tabulates_pairwise_win_rates():
    # 0 vs 1: 0 wins, tie, 1 wins (as A) -> 0 won 1 + 0.5 of 3. 0 vs 2: 2 lost as A -> 1.
    # 1 and 2 never met.
    matrix = win_rate_matrix(variant_a=[0, 0, 1, 2], variant_b=[1, 1, 0, 0], outcome=[1, 0, 1, -1])
    expected = [[np.nan, 0.5, 1.0], [0.5, np.nan, np.nan], [0.0, np.nan, np.nan]]
    np.testing.assert_allclose(matrix, expected)
    weighted = win_rate_matrix(
        variant_a=[0, 0], variant_b=[1, 1], outcome=[1, -1], weight=[3.0, 1.0]
    )
    assert weighted[0, 1] == 0.75
    assert weighted[1, 0] == 0.25


def test_it_shows_how_variants_moved_between_iterations():
    # Week 1: 0 beats 1 3 to 1; week 2: 1 beats 0 3 to 1, and 2 appears, tying 1 twice.
    # With prior 1, week 1's scores are -+ ln(7/3)/2 = 0.4236.
    iteration = ["w1"] * 4 + ["w2"] * 6
    variant_a = [0] * 8 + [1, 1]
    variant_b = [1] * 8 + [2, 2]
    outcome = [1, 1, 1, -1, -1, -1, -1, 1, 0, 0]
    result = leaderboard_movement(
        iteration=iteration, variant_a=variant_a, variant_b=variant_b, outcome=outcome
    )
    assert result.iterations == ["w1", "w2"]
    np.testing.assert_allclose(result.scores[0, :2], [np.log(7 / 3) / 2, -np.log(7 / 3) / 2])
    assert np.isnan(result.scores[0, 2])
    # Week 2: 1 beat 0, and 2 only tied 1, so 2 sits between them.
    np.testing.assert_array_equal(result.ranks, [[1, 2, np.nan], [3, 1, 2]])
    np.testing.assert_array_equal(result.rank_change, [[-2, 1, np.nan]])
    # Score change on the variants of both weeks (0 and 1), centred on them.
    week2 = result.scores[1, :2] - result.scores[1, :2].mean()
    np.testing.assert_allclose(result.score_change[0, :2], week2 - result.scores[0, :2])
    assert result.score_change[0, 0] < 0 < result.score_change[0, 1]
    assert np.isnan(result.score_change[0, 2])


def test_it_fits_cumulative_iterations():
    # Through week 2, 0 and 1 have won 4 each: equal scores and a shared first rank.
    result = leaderboard_movement(
        iteration=[1] * 4 + [2] * 4,
        variant_a=[0] * 8,
        variant_b=[1] * 8,
        outcome=[1, 1, 1, -1, -1, -1, -1, 1],
        cumulative=True,
    )
    np.testing.assert_allclose(result.scores[1], [0, 0], atol=1e-9)
    np.testing.assert_array_equal(result.ranks[1], [1, 1])
    np.testing.assert_array_equal(result.rank_change[0], [0, 1])
