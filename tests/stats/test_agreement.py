import krippendorff
import numpy as np
import pytest

from apps.stats.agreement import (
    _ordinal_alpha,
    gwet_ac2,
    krippendorff_alpha,
    percent_agreement,
    rater_agreement,
)
from apps.stats.intervals import row_groups
from apps.stats.scale import SIGNED_SCALE

LIKERT_7 = np.arange(1, 8)

# Items x raters, None = missing. EIGHT is on the signed eight-point scale, LIKERT on 1..7.
EIGHT = [
    [4, 4, 3, None],
    [1, -1, 2, 1],
    [-4, None, None, None],
    [None, -3, -2, -3],
    [2, 2, 2, 2],
    [-1, 1, -2, None],
    [3, 4, None, 4],
    [-2, -2, -1, -2],
    [None, None, 1, 1],
    [4, -4, 4, 3],
    [-3, -3, None, -4],
    [2, 1, 1, None],
]
LIKERT = [
    [4, 4, 5],
    [1, 2, 1],
    [7, 6, 7],
    [3, 4, 4],
    [5, 5, 5],
    [2, 6, None],
    [4, 3, 4],
    [6, 7, 6],
    [None, 1, 2],
    [4, 4, 4],
]
# Item 2 has a single rating: it counts towards chance agreement only.
TINY = [[4, 4, None], [1, -1, 2], [-4, None, None], [None, -3, -2]]

# Reference: irrCAC 0.4.4 (scipy 1.12.0, pandas 2.3.3) in a scratch venv, on each table as a
# DataFrame (NaN = missing): CAC(df, weights=w, categories=cats, digits=12).gwet()["est"], with
# cats = SIGNED_SCALE for EIGHT and 1..7 for LIKERT. For linear and quadratic weights EIGHT was
# recoded to ranks 1..8 first (irrCAC spaces those weights by code value; we use ranks).
# Columns (rounded to 8 decimals): coefficient_value, se, confidence_interval (2), pa, pe.
IRRCAC = {
    ("EIGHT", "ordinal"): (0.73843825, 0.18171607, 0.33848388, 1, 0.93560606, 0.7538098),
    ("EIGHT", "identity"): (0.32616086, 0.11404483, 0.07514989, 0.57717183, 0.40909091, 0.12307099),
    ("EIGHT", "linear"): (0.66799099, 0.12928806, 0.38342988, 0.95255209, 0.87229437, 0.61535494),
    ("EIGHT", "quadratic"): (0.7555356, 0.19555516, 0.32512159, 1, 0.94465059, 0.77358907),
    ("LIKERT", "ordinal"): (0.73949539, 0.17585641, 0.34168056, 1, 0.92857143, 0.72580688),
    ("LIKERT", "identity"): (0.30449716, 0.12855912, 0.01367623, 0.59531809, 0.4, 0.13731481),
    ("LIKERT", "linear"): (0.6296014, 0.15733627, 0.27368202, 0.98552078, 0.85, 0.59503086),
    ("LIKERT", "quadratic"): (0.76888273, 0.18060409, 0.36032788, 1, 0.94166667, 0.74760288),
}


def ratings(table):
    cells = [(i, r, v) for i, row in enumerate(table) for r, v in enumerate(row) if v is not None]
    item, rater, value = (np.array(column) for column in zip(*cells, strict=True))
    return {"item": item, "rater": rater, "value": value}


def random_ratings(*, seed, n_items, n_raters, per_item, categories):
    rng = np.random.default_rng(seed)
    raters = np.argsort(rng.random((n_items, n_raters)), axis=1)[:, :per_item]
    item = np.repeat(np.arange(n_items), per_item)
    value = rng.choice(categories, size=item.size)
    return {"item": item, "rater": raters.ravel(), "value": value}


