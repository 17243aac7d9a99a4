import numpy as np
import pytest

from apps.stats.ranking import bradley_terry_fit
from apps.stats.style_control import bradley_terry_controlled_fit
from tests.stats.test_ranking import FOUR_CHOIX, four

TINY = 1e-9

# Dataset MIXED: 30 comparisons of three variants with positions, lengths, ties and weights.
MIXED = {
    "variant_a": [
        2, 1, 2, 2, 1, 2, 2, 0, 0, 0, 0, 2, 2, 0, 1, 2, 0, 2, 0, 1, 2, 0, 1, 0, 2, 0, 2, 1, 1, 1,
    ],
    "variant_b": [
        1, 0, 1, 1, 0, 1, 1, 2, 1, 2, 1, 0, 1, 1, 0, 1, 1, 0, 1, 2, 0, 2, 0, 1, 1, 2, 1, 0, 2, 0,
    ],
    "outcome": [
        -1, -1, -1, 1, 1, 0, 0, 1, -1, 1, 0, -1, -1, -1, 1, -1, -1, -1, 1, 1, 1, -1, -1, 1, -1,
        0, 0, 1, 1, 1,
    ],
    "a_on_left": np.array([
        0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1,
    ], dtype=bool),
    "length_a": [
        10, 130, 110, 10, 30, 110, 130, 110, 90, 70, 90, 10, 90, 90, 10, 10, 90, 10, 90, 10, 30,
        30, 10, 130, 10, 10, 90, 70, 10, 90,
    ],
    "length_b": [
        10, 70, 90, 10, 10, 90, 70, 90, 110, 130, 110, 30, 110, 110, 10, 10, 110, 30, 110, 30,
        10, 10, 30, 70, 30, 30, 110, 130, 30, 110,
    ],
    "weight": [2, 1, 1] * 10,
}  # fmt: skip
# scikit-learn 1.9.1 (scratch venv): LogisticRegression(C=np.inf, fit_intercept=False,
# solver="newton-cg", tol=1e-12).fit(X, Y, sample_weight=W), X holding +1/-1 columns for
# variants 1 and 2 (variant 0 the baseline), the +1/-1 position and (len_A - len_B) /
# (len_A + len_B); a tie as one row of each label at half its weight; one virtual tie per
# variant pair (weight 1, covariates 0) for prior=1. Scores centred.
MIXED_SKLEARN_SCORES = [-0.0300303, 0.47488379, -0.44485349]
MIXED_SKLEARN_POSITION = 0.5933084213682959
MIXED_SKLEARN_LENGTH = 0.910922285254838


def unbalanced_positions(left_wins: int, left_losses: int, right_wins: int, right_losses: int):
    """Variant 0 (A) against 1, A on the left in the first left_wins + left_losses."""
    n_left = left_wins + left_losses
    n = n_left + right_wins + right_losses
    return {
        "variant_a": np.zeros(n, dtype=int),
        "variant_b": np.ones(n, dtype=int),
        "outcome": np.repeat([1, -1, 1, -1], [left_wins, left_losses, right_wins, right_losses]),
        "a_on_left": np.arange(n) < n_left,
    }


def test_it_removes_a_left_side_advantage_that_favoured_the_variant_shown_left():
    # 0 is shown left 80 times, 1 left 20 times; the left response wins 90% either way:
    # 0 left: 72 wins, 8 losses; 1 left: 18 wins for 1, 2 for 0. Plain fit: 0 won 74 of 100,
    # with prior 1: s0 - s1 = ln(74.5 / 26.5) = 1.0337. Controlled: in each position stratum
    # logit P(left wins) = b + (s_left - s_right) = ln(72 / 8) = ln(18 / 2) = ln 9, so
    # s0 - s1 = 0 and b_position = ln 9 = 2.1972 exactly.
    data = unbalanced_positions(72, 8, 2, 18)
    plain = bradley_terry_fit(**{k: v for k, v in data.items() if k != "a_on_left"}, n_boot=0)
    assert plain.scores[0] - plain.scores[1] == pytest.approx(np.log(74.5 / 26.5), abs=1e-9)
    controlled = bradley_terry_controlled_fit(**data, ridge=TINY, n_boot=0)
    np.testing.assert_allclose(controlled.scores, [0, 0], atol=1e-8)
    assert controlled.coefficients["position"] == pytest.approx(np.log(9), abs=1e-7)
    assert np.isnan(controlled.coefficient_ci["position"]).all()


def test_it_removes_an_order_that_decides_everything():
    # The left response always wins and 0 is left 80 times in 100: 0 wins 80 to 20.
    # Plain, prior 1: ln(80.5 / 20.5) = 1.3677. With the control, position explains every
    # outcome: its coefficient is large but finite (the ridge) and the scores nearly equal.
    data = unbalanced_positions(80, 0, 0, 20)
    plain = bradley_terry_fit(**{k: v for k, v in data.items() if k != "a_on_left"}, n_boot=0)
    assert plain.scores[0] - plain.scores[1] == pytest.approx(np.log(80.5 / 20.5), abs=1e-9)
    controlled = bradley_terry_controlled_fit(**data, n_boot=100)
    assert abs(controlled.scores[0] - controlled.scores[1]) < 0.05
    assert 5 < controlled.coefficients["position"] < 20
    assert np.isfinite(controlled.ci_low).all()
    assert np.isfinite(controlled.coefficient_ci["position"]).all()


