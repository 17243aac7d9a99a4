"""Bradley-Terry scores with position and length controls, as Arena's style control.

The model is logistic: logit P(A beats B) = s_A - s_B + b_position * p + b_length * d, with
p = +1 when A was shown on the left and -1 when on the right (b_position is the log-odds
advantage of the left side), and d = (len_A - len_B) / (len_A + len_B), binned to
`length_step` so that the fit runs on aggregated rows. The returned scores are the s, the
variants' strengths with the covariates' effect removed; ties count half a win each way and the
virtual-tie prior is the one of `apps.stats.ranking`. A small ridge on the coefficients keeps
them finite when a covariate decides every comparison (the left side always wins).
"""

from functools import partial

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
    # Aggregated rows hold the position as 0/1 and the length as a bin number.
    scale = np.array([2.0 if name == "position" else length_step for name in names])
    shift = np.array([-1.0 if name == "position" else 0.0 for name in names])
    fit = partial(_logistic_fit, ridge=ridge, scale=scale, shift=shift)
    return _bootstrapped(data, fit, prior, n_boot, confidence, seed, names=tuple(names))


def _logistic_fit(
    rows: np.ndarray,
    weight: np.ndarray,
    n: int,
    prior: float,
    *,
    ridge: float,
    scale: np.ndarray,
    shift: np.ndarray,
) -> np.ndarray:
    """Scores of all n variants (NaN if absent) followed by the covariate coefficients."""
    present, compact = _present_variants(rows, n)
    m, k = present.size, scale.size
    tie_a, tie_b = np.triu_indices(m, 1)
    a = np.concatenate([compact[:, 0], tie_a])
    b = np.concatenate([compact[:, 1], tie_b])
    y = np.concatenate([rows[:, 2] / 2, np.full(tie_a.size, 0.5)])
    w = np.concatenate([weight, np.full(tie_a.size, prior)])
    x = np.vstack([rows[:, 4:] * scale + shift, np.zeros((tie_a.size, k))])
    total = w.sum()

    def margins(params: np.ndarray) -> np.ndarray:
        return params[a] - params[b] + x @ params[m:]

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = margins(params)
        beta, centre = params[m:], params[:m].sum()
        # The likelihood ignores a common shift of the scores; the centre term pins it to 0.
        value = w @ (np.logaddexp(0, z) - y * z) + ridge / 2 * beta @ beta + total * centre**2 / 2
        slope = w * (special.expit(z) - y)
        grad = np.concatenate(
            [
                np.bincount(a, slope, m) - np.bincount(b, slope, m) + total * centre,
                x.T @ slope + ridge * beta,
            ]
        )
        return value / total, grad / total

    def hessian(params: np.ndarray) -> np.ndarray:
        p = special.expit(margins(params))
        h = w * p * (1 - p)
        cells = m * m
        h_scores = (
            np.bincount(a * m + a, h, cells)
            + np.bincount(b * m + b, h, cells)
            - np.bincount(a * m + b, h, cells)
            - np.bincount(b * m + a, h, cells)
        ).reshape(m, m) + total
        cross = np.zeros((m, k))
        for j in range(k):
            cross[:, j] = np.bincount(a, h * x[:, j], m) - np.bincount(b, h * x[:, j], m)
        h_coefficients = x.T @ (h[:, None] * x) + ridge * np.eye(k)
        return np.block([[h_scores, cross], [cross.T, h_coefficients]]) / total

    solution = optimize.minimize(
        objective,
        np.zeros(m + k),
        jac=True,
        hess=hessian,
        method="trust-exact",
        options={"gtol": 1e-10, "maxiter": 1000},
    )
    # At machine precision trust-exact may stop with "bad approximation": the gradient decides.
    if not np.abs(solution.jac).max() < 1e-7:
        raise RuntimeError(f"controlled Bradley-Terry fit did not converge: {solution.message}")
    scores = np.full(n, np.nan)
    scores[present] = solution.x[:m] - solution.x[:m].mean()
    return np.concatenate([scores, solution.x[m:]])