def test_it_computes_ac2_by_hand_on_a_tiny_table():
    # Ordinal weights on 8 categories: w(d) = 1 - d(d+1)/2 / 28, so w(1) = 27/28, w(2) = 25/28;
    # the matrix sums to 8 + 2 (7*27 + 6*25 + 5*22 + 4*18 + 3*13 + 2*7) / 28 = 49.
    # pa: item 0 (+4, +4) 1; item 1 (ranks 3, 4, 5) (52 + 54 + 52) / 28 / 6 = 158/168;
    # item 3 (ranks 1, 2) 27/28; mean (168 + 158 + 162) / 168 / 3 = 488/504.
    # Shares over the 4 rated items: ranks 0 and 7 1/4, ranks 1 and 2 1/8, ranks 3..5 1/12;
    # sum pi (1 - pi) = 3/8 + 7/32 + 11/48 = 79/96; pe = 49 / (8*7) * 79/96.
    pa, pe = 488 / 504, 49 / 56 * 79 / 96
    result = gwet_ac2(**ratings(TINY))
    assert result.pa == pytest.approx(pa)
    assert result.pe == pytest.approx(pe)
    assert result.value == pytest.approx((pa - pe) / (1 - pe))  # 0.886600
    assert result.n == 3


@pytest.mark.parametrize(("table", "weights"), list(IRRCAC))
def test_it_matches_irrcac_gwet(table, weights):
    value, se, low, high, pa, pe = IRRCAC[table, weights]
    categories = SIGNED_SCALE if table == "EIGHT" else LIKERT_7
    result = gwet_ac2(
        **ratings(EIGHT if table == "EIGHT" else LIKERT), categories=categories, weights=weights
    )
    got = (result.value, result.se, result.low, result.high, result.pa, result.pe)
    np.testing.assert_allclose(got, (value, se, low, high, pa, pe), atol=1e-6)


def test_it_gives_ac2_one_for_perfect_agreement():
    # irrCAC 0.4.4 on the same table: coefficient 1.0, se 0.0, interval (1.0, 1), pe 0.583333333333
    result = gwet_ac2(**ratings([[3, 3, 3], [-2, -2, None], [1, 1, 1]]))
    assert (result.value, result.se, result.low, result.high) == (1.0, 0.0, 1.0, 1.0)
    assert result.pe == pytest.approx(0.583333333333)


def test_it_finds_chance_level_agreement_near_zero():
    data = random_ratings(seed=4, n_items=3000, n_raters=6, per_item=3, categories=SIGNED_SCALE)
    for estimate in (gwet_ac2(**data), krippendorff_alpha(**data, n_resamples=200)):
        assert abs(estimate.value) < 0.03
        assert estimate.low < 0 < estimate.high
    # Random sides agree half the time.
    assert percent_agreement(**data).value == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("statistic", [gwet_ac2, percent_agreement, krippendorff_alpha])
def test_it_gives_nan_without_an_item_rated_twice(statistic):
    empty = {"item": np.array([], int), "rater": np.array([], int), "value": np.array([], int)}
    single_rater = ratings([[4], [-2], [1]])
    for data in (empty, single_rater):
        result = statistic(**data)
        assert np.isnan([result.value, result.low, result.high]).all()
        assert result.n == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": np.array([4, 0])}, "not one of the categories"),
        ({"rater": np.array([1, 1])}, "appears twice"),
        ({"item": np.array([0])}, "one length"),
        ({"value": np.array([4.0, 3.0])}, "integer"),
        ({"rater": np.array([-1, 0])}, "non-negative"),
    ],
)
def test_it_rejects_malformed_ratings(change, message):
    data = {"item": np.array([0, 0]), "rater": np.array([0, 1]), "value": np.array([4, 3])}
    for statistic in (gwet_ac2, percent_agreement, krippendorff_alpha, rater_agreement):
        with pytest.raises(ValueError, match=message):
            statistic(**(data | change))


def test_it_computes_percent_agreement_by_hand():
    # Sides: item 0 (+, +) agrees; item 1 (+, -, +) one agreeing pair of 3; item 3 (-, -) agrees.
    # (1 + 1/3 + 1) / 3 = 7/9; item 2 has one rating and is left out.
    result = percent_agreement(**ratings(TINY))
    assert result.value == pytest.approx(7 / 9)
    assert result.n == 3


