"""The leaderboard's figures from ranking rows, as the JSON a run stores and the API returns.

All statistics are `apps.stats`' (Bradley-Terry by evalica, the controlled logistic fit,
the win-rate matrix and the movement between iterations); this module maps variant ids to
codes, picks the fit the options ask for, and writes the numbers out (NaN as null).
"""

import math
from collections.abc import Callable

import numpy as np

from apps.stats.ranking import bradley_terry_fit, leaderboard_movement, win_rate_matrix
from apps.stats.style_control import bradley_terry_controlled_fit

from .inputs import LEVEL_WEIGHTS, RankingRows, ranking_weights
from .options import RankingOptions

ELO_BASE = 1000.0
ELO_PER_UNIT = 400 / math.log(10)  # Elo points per unit of log-odds score
SEED = 0


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def elo_points(score: float | None) -> float | None:
    """A log-odds score as Elo-like points (1000 is the average variant)."""
    return None if score is None else ELO_BASE + ELO_PER_UNIT * score


def leaderboard_compute(
    *,
    rows: RankingRows,
    options: RankingOptions,
    variant_names: dict[int, str],
    progress: Callable[[float, str], None] = lambda share, step: None,
) -> dict:
    """The leaderboard of the rows' variants: scores with intervals, Elo-like points, the
    win-rate matrix, movement between iterations and (controlled fits) the coefficients.

    Raises ValueError when no comparison is between two different variants.
    """
    ids, codes = np.unique(
        np.concatenate([rows["variant_a"], rows["variant_b"]]), return_inverse=True
    )
    n_rows = rows["variant_a"].size
    a, b = codes[:n_rows], codes[n_rows:]
    outcome = rows["outcome"].astype(np.int64)
    weight = ranking_weights(level=rows["level"], strength_weighted=options.strength_weighted)
    common = {
        "variant_a": a,
        "variant_b": b,
        "outcome": outcome,
        "weight": weight,
        "n_variants": ids.size,
    }
    progress(0.1, "fitting scores with bootstrap intervals")
    if options.position_control or options.length_control:
        fit = bradley_terry_controlled_fit(
            **common,
            a_on_left=rows["a_on_left"] if options.position_control else None,
            length_a=rows["length_a"] if options.length_control else None,
            length_b=rows["length_b"] if options.length_control else None,
            n_boot=options.bootstrap_rounds,
            seed=SEED,
        )
    else:
        fit = bradley_terry_fit(**common, n_boot=options.bootstrap_rounds, seed=SEED)
    progress(0.7, "pairwise win rates")
    matrix = win_rate_matrix(**common)
    progress(0.8, "movement between iterations")
    movement = leaderboard_movement(iteration=rows["iteration"], **common)

    order = sorted(
        range(ids.size),
        key=lambda i: (-fit.scores[i] if math.isfinite(fit.scores[i]) else math.inf, int(ids[i])),
    )
    variants = []
    for rank, i in enumerate(order, start=1):
        score, low, high = (_finite(x[i]) for x in (fit.scores, fit.ci_low, fit.ci_high))
        variants.append(
            {
                "id": int(ids[i]),
                "name": variant_names.get(int(ids[i]), f"variant {int(ids[i])}"),
                "rank": rank,
                "score": score,
                "low": low,
                "high": high,
                "elo": elo_points(score),
                "elo_low": elo_points(low),
                "elo_high": elo_points(high),
                "comparisons": int(fit.n_comparisons[i]),
            }
        )
    ordered = [int(ids[i]) for i in order]
    return {
        "comparisons": int(n_rows),
        "ties": int((outcome == 0).sum()),
        "options": options.as_dict(),
        "level_weights": list(LEVEL_WEIGHTS) if options.strength_weighted else None,
        "variants": variants,
        "coefficients": {
            name: {
                "value": _finite(value),
                "low": _finite(fit.coefficient_ci[name][0]),
                "high": _finite(fit.coefficient_ci[name][1]),
            }
            for name, value in fit.coefficients.items()
        },
        "win_rates": {
            "variant_ids": ordered,
            "matrix": [[_finite(matrix[i, j]) for j in order] for i in order],
        },
        "movement": {
            "iterations": [int(x) for x in movement.iterations],
            "variant_ids": ordered,
            "scores": [
                [_finite(movement.scores[t, i]) for i in order]
                for t in range(len(movement.iterations))
            ],
            "ranks": [
                [_finite(movement.ranks[t, i]) for i in order]
                for t in range(len(movement.iterations))
            ],
            "score_change": [
                [_finite(movement.score_change[t, i]) for i in order]
                for t in range(len(movement.iterations) - 1)
            ],
            "rank_change": [
                [_finite(movement.rank_change[t, i]) for i in order]
                for t in range(len(movement.iterations) - 1)
            ],
        },
    }
