import numpy as np
import pytest

from apps.stats.winrates import (
    outcome_shares,
    rating_distribution,
    violation_rates,
    win_rates,
)

# 30 prompts with 1-3 ratings each and a per-prompt tendency, so that clustering matters.
CLUSTERED_PROMPT = [
    0, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 7, 8, 8, 9, 10, 10, 11, 11, 11, 12, 12, 13, 14, 14,
    15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19, 19, 20, 20, 20, 21, 21, 22, 23, 23, 24, 24, 25,
    25, 26, 26, 26, 27, 28, 28, 28, 29,
]  # fmt: skip
CLUSTERED_RATING = [
    0, 0, 0, 0, -1, 1, 1, 2, 1, 0, -3, -2, -2, -3, 1, -1, 0, -3, -1, -1, -2, 0, -1, -1, -2, -1,
    1, 0, 2, 1, 1, -2, 0, -1, -1, 0, 2, -1, 2, 2, -2, -1, -2, 1, 2, 3, -2, -1, -1, 0, 1, 0, 1, 0,
    0, 1, -2, -2, -2, -1,
]  # fmt: skip


def test_it_pools_ratings_into_win_tie_loss_shares():
    # Prompt 0: 3, 1, 0; prompt 1: -2, 0, 0; prompt 2: 2, 2, -1; prompt 3: 0, -3, 1.
    # Wins 2 + 0 + 2 + 1 = 5, ties 1 + 2 + 0 + 1 = 4, losses 0 + 1 + 1 + 1 = 3, of 12.
    result = win_rates(
        prompt=[0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3],
        rating=[3, 1, 0, -2, 0, 0, 2, 2, -1, 0, -3, 1],
        n_boot=0,
    )
    assert result.outcomes == ("win", "tie", "loss")
    assert result.groups == [()]
    np.testing.assert_allclose(result.shares, [[5 / 12, 4 / 12, 3 / 12]])
    assert result.n_ratings.tolist() == [12]
    assert result.n_prompts.tolist() == [4]
    assert np.isnan(result.ci_low).all()


def test_it_matches_the_binomial_bootstrap_with_one_rating_per_prompt():
    # One rater per prompt, 50 wins and 50 losses among 100 prompts: a resample's win count is
    # Binomial(100, 0.5), whose 2.5% and 97.5% quantiles are 40 and 60
    # (scipy 1.17.1, stats.binom.ppf([0.025, 0.975], 100, 0.5) -> [40., 60.]; by hand the
    # normal approximation gives 0.5 -+ 1.96 * sqrt(0.25 / 100) = 0.402 .. 0.598).
    result = win_rates(prompt=np.arange(100), rating=[2] * 50 + [-1] * 50, n_boot=20_000)
    assert result.ci_low[0, 0] == pytest.approx(0.40, abs=0.005)
    assert result.ci_high[0, 0] == pytest.approx(0.60, abs=0.005)
    assert result.ci_low[0, 1] == result.ci_high[0, 1] == 0


def test_it_matches_scipy_bootstrap_over_prompts():
    # Reference: scipy 1.17.1, stats.bootstrap((k, n), lambda a, n, axis: a.sum(axis) /
    # n.sum(axis), paired=True, vectorized=True, n_resamples=100_000, method="percentile",
    # rng=np.random.default_rng(0)), where k and n are each prompt's win (tie, loss) and rating
    # counts of CLUSTERED: win 0.16667..0.45161, tie 0.13208..0.33898, loss 0.31373..0.61538.
    # Per-rating resampling would give a win interval of about 0.18..0.42 instead.
    result = win_rates(prompt=CLUSTERED_PROMPT, rating=CLUSTERED_RATING, n_boot=20_000)
    # Totals: 18 wins, 14 ties, 28 losses of 60 ratings.
    np.testing.assert_allclose(result.shares, [[18 / 60, 14 / 60, 28 / 60]])
    np.testing.assert_allclose(result.ci_low, [[0.16667, 0.13208, 0.31373]], atol=0.01)
    np.testing.assert_allclose(result.ci_high, [[0.45161, 0.33898, 0.61538]], atol=0.01)


