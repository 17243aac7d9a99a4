import itertools

import numpy as np
import pytest

from apps.stats.reliability import (
    gold_accuracy,
    judgment_speed,
    longest_streak,
    outlier_flags,
    position_bias,
    reliability_weights,
    robust_zscore,
    unsure_rate,
)


def per_rater(*groups):
    """Rows for raters 0, 1, ... from one list of values per rater."""
    rater = np.concatenate([np.full(len(g), r) for r, g in enumerate(groups)]).astype(int)
    return rater, np.concatenate([np.asarray(g) for g in groups])


def test_it_measures_position_bias_as_binomtest_does():
    rater, left = per_rater([True] * 7 + [False] * 13, [True] * 10, [True] * 5 + [False] * 5)
    result = position_bias(rater=rater, chose_left=left, n_raters=4)
    np.testing.assert_array_equal(result.n, [20, 10, 10, 0])
    np.testing.assert_allclose(result.share[:3], [0.35, 1.0, 0.5])
    # 10 of 10 left: 2 * 0.5**10 = 0.001953125; 5 of 10: the middle, p = 1.
    # 7 of 20 and its interval: scipy 1.17.1, binomtest(7, 20).pvalue and .proportion_ci()
    np.testing.assert_allclose(result.p_value[:3], [0.26317596435546875, 0.001953125, 1.0])
    assert (result.low[0], result.high[0]) == pytest.approx(
        (0.1539092047845412, 0.5921885345328283)
    )
    assert result.high[1] == 1.0
    assert np.isnan([result.share[3], result.p_value[3], result.low[3]]).all()


def test_it_counts_unsure_judgments():
    rater, value = per_rater([1, -1, 4, -3], [2, 3])
    result = unsure_rate(rater=rater, value=value)
    np.testing.assert_array_equal(result.count, [2, 0])
    np.testing.assert_allclose(result.share, [0.5, 0.0])
    assert result.low[1] == 0.0 and 0 < result.high[1] < 1


def test_it_takes_median_seconds_and_the_share_under_the_floor():
    # Rater 0: 5, 1, 3 -> median 3, under 3.5: 1 and 3, 2 of 3. Rater 1: 4, 10, 2, 8 -> (4 + 8) / 2
    # = 6, under 3.5: 2, 1 of 4. Rater 2 has none.
    rater, seconds = per_rater([5.0, 1.0, 3.0], [4.0, 10.0, 2.0, 8.0])
    result = judgment_speed(rater=rater, seconds=seconds, floor_seconds=3.5, n_raters=3)
    np.testing.assert_array_equal(result.n, [3, 4, 0])
    np.testing.assert_allclose(result.median_seconds, [3.0, 6.0, np.nan])
    np.testing.assert_allclose(result.fast_share, [2 / 3, 1 / 4, np.nan])


def test_its_medians_match_numpy_per_rater_with_floors_per_judgment():
    rng = np.random.default_rng(1)
    rater = rng.integers(0, 20, 3000)
    seconds = rng.gamma(2.0, 10.0, 3000)
    floor = np.where(rng.random(3000) < 0.5, 5.0, 12.0)
    result = judgment_speed(rater=rater, seconds=seconds, floor_seconds=floor)
    for r in range(20):
        mine = rater == r
        assert result.median_seconds[r] == pytest.approx(np.median(seconds[mine]))
        assert result.fast_share[r] == pytest.approx(np.mean(seconds[mine] < floor[mine]))


def test_it_rejects_missing_durations():
    with pytest.raises(ValueError, match="finite"):
        judgment_speed(rater=np.array([0, 0]), seconds=np.array([1.0, np.nan]), floor_seconds=1)


def test_it_finds_the_longest_same_side_streak_in_time_order():
    # Rater 0 in time order: L L R L L L R -> 3; rater 1: L L L L -> 4 (not joined with rater 0's
    # runs, though both are left at the boundary); rater 2 has none. Rows arrive shuffled.
    sides = {0: [1, 1, 0, 1, 1, 1, 0], 1: [1, 1, 1, 1]}
    rows = [(r, t, s) for r, seq in sides.items() for t, s in enumerate(seq)]
    shuffled = [rows[i] for i in np.random.default_rng(2).permutation(len(rows))]
    rater, order, left = (np.array(column) for column in zip(*shuffled, strict=True))
    result = longest_streak(rater=rater, chose_left=left.astype(bool), order=order, n_raters=3)
    np.testing.assert_array_equal(result, [3, 4, 0])


def test_its_streaks_match_a_loop_over_raters():
    rng = np.random.default_rng(3)
    rater, order = rng.integers(0, 15, 2000), rng.permutation(2000)
    left = rng.random(2000) < 0.6
    result = longest_streak(rater=rater, chose_left=left, order=order)
    for r in range(15):
        seq = left[rater == r][np.argsort(order[rater == r])]
        longest = run = 1
        for previous, current in itertools.pairwise(seq):
            run = run + 1 if current == previous else 1
            longest = max(longest, run)
        assert result[r] == longest