def test_its_percent_agreement_is_irrcac_pa():
    # irrCAC 0.4.4: pa of CAC(sides of EIGHT, categories=[-1, 1]).gwet() 0.848484848485, and of
    # CAC(EIGHT, categories=SIGNED_SCALE, weights="identity").gwet() 0.409090909091
    side = percent_agreement(**ratings(EIGHT))
    assert side.value == pytest.approx(0.848484848485)
    assert side.low < side.value < side.high
    assert percent_agreement(**ratings(EIGHT), on="value").value == pytest.approx(0.409090909091)


def test_its_percent_agreement_interval_is_one_for_perfect_agreement_and_seeded():
    perfect = percent_agreement(**ratings([[3, 4], [-2, -1], [1, 2]]))
    assert (perfect.value, perfect.low, perfect.high) == (1.0, 1.0, 1.0)
    data = random_ratings(seed=5, n_items=400, n_raters=5, per_item=3, categories=SIGNED_SCALE)
    first = percent_agreement(**data, seed=1)
    assert first == percent_agreement(**data, seed=1)
    assert first != percent_agreement(**data, seed=2)
    # 400 items with 3 random sides: each item's share has sd ~0.38, so the mean's sd is ~0.019
    # and a 95% interval spans about 4 of them.
    assert 0.05 < first.high - first.low < 0.10


def test_it_computes_ordinal_alpha_by_hand():
    # Units (1, 1), (2, 3), (3, 3): coincidences o11 = 2, o23 = o32 = 1, o33 = 2; n = (2, 1, 3).
    # Ordinal d(c, k) = (sum of n from c to k - (n_c + n_k) / 2)^2: d12 = 1.5^2, d23 = 2^2,
    # d13 = 3.5^2. Observed: 2 * 4 = 8; expected: 2 (2*1*2.25 + 2*3*12.25 + 1*3*4) = 180.
    # alpha = 1 - (6 - 1) * 8 / 180 = 7/9
    data = {"item": np.array([0, 0, 1, 1, 2, 2]), "rater": np.array([0, 1] * 3)}
    result = krippendorff_alpha(**data, value=np.array([1, 1, 2, 3, 3, 3]), categories=[1, 2, 3])
    assert result.value == pytest.approx(7 / 9)


def test_it_matches_krippendorffs_published_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 observers x 12 units:
    # ordinal alpha 0.815 (quoted in the krippendorff 0.9.0 docstring, which gives 0.8153875...).
    table = [
        [1, 1, None, 1],
        [2, 2, 3, 2],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [2, 2, 2, 2],
        [1, 2, 3, 4],
        [4, 4, 4, 4],
        [1, 1, 2, 1],
        [2, 2, 2, 2],
        [None, 5, 5, 5],
        [None, None, 1, 1],
        [None, 3, None, None],
    ]
    result = krippendorff_alpha(**ratings(table), categories=[1, 2, 3, 4, 5])
    assert result.value == pytest.approx(0.815, abs=5e-4)
    assert result.low < result.value < result.high
    assert result.n == 11


def test_its_alpha_matches_the_package_from_raw_tables():
    # krippendorff 0.9.0: alpha(reliability_data=<table transposed, NaN missing>,
    # value_domain=<categories>, level_of_measurement="ordinal")
    assert krippendorff_alpha(**ratings(EIGHT)).value == pytest.approx(0.6864940219641075)
    likert = krippendorff_alpha(**ratings(LIKERT), categories=LIKERT_7)
    assert likert.value == pytest.approx(0.7314542783694455)


def test_its_vectorised_alpha_equals_the_package_for_any_weights():
    rng = np.random.default_rng(6)
    for _ in range(5):
        counts = rng.integers(0, 3, size=(40, 5))
        counts = counts[counts.sum(axis=1) >= 2]
        profiles, inverse = row_groups(rows=counts)
        mine = _ordinal_alpha(profiles=profiles, draws=np.bincount(inverse)[None, :])[0]
        reference = krippendorff.alpha(value_counts=counts, level_of_measurement="ordinal")
        assert mine == pytest.approx(reference, abs=1e-12)