def test_it_resamples_prompts_not_ratings():
    prompt = np.asarray(CLUSTERED_PROMPT)
    rating = np.asarray(CLUSTERED_RATING)
    once = win_rates(prompt=prompt, rating=rating, n_boot=2000, seed=3)
    # Five copies of every rating within its own prompt add no information: same interval.
    copies = win_rates(prompt=np.repeat(prompt, 5), rating=np.repeat(rating, 5), seed=3)
    np.testing.assert_allclose(copies.shares, once.shares)
    np.testing.assert_allclose(copies.ci_low, once.ci_low)
    np.testing.assert_allclose(copies.ci_high, once.ci_high)
    # The same copies as separate prompts narrow it by about sqrt(5).
    apart = win_rates(prompt=np.arange(prompt.size * 5), rating=np.repeat(rating, 5), seed=3)
    width_once = once.ci_high - once.ci_low
    width_apart = apart.ci_high - apart.ci_low
    assert (width_apart < 0.6 * width_once).all()


def test_it_gives_zero_width_intervals_when_every_rating_agrees():
    wins = win_rates(prompt=[0, 0, 1, 2, 2], rating=[3, 1, 2, 1, 1], n_boot=500)
    np.testing.assert_array_equal(wins.shares, [[1, 0, 0]])
    np.testing.assert_array_equal(wins.ci_low, [[1, 0, 0]])
    np.testing.assert_array_equal(wins.ci_high, [[1, 0, 0]])
    ties = win_rates(prompt=[0, 1, 2], rating=[0, 0, 0], n_boot=500)
    np.testing.assert_array_equal(ties.ci_low, [[0, 1, 0]])
    np.testing.assert_array_equal(ties.ci_high, [[0, 1, 0]])