def test_it_removes_a_length_advantage():
    # 0 is the longer response (3:1, d = 0.5) in 80 comparisons, the shorter in 20; the longer
    # wins 90%: 0 longer 72-8, 0 shorter 2-18. Stratum logits: 0.5 b + (s0 - s1) = ln 9 and
    # -0.5 b + (s0 - s1) = -ln 9, so s0 - s1 = 0 and b_length = 2 ln 9 = 4.3944.
    data = unbalanced_positions(72, 8, 2, 18)
    longer = data.pop("a_on_left")
    data["length_a"] = np.where(longer, 300, 100)
    data["length_b"] = np.where(longer, 100, 300)
    controlled = bradley_terry_controlled_fit(**data, ridge=TINY, n_boot=0)
    np.testing.assert_allclose(controlled.scores, [0, 0], atol=1e-8)
    assert list(controlled.coefficients) == ["length"]
    assert controlled.coefficients["length"] == pytest.approx(2 * np.log(9), abs=1e-7)


def test_it_bins_the_length_difference():
    # d = (2 - 1) / 3 = 0.333 falls in the 0.35 bin, like (27 - 13) / 40 = 0.35 exactly.
    data = unbalanced_positions(6, 2, 1, 3)
    data.pop("a_on_left")
    longer = np.arange(12) % 2 == 0
    third = bradley_terry_controlled_fit(
        **data, length_a=np.where(longer, 2, 1), length_b=np.where(longer, 1, 2), n_boot=0
    )
    exact = bradley_terry_controlled_fit(
        **data, length_a=np.where(longer, 27, 13), length_b=np.where(longer, 13, 27), n_boot=0
    )
    np.testing.assert_allclose(third.scores, exact.scores)
    assert third.coefficients["length"] == pytest.approx(exact.coefficients["length"])


def test_it_matches_scikit_learn_with_both_controls():
    result = bradley_terry_controlled_fit(**MIXED, ridge=TINY, n_boot=0)
    np.testing.assert_allclose(result.scores, MIXED_SKLEARN_SCORES, atol=1e-6)
    assert result.coefficients["position"] == pytest.approx(MIXED_SKLEARN_POSITION, abs=1e-6)
    assert result.coefficients["length"] == pytest.approx(MIXED_SKLEARN_LENGTH, abs=1e-6)


def test_without_controls_it_is_the_plain_fit():
    result = bradley_terry_controlled_fit(**four(), prior=1.0, n_boot=0)
    np.testing.assert_allclose(result.scores, FOUR_CHOIX, atol=1e-7)
    assert result.coefficients == {}


def test_it_recovers_known_effects_from_simulated_comparisons():
    rng = np.random.default_rng(5)
    n = 200_000
    theta = np.array([-0.6, -0.2, 0.1, 0.7])
    a = rng.integers(0, 4, n)
    b = (a + rng.integers(1, 4, n)) % 4
    left = rng.random(n) < 0.5
    length_a, length_b = rng.integers(50, 500, n), rng.integers(50, 500, n)
    z = (
        theta[a]
        - theta[b]
        + 0.4 * np.where(left, 1, -1)
        + 1.2 * (length_a - length_b) / (length_a + length_b)
    )
    outcome = np.where(rng.random(n) < 1 / (1 + np.exp(-z)), 1, -1)
    result = bradley_terry_controlled_fit(
        variant_a=a,
        variant_b=b,
        outcome=outcome,
        a_on_left=left,
        length_a=length_a,
        length_b=length_b,
        n_boot=20,
    )
    # Standard errors at this size are about 0.01 (scores, position) and 0.03 (length).
    np.testing.assert_allclose(result.scores, theta - theta.mean(), atol=0.03)
    assert result.coefficients["position"] == pytest.approx(0.4, abs=0.03)
    assert result.coefficients["length"] == pytest.approx(1.2, abs=0.1)
    low, high = result.coefficient_ci["position"]
    assert low < result.coefficients["position"] < high


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"length_a": [1, 2]}, "both length_a and length_b"),
        ({"length_a": [1, -2], "length_b": [1, 1]}, "non-negative"),
        ({"ridge": 0}, "ridge must be positive"),
        ({"prior": 0}, "prior must be positive"),
        ({"a_on_left": [True]}, "same length"),
    ],
)
def test_it_rejects_malformed_controls(changes, message):
    arguments = {"variant_a": [0, 1], "variant_b": [1, 0], "outcome": [1, -1]}
    with pytest.raises(ValueError, match=message):
        bradley_terry_controlled_fit(**(arguments | changes))