def test_its_alpha_bootstrap_matches_a_brute_force_bootstrap():
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 5, size=60)
    counts = np.zeros((60, 5), int)
    for _ in range(3):  # three noisy ratings per item
        np.add.at(counts, (np.arange(60), np.clip(truth + rng.integers(-1, 2, 60), 0, 4)), 1)
    brute = [
        krippendorff.alpha(
            value_counts=counts[rng.integers(0, 60, 60)], level_of_measurement="ordinal"
        )
        for _ in range(600)
    ]
    profiles, inverse = row_groups(rows=counts)
    draws = np.random.default_rng(8).multinomial(60, np.bincount(inverse) / 60, size=4000)
    mine = _ordinal_alpha(profiles=profiles, draws=draws)
    assert np.mean(mine) == pytest.approx(np.mean(brute), abs=0.01)
    assert np.std(mine) == pytest.approx(np.std(brute), rel=0.12)


def test_its_alpha_is_nan_without_variation():
    result = krippendorff_alpha(**ratings([[2, 2], [2, 2, 2]]))
    assert np.isnan(result.value) and result.n == 2


def test_it_computes_rater_agreement_by_hand():
    result = rater_agreement(**ratings(TINY))
    np.testing.assert_array_equal(result.n, [2, 3, 2])
    # Rater 0: item 0 (+4 vs +4) 1, item 1 (+1 vs -1, +2) 1/2: 3/4. Rater 1: item 0 1,
    # item 1 (-1 vs +1, +2) 0, item 3 (-3 vs -2) 1: 2/3.
    np.testing.assert_allclose(result.side, [3 / 4, 2 / 3, 3 / 4])
    # Rater 2, weighted: item 1 (rank 5 vs ranks 4, 3) (27 + 25) / 56, item 3 (rank 2 vs 1)
    # 27/28: mean 106/112, on AC2's scale with the pooled pe of the hand-computed test above.
    pe = 49 / 56 * 79 / 96
    assert result.ac2[2] == pytest.approx((106 / 112 - pe) / (1 - pe))


def test_its_rater_agreement_is_irrcac_ac2_for_two_raters():
    # irrCAC 0.4.4 on EIGHT's raters 0 and 1 only: gwet() with ordinal weights 0.487830687831
    # (pa 0.873015873016); on their sides (categories [-1, 1]) pa 0.666666666667.
    two = ratings([row[:2] for row in EIGHT])
    result = rater_agreement(**two)
    np.testing.assert_allclose(result.ac2, [0.487830687831] * 2, atol=1e-9)
    np.testing.assert_allclose(result.side, [0.666666666667] * 2, atol=1e-9)
    assert (result.ac2_low < result.ac2).all() and (result.side_high > result.side).all()


def test_its_rater_agreement_matches_a_loop_over_raters():
    data = random_ratings(seed=9, n_items=300, n_raters=8, per_item=3, categories=SIGNED_SCALE)
    data["item"], data["rater"], data["value"] = (a[:-100] for a in data.values())  # some single
    result = rater_agreement(**data, n_raters=10)
    for r in range(8):
        shares = []
        for i in np.unique(data["item"][data["rater"] == r]):
            rows = data["item"] == i
            mine = np.sign(data["value"][rows & (data["rater"] == r)][0])
            others = np.sign(data["value"][rows & (data["rater"] != r)])
            if others.size:
                shares.append(np.mean(others == mine))
        assert result.n[r] == len(shares)
        assert result.side[r] == pytest.approx(np.mean(shares))
    assert (result.n[8:] == 0).all() and np.isnan(result.side[8:]).all()


def test_it_rejects_too_small_a_rater_count():
    with pytest.raises(ValueError, match="n_raters"):
        rater_agreement(**ratings(TINY), n_raters=2)