def test_it_gives_a_single_prompt_a_zero_width_interval():
    # Every resample of one prompt is that prompt: wins 1 of 3, ties 1, losses 1.
    result = win_rates(prompt=[7, 7, 7], rating=[1, 0, -1], n_boot=200)
    np.testing.assert_allclose(result.ci_low, [[1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(result.ci_high, [[1 / 3, 1 / 3, 1 / 3]])


def test_it_drops_missing_ratings():
    full = win_rates(prompt=[0, 0, 1, 2], rating=[1, -1, 0, 2], seed=5)
    gaps = win_rates(
        prompt=[0, 0, 0, 1, 2, 3],
        rating=[1, np.nan, -1, 0, 2, np.nan],
        seed=5,
    )
    np.testing.assert_allclose(gaps.shares, full.shares)
    np.testing.assert_allclose(gaps.ci_low, full.ci_low)
    assert gaps.n_ratings.tolist() == [4]
    assert gaps.n_prompts.tolist() == [3]


def test_it_breaks_rates_down_by_every_combination_of_groups():
    # (pair "ab", single turn): 1, -1 -> win 1/2, loss 1/2; ("ab", multi): 0 -> tie;
    # ("cd", single): 2, 3, 0 -> wins 2/3, tie 1/3. ("cd", multi) never occurs.
    result = win_rates(
        prompt=[0, 0, 1, 2, 2, 3],
        rating=[1, -1, 0, 2, 3, 0],
        groups=[["ab", "ab", "ab", "cd", "cd", "cd"], [0, 0, 1, 0, 0, 0]],
        n_boot=0,
    )
    assert result.groups == [("ab", 0), ("ab", 1), ("cd", 0)]
    np.testing.assert_allclose(result.shares, [[1 / 2, 0, 1 / 2], [0, 1, 0], [2 / 3, 1 / 3, 0]])
    assert result.n_ratings.tolist() == [2, 1, 3]
    assert result.n_prompts.tolist() == [1, 1, 2]


def test_it_resamples_each_group_within_its_own_prompts():
    # Group "x" has one prompt: its interval cannot move, whatever "y" does.
    result = win_rates(
        prompt=[0, 0, 1, 2, 3, 4],
        rating=[1, -1, 1, -1, 1, -1],
        groups=[["x", "x", "y", "y", "y", "y"]],
        n_boot=1000,
    )
    np.testing.assert_allclose(result.ci_low[0], [0.5, 0, 0.5])
    np.testing.assert_allclose(result.ci_high[0], [0.5, 0, 0.5])
    assert result.ci_low[1, 0] < 0.5 < result.ci_high[1, 0]


def test_it_repeats_intervals_for_the_same_seed():
    first = win_rates(prompt=CLUSTERED_PROMPT, rating=CLUSTERED_RATING, n_boot=300, seed=9)
    again = win_rates(prompt=CLUSTERED_PROMPT, rating=CLUSTERED_RATING, n_boot=300, seed=9)
    other = win_rates(prompt=CLUSTERED_PROMPT, rating=CLUSTERED_RATING, n_boot=300, seed=10)
    np.testing.assert_array_equal(first.ci_low, again.ci_low)
    np.testing.assert_array_equal(first.ci_high, again.ci_high)
    assert not np.array_equal(
        np.r_[first.ci_low, first.ci_high], np.r_[other.ci_low, other.ci_high]
    )


@pytest.mark.parametrize(
    ("prompt", "rating"),
    [
        ([], []),
        ([0, 1], [np.nan, np.nan]),
    ],
)
def test_it_rejects_empty_input(prompt, rating):
    with pytest.raises(ValueError, match="no ratings"):
        win_rates(prompt=prompt, rating=rating)


@pytest.mark.parametrize("bad", [4, -4, 0.5])
def test_it_rejects_ratings_off_the_scale(bad):
    with pytest.raises(ValueError, match="from -3 to 3"):
        win_rates(prompt=[0, 1], rating=[1, bad])


def test_it_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        win_rates(prompt=[0, 1, 2], rating=[1, 0])
    with pytest.raises(ValueError, match="same length"):
        win_rates(prompt=[0, 1], rating=[1, 0], groups=[["a"]])


def test_it_counts_ratings_of_1_and_2_as_violations_per_variant_and_category():
    # Variant "v1": 1, 2, 3, 5 -> 2 violations of 4. Variant "v2": 4, 5, 5, 1, 2, 3 -> 2 of 6.
    prompt = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    rating = [1, 2, 3, 5, 4, 5, 5, 1, 2, 3]
    variant = ["v1"] * 4 + ["v2"] * 6
    category = ["crime", "crime", "health", "health", "crime", "health", "health", "crime"]
    category += ["health", "health"]
    overall = violation_rates(prompt=prompt, rating=rating, variant=variant, n_boot=0)
    assert overall.outcomes == ("violation", "no_violation")
    assert overall.groups == [("v1",), ("v2",)]
    np.testing.assert_allclose(overall.shares[:, 0], [2 / 4, 2 / 6])
    split = violation_rates(
        prompt=prompt, rating=rating, variant=variant, groups=[category], n_boot=0
    )
    assert split.groups == [("v1", "crime"), ("v1", "health"), ("v2", "crime"), ("v2", "health")]
    # v1/crime 1, 2 -> 2 of 2; v1/health 3, 5 -> 0 of 2; v2/crime 4, 1 -> 1 of 2;
    # v2/health 5, 5, 2, 3 -> 1 of 4.
    np.testing.assert_allclose(split.shares[:, 0], [1, 0, 1 / 2, 1 / 4])


def test_it_bootstraps_violation_shares_over_prompts():
    # 40 prompts, one rating each, 10 violations: resampled counts are Binomial(40, 0.25),
    # quantiles 5 and 16 (scipy 1.17.1 stats.binom.ppf([0.025, 0.975], 40, 0.25) -> [5., 16.]).
    result = violation_rates(
        prompt=np.arange(40), rating=[1] * 5 + [2] * 5 + [4] * 30, variant=[0] * 40, n_boot=20_000
    )
    assert result.shares[0, 0] == 0.25
    assert result.ci_low[0, 0] == pytest.approx(5 / 40, abs=0.01)
    assert result.ci_high[0, 0] == pytest.approx(16 / 40, abs=0.01)


def test_it_rejects_safety_ratings_off_the_5_point_scale():
    with pytest.raises(ValueError, match="from 1 to 5"):
        violation_rates(prompt=[0, 1], rating=[0, 3], variant=[0, 0])


def test_it_gives_the_rating_distribution_per_level():
    # Levels 1..5: ratings 1, 1, 2, 5, 5, 5, 5, 3 -> 2, 1, 1, 0, 4 of 8.
    result = rating_distribution(prompt=range(8), rating=[1, 1, 2, 5, 5, 5, 5, 3], n_boot=0)
    assert result.outcomes == ("1", "2", "3", "4", "5")
    np.testing.assert_allclose(result.shares, [[2 / 8, 1 / 8, 1 / 8, 0, 4 / 8]])
    likert = rating_distribution(
        prompt=[0, 1, 2, 3], rating=[-3, 3, 3, 0], levels=range(-3, 4), n_boot=0
    )
    np.testing.assert_allclose(likert.shares, [[1 / 4, 0, 0, 1 / 4, 0, 0, 2 / 4]])


def test_outcome_shares_rejects_outcomes_out_of_range():
    with pytest.raises(ValueError, match="integer indices"):
        outcome_shares(prompt=[0, 1], outcome=[0, 2], outcomes=("yes", "no"))
    with pytest.raises(ValueError, match="integer indices"):
        outcome_shares(prompt=[0, 1], outcome=[0.0, 1.0], outcomes=("yes", "no"))
