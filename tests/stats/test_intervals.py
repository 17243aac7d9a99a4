import numpy as np
import pytest

from apps.stats.intervals import (
    Estimate,
    bootstrap_totals,
    clopper_pearson_interval,
    percentile_interval,
    resample_counts,
    row_groups,
    wilson_interval,
)

# Reference: scipy 1.17.1, scipy.stats.binomtest(k, n).proportion_ci(method="wilson") and
# (method="exact"), printed once for each (k, n) below.
SCIPY_CI = {
    (0, 10): ((0.0, 0.27753279986288926), (0.0, 0.30849710781876294)),
    (3, 10): ((0.10779126740630102, 0.6032218525388546), (0.06673951117773447, 0.652452850060008)),
    (10, 10): ((0.7224672001371109, 1.0), (0.6915028921812371, 1.0)),
    (7, 20): ((0.1811918241010821, 0.5671457233147637), (0.1539092047845412, 0.5921885345328283)),
    (45, 100): (
        (0.35614537979511984, 0.5475539700255787),
        (0.35032022923967204, 0.5527198112260501),
    ),
}


def test_it_computes_the_wilson_interval_by_hand():
    # 3 of 10, z = 1.959964, z^2 = 3.841459: denom = 2 (10 + 3.841459) = 27.682918,
    # center = (2*10*0.3 + 3.841459) / 27.682918 = 0.355506,
    # delta = 1.959964 / 27.682918 * sqrt(4*10*0.3*0.7 + 3.841459) = 0.070801 * 3.498780 = 0.247717
    low, high = wilson_interval(successes=3, trials=10)
    assert low == pytest.approx(0.355506 - 0.247717, abs=1e-5)
    assert high == pytest.approx(0.355506 + 0.247717, abs=1e-5)


def test_it_matches_scipy_wilson_and_exact_intervals_elementwise():
    k = np.array([key[0] for key in SCIPY_CI])
    n = np.array([key[1] for key in SCIPY_CI])
    wilson = np.array([value[0] for value in SCIPY_CI.values()])
    exact = np.array([value[1] for value in SCIPY_CI.values()])
    np.testing.assert_allclose(np.column_stack(wilson_interval(successes=k, trials=n)), wilson)
    np.testing.assert_allclose(
        np.column_stack(clopper_pearson_interval(successes=k, trials=n)), exact, rtol=1e-9
    )


def test_it_gives_nan_intervals_for_zero_trials():
    for interval in (wilson_interval, clopper_pearson_interval):
        low, high = interval(successes=np.array([0, 2]), trials=np.array([0, 4]))
        assert np.isnan(low[0]) and np.isnan(high[0])
        assert 0 < low[1] < 0.5 < high[1] < 1


def test_it_groups_equal_rows():
    rows = np.array([[2, 0], [0, 2], [2, 0], [1, 1], [0, 2]])
    unique, inverse = row_groups(rows=rows)
    np.testing.assert_array_equal(unique[inverse], rows)
    assert len(unique) == 3


def test_it_groups_float_rows_and_rows_too_wide_for_one_key():
    floats = np.array([[0.5, 1.0], [0.5, 1.0], [0.25, 1.0]])
    unique, inverse = row_groups(rows=floats)
    assert len(unique) == 2
    np.testing.assert_array_equal(unique[inverse], floats)
    wide = np.tile(np.array([[10**6] * 5, [0] * 5]), (3, 1))  # (10**6 + 1)**5 > 2**62
    unique, inverse = row_groups(rows=wide)
    assert len(unique) == 2
    np.testing.assert_array_equal(unique[inverse], wide)


@pytest.mark.parametrize("repeat", [1, 100])  # few units per group, then many (multinomial)
def test_it_resamples_every_unit_once_per_draw(repeat):
    groups = np.repeat(np.array([0, 0, 0, 1, 2, 2]), repeat)
    n = 6 * repeat
    counts = resample_counts(groups=groups, n_resamples=4000, seed=1)
    assert counts.shape == (4000, 3)
    assert (counts.sum(axis=1) == n).all()
    # Each group's count is Binomial(n, size / n): means n/2, n/6, n/3; group 0's variance n/4
    np.testing.assert_allclose(counts.mean(axis=0) / repeat, [3, 1, 2], atol=0.06)
    assert counts[:, 0].var() == pytest.approx(n / 4, rel=0.06)


def test_it_resamples_large_and_small_groups_together_exactly():
    # Sizes 60, 3, 1 of n = 64: counts are Binomial(64, size / 64) whichever way each is drawn;
    # variances 64 p (1 - p): 60*4/64 = 3.75, 3*61/64 = 2.859, 1*63/64 = 0.984
    groups = np.repeat(np.array([0, 1, 2]), [60, 3, 1])
    counts = resample_counts(groups=groups, n_resamples=20000, seed=3)
    assert (counts.sum(axis=1) == 64).all()
    np.testing.assert_allclose(counts.mean(axis=0), [60, 3, 1], atol=0.05)
    np.testing.assert_allclose(counts.var(axis=0), [3.75, 2.859, 0.984], rtol=0.05)
    # The two small groups share draws: their counts are negatively correlated, -64 p1 p2.
    covariance = np.cov(counts[:, 1], counts[:, 2])[0, 1]
    assert covariance == pytest.approx(-3 / 64, abs=0.03)


@pytest.mark.parametrize("repeat", [1, 100])
def test_it_reproduces_the_bootstrap_variance_of_a_mean(repeat):
    # The bootstrap variance of a mean is the plug-in variance over n: for x = 0, 1, 2, 3, 10
    # (mean 3.2, squared deviations 10.24 + 4.84 + 1.44 + 0.04 + 46.24 = 62.8), 62.8 / 5 / 5 = 2.512
    x = np.repeat(np.array([0.0, 1.0, 2.0, 3.0, 10.0]), repeat)
    totals = bootstrap_totals(rows=np.column_stack([x, np.ones(x.size)]), n_resamples=40000, seed=2)
    means = totals[:, 0] / totals[:, 1]
    assert means.mean() == pytest.approx(3.2, abs=0.03)
    assert means.var() * repeat == pytest.approx(2.512, rel=0.03)


def test_it_is_reproducible_from_its_seed():
    rows = np.array([[1, 0], [0, 1], [1, 1]])
    first = bootstrap_totals(rows=rows, n_resamples=50, seed=7)
    np.testing.assert_array_equal(first, bootstrap_totals(rows=rows, n_resamples=50, seed=7))
    assert not np.array_equal(first, bootstrap_totals(rows=rows, n_resamples=50, seed=8))


def test_it_handles_no_units():
    assert resample_counts(groups=np.zeros(0, int), n_resamples=3).shape == (3, 0)
    assert bootstrap_totals(rows=np.zeros((0, 2), int), n_resamples=3).shape == (3, 2)


def test_it_takes_percentiles_of_finite_replicates():
    # 0..100 plus NaNs: linear quantiles at 2.5% and 97.5% of 101 points are 2.5 and 97.5
    replicates = np.concatenate([np.arange(101.0), [np.nan, np.inf]])
    assert percentile_interval(replicates=replicates) == pytest.approx((2.5, 97.5))
    assert percentile_interval(replicates=replicates, confidence=0.5) == pytest.approx((25, 75))
    assert np.isnan(percentile_interval(replicates=[np.nan, np.nan])).all()


def test_an_estimate_is_immutable():
    estimate = Estimate(value=0.5, low=0.4, high=0.6, n=10)
    with pytest.raises(AttributeError):
        estimate.value = 1.0  # type: ignore[misc]
