"""Bradley-Terry scores with position and length controls, as Arena's style control.

The model is logistic: logit P(A beats B) = s_A - s_B + b_position * p + b_length * d, with
p = +1 when A was shown on the left and -1 when on the right (b_position is the log-odds
advantage of the left side), and d = (len_A - len_B) / (len_A + len_B), binned to
`length_step` so that the fit runs on aggregated rows. The returned scores are the s, the
variants' strengths with the covariates' effect removed; ties count half a win each way and the
virtual-tie prior is the one of `apps.stats.ranking`. A small ridge on the coefficients keeps
them finite when a covariate decides every comparison (the left side always wins).
"""

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from apps.stats.ranking import Leaderboard, _bootstrapped, _present_variants, comparisons_aggregate


def bradley_terry_controlled_fit(
    *,
    variant_a: npt.ArrayLike,
    variant_b: npt.ArrayLike,
    outcome: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    a_on_left: npt.ArrayLike | None = None,
    length_a: npt.ArrayLike | None = None,
    length_b: npt.ArrayLike | None = None,
    length_step: float = 0.05,
    n_variants: int | None = None,
    prior: float = 1.0,
    ridge: float = 1e-3,
    n_boot: int = 100,
    confidence: float = 0.95,
    seed: int = 0,
) -> Leaderboard:
    """Bradley-Terry scores controlled for screen position and/or response length.

    Comparison inputs as in `apps.stats.ranking.comparisons_aggregate`. `a_on_left` (booleans)
    adds the position control, `length_a` and `length_b` (tokens or characters, both given) the
    length control; with neither this is the plain Bradley-Terry maximum-likelihood fit, solved
    by Newton's method instead of evalica. `coefficients` holds "position" and "length" in
    log-odds; `ridge` (> 0) is the L2 penalty on them, in units of comparison weight. Intervals
    resample comparisons `n_boot` times.
    """
    extra, names = [], []
    if a_on_left is not None:
        extra.append(np.asarray(a_on_left, dtype=bool).astype(np.int64))
        names.append("position")
    if (length_a is None) != (length_b is None):
        raise ValueError("the length control needs both length_a and length_b")
    if length_a is not None:
        la, lb = np.asarray(length_a, dtype=float), np.asarray(length_b, dtype=float)
        if not ((la >= 0).all() and (lb >= 0).all()):
            raise ValueError("lengths must be non-negative")
        with np.errstate(invalid="ignore"):
            difference = np.nan_to_num((la - lb) / (la + lb))
        extra.append(np.rint(difference / length_step).astype(np.int64))
        names.append("length")
    if not ridge > 0:
        raise ValueError("ridge must be positive: it keeps the coefficients finite")
    data = comparisons_aggregate(
        variant_a=variant_a,
        variant_b=variant_b,
        outcome=outcome,
        weight=weight,
        n_variants=n_variants,
        extra=tuple(extra),
    )
    if not prior > 0:
        raise ValueError("prior must be positive: it keeps scores finite")
    # Aggregated rows hold the position as 0/1 and the length as a bin number.
    scale = np.array([2.0 if name == "position" else length_step for name in names])
    shift = np.array([-1.0 if name == "position" else 0.0 for name in names])
    model = _LogisticModel(data.rows, data.n_variants, prior, ridge=ridge, scale=scale, shift=shift)
    return _bootstrapped(data, model.fit, n_boot, confidence, seed, names=tuple(names))


class _LogisticModel:
    """The logistic fit on fixed aggregated rows, run once per vector of row weights.

    The design is built once, and every fit after the first starts from the first solution, so
    a bootstrap round costs a couple of Newton steps.
    """

    def __init__(
        self,
        rows: np.ndarray,
        n: int,
        prior: float,
        *,
        ridge: float,
        scale: np.ndarray,
        shift: np.ndarray,
    ) -> None:
        self.n, self.ridge = n, ridge
        self.present, compact = _present_variants(rows, n)
        m, k = self.present.size, scale.size
        tie_a, tie_b = np.triu_indices(m, 1)
        self.n_ties, self.prior = tie_a.size, prior
        self.a = np.concatenate([compact[:, 0], tie_a])
        self.b = np.concatenate([compact[:, 1], tie_b])
        self.pair = self.a * m + self.b
        self.y = np.concatenate([rows[:, 2] / 2, np.full(tie_a.size, 0.5)])
        self.x = np.vstack([rows[:, 4:] * scale + shift, np.zeros((tie_a.size, k))])
        self.start = np.zeros(m + k)

    def fit(self, weight: np.ndarray) -> np.ndarray:
        """Scores of all n variants (NaN if absent) followed by the covariate coefficients."""
        a, b, y, x, ridge = self.a, self.b, self.y, self.x, self.ridge
        m, k = self.present.size, x.shape[1]
        w = np.concatenate([weight, np.full(self.n_ties, self.prior)])
        total = w.sum()

        def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
            z = params[a] - params[b] + x @ params[m:]
            beta, centre = params[m:], params[:m].sum()
            # The likelihood ignores a common shift of the scores; the centre term pins it at 0.
            value = w @ (np.logaddexp(0, z) - y * z) + ridge / 2 * beta @ beta
            slope = w * (special.expit(z) - y)
            grad = np.concatenate(
                [
                    np.bincount(a, slope, m) - np.bincount(b, slope, m) + total * centre,
                    x.T @ slope + ridge * beta,
                ]
            )
            return (value + total * centre**2 / 2) / total, grad / total

        def hessian(params: np.ndarray) -> np.ndarray:
            p = special.expit(params[a] - params[b] + x @ params[m:])
            h = w * p * (1 - p)
            pairs = np.bincount(self.pair, h, m * m).reshape(m, m)
            h_scores = np.diag(pairs.sum(axis=0) + pairs.sum(axis=1)) - pairs - pairs.T + total
            cross = np.zeros((m, k))
            for j in range(k):
                cross[:, j] = np.bincount(a, h * x[:, j], m) - np.bincount(b, h * x[:, j], m)
            h_coefficients = x.T @ (h[:, None] * x) + ridge * np.eye(k)
            return np.block([[h_scores, cross], [cross.T, h_coefficients]]) / total

        solution = optimize.minimize(
            objective,
            self.start,
            jac=True,
            hess=hessian,
            method="trust-exact",
            options={"gtol": 1e-10, "maxiter": 1000},
        )
        # At machine precision trust-exact may stop on "bad approximation": the gradient decides.
        if not np.abs(solution.jac).max() < 1e-7:
            raise RuntimeError(f"controlled Bradley-Terry fit did not converge: {solution.message}")
        if not self.start.any():
            self.start = solution.x
        scores = np.full(self.n, np.nan)
        scores[self.present] = solution.x[:m] - solution.x[:m].mean()
        return np.concatenate([scores, solution.x[m:]])