def test_it_flags_gold_accuracy_only_when_shown_below_threshold():
    # Wilson upper bounds (scipy 1.17.1, binomtest(k, n).proportion_ci(method="wilson")):
    # 8/10 0.9433178485456248, 30/50 0.7239161026974346, 2/5 0.769275718723987.
    rater, correct = per_rater(
        [True] * 8 + [False] * 2, [True] * 30 + [False] * 20, [1, 1, 0, 0, 0]
    )
    result = gold_accuracy(rater=rater, correct=correct, threshold=0.85, min_count=10, n_raters=4)
    np.testing.assert_allclose(result.accuracy[:3], [0.8, 0.6, 0.4])
    np.testing.assert_allclose(
        result.high[:3], [0.9433178485456248, 0.7239161026974346, 0.769275718723987]
    )
    # Rater 0: 0.8 is under 0.85 but could be chance; rater 2 has too few; rater 3 none.
    np.testing.assert_array_equal(result.below_threshold, [False, True, False, False])
    assert np.isnan(result.accuracy[3])


def test_it_scores_outliers_robustly():
    # Median 3, absolute deviations 2, 1, 0, 1, 97 -> MAD 1; z = 0.67449 (x - 3).
    # Reference: scipy 1.17.1, (x - median) / median_abs_deviation(x, scale="normal")
    x = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    np.testing.assert_allclose(
        robust_zscore(values=x), [-1.3489795, -0.67448975, 0.0, 0.67448975, 65.42550577]
    )
    np.testing.assert_array_equal(outlier_flags(values=x), [False, False, False, False, True])


def test_its_outlier_scores_survive_a_zero_mad_and_nan():
    # 5, 5, 5, 5, 9: MAD 0; mean absolute deviation 4/5, z(9) = 4 / (1.253314 * 0.8) = 3.9894
    z = robust_zscore(values=[5, 5, 5, 5, 9, np.nan])
    np.testing.assert_allclose(z[:5], [0, 0, 0, 0, 3.9894228], atol=1e-6)
    assert np.isnan(z[5])
    np.testing.assert_array_equal(outlier_flags(values=[5, 5, 9, np.nan])[3], False)
    np.testing.assert_array_equal(robust_zscore(values=[2.0, 2.0]), [0.0, 0.0])
    assert np.isnan(robust_zscore(values=[np.nan])).all()


def planted_judgments():
    truth = np.arange(40) % 3 == 0  # A is the better sample on 14 of 40 items
    answers = {
        0: truth,
        1: truth,
        2: np.where(np.arange(40) % 5 == 0, ~truth, truth),  # wrong on every fifth item
        3: np.ones(40, bool),  # always A
        4: ~truth,  # always the worse one
    }
    # Rater 4 first, so crowd-kit's first-appearance worker order is not the index order.
    rows = [(i, r, answers[r][i]) for r in (4, 3, 2, 1, 0) for i in range(40)]
    rows += [(100 + i, 5, True) for i in range(5)]  # rater 5 judges only unshared items
    item, rater, chose_a = (np.array(column) for column in zip(*rows, strict=True))
    return {"item": item, "rater": rater, "chose_a": chose_a}


def test_it_weighs_raters_by_dawid_skene_accuracy():
    # Dawid-Skene recovers the truth: priors 26/40 (B) and 14/40 (A). Rater 2 reports B right
    # on 21 of 26 and A on 11 of 14: 0.65 * 21/26 + 0.35 * 11/14 = 0.8. Rater 3 is right on the
    # A items only: 0.35. Rater 4 never: 0. Rater 5 shares no item: NaN.
    weights = reliability_weights(**planted_judgments(), n_raters=7)
    np.testing.assert_allclose(weights[:5], [1.0, 1.0, 0.8, 0.35, 0.0], atol=1e-9)
    assert np.isnan(weights[5:]).all()


def test_it_weighs_raters_by_mace_competence():
    # crowd-kit 1.4.2: MACE(n_restarts=1, n_iter=50).fit(df of raters 0..4 above).spamming_[:, 1],
    # whose rows follow first appearance (raters 4, 3, 2, 1, 0), re-ordered by rater.
    weights = reliability_weights(**planted_judgments(), method="mace")
    np.testing.assert_allclose(
        weights[:5], [0.98518712, 0.98572575, 0.59625287, 0.00777318, 0.00346574], atol=1e-7
    )
    assert np.isnan(weights[5])


def test_it_rejects_malformed_reliability_input():
    with pytest.raises(ValueError, match="one length"):
        position_bias(rater=np.array([0, 1]), chose_left=np.array([True]))
    with pytest.raises(ValueError, match="integer"):
        unsure_rate(rater=np.array([0.0]), value=np.array([1]))
    with pytest.raises(ValueError, match="n_raters"):
        unsure_rate(rater=np.array([0, 3]), value=np.array([1, 2]), n_raters=2)
    with pytest.raises(ValueError, match="method"):
        reliability_weights(**planted_judgments(), method="glad")  # type: ignore[arg-type]


def test_it_handles_no_judgments():
    none = np.array([], int)
    assert position_bias(rater=none, chose_left=none, n_raters=2).n.tolist() == [0, 0]
    assert longest_streak(rater=none, chose_left=none, order=none, n_raters=2).tolist() == [0, 0]
    speed = judgment_speed(rater=none, seconds=none, floor_seconds=1.0, n_raters=1)
    assert np.isnan(speed.median_seconds).all()
    assert np.isnan(reliability_weights(item=none, rater=none, chose_a=none, n_raters=2)).all()
