"""A study's results, computed from its raw rating rows (no queries here).

The results page, the API and a recomputation from the exported JSONL or Parquet all call
`study_results` on the same rows, so their figures are equal by construction and a test can
check it. Every interval is a 95% percentile bootstrap over prompts (`apps.stats.winrates`);
the seed is fixed, so the same ratings always give the same intervals.
"""

import math
from collections.abc import Iterable, Mapping

import numpy as np

from apps.stats.agreement import gwet_ac2
from apps.stats.winrates import Shares, rating_distribution, violation_rates, win_rates

SEED = 13
SIDE_BY_SIDE_LEVELS = np.arange(-3, 4)
SAFETY_LEVELS = np.arange(1, 6)
ALL = "all"


def _num(value) -> float | None:
    """A float for JSON: NaN (nothing to measure) becomes None."""
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def _turns(multi_turn: np.ndarray) -> np.ndarray:
    return np.where(multi_turn, "multi-turn", "single-turn")


def _columns(rows: list[Mapping]) -> dict[str, np.ndarray]:
    def column(name: str, dtype=None) -> np.ndarray:
        return np.asarray([row[name] for row in rows], dtype=dtype)

    return {
        "prompt": column("prompt_id", np.int64),
        "item": column("item_id", np.int64),
        "rater": column("rater_id", np.int64),
        "score": column("score", np.int64),
        "variant_a": column("variant_a", np.int64),
        "variant_b": np.asarray(
            [-1 if row["variant_b"] is None else row["variant_b"] for row in rows], dtype=np.int64
        ),
        "category": np.asarray([row["category"] or "uncategorised" for row in rows]),
        "multi_turn": column("multi_turn", bool),
    }


def _agreement(*, item, rater, score, levels) -> dict:
    _, item_index = np.unique(item, return_inverse=True)
    _, rater_index = np.unique(rater, return_inverse=True)
    ac2 = gwet_ac2(item=item_index, rater=rater_index, value=score, categories=levels)
    return {
        "ac2": _num(ac2.value),
        "low": _num(ac2.low),
        "high": _num(ac2.high),
        "items": int(ac2.n),
        "weights": "ordinal",
    }


def _share_rows(shares: Shares, *, breakdown: str, labels) -> list[dict]:
    """One dict per group of `shares`: the group's labels, counts, and each outcome's share
    with its interval."""
    rows = []
    for g, key in enumerate(shares.groups):
        row = labels(key) | {
            "breakdown": breakdown,
            "n_ratings": int(shares.n_ratings[g]),
            "n_prompts": int(shares.n_prompts[g]),
        }
        for k, outcome in enumerate(shares.outcomes):
            row[outcome] = _num(shares.shares[g, k])
            row[f"{outcome}_low"] = _num(shares.ci_low[g, k])
            row[f"{outcome}_high"] = _num(shares.ci_high[g, k])
        rows.append(row)
    return rows


def _side_by_side(c: dict[str, np.ndarray], *, names: Mapping[int, str], n_boot: int) -> dict:
    pair_code = c["variant_a"] * (int(c["variant_b"].max()) + 2) + c["variant_b"]
    pair_of = {
        int(code): (int(a), int(b))
        for code, a, b in zip(pair_code, c["variant_a"], c["variant_b"], strict=True)
    }

    def labels(key: tuple) -> dict:
        a, b = pair_of[int(key[0])]
        group = ALL if len(key) == 1 else str(key[1])
        return {
            "variant_a": a,
            "variant_b": b,
            "label": f"{names.get(a, a)} vs {names.get(b, b)}",
            "group": group,
        }

    common = {"prompt": c["prompt"], "rating": c["score"], "n_boot": n_boot, "seed": SEED}
    rates = []
    for breakdown, groups in (
        (ALL, [pair_code]),
        ("category", [pair_code, c["category"]]),
        ("turns", [pair_code, _turns(c["multi_turn"])]),
    ):
        rates += _share_rows(win_rates(groups=groups, **common), breakdown=breakdown, labels=labels)
    agreement_by_pair = []
    for code, (a, b) in sorted(pair_of.items()):
        chosen = pair_code == code
        agreement_by_pair.append(
            {"variant_a": a, "variant_b": b, "label": f"{names.get(a, a)} vs {names.get(b, b)}"}
            | _agreement(
                item=c["item"][chosen],
                rater=c["rater"][chosen],
                score=c["score"][chosen],
                levels=SIDE_BY_SIDE_LEVELS,
            )
        )
    return {"win_rates": rates, "agreement_by_pair": agreement_by_pair}


def _safety(c: dict[str, np.ndarray], *, names: Mapping[int, str], n_boot: int) -> dict:
    def labels(key: tuple) -> dict:
        variant = int(key[0])
        return {
            "variant": variant,
            "label": str(names.get(variant, variant)),
            "group": ALL if len(key) == 1 else str(key[1]),
        }

    common = {
        "prompt": c["prompt"],
        "rating": c["score"],
        "variant": c["variant_a"],
        "n_boot": n_boot,
        "seed": SEED,
    }
    violations = []
    for breakdown, groups in (
        (ALL, []),
        ("category", [c["category"]]),
        ("turns", [_turns(c["multi_turn"])]),
    ):
        shares = violation_rates(groups=groups, **common)
        violations += _share_rows(shares, breakdown=breakdown, labels=labels)
    distribution = rating_distribution(
        prompt=c["prompt"],
        rating=c["score"],
        levels=SAFETY_LEVELS.tolist(),
        groups=[c["variant_a"]],
        n_boot=n_boot,
        seed=SEED,
    )
    return {
        "violations": violations,
        "distribution": _share_rows(distribution, breakdown=ALL, labels=labels),
    }


def study_results(
    *, kind: str, rows: Iterable[Mapping], names: Mapping[int, str], n_boot: int
) -> dict:
    """The study's figures from its rating rows (`selectors.study_rating_rows`, or the same
    rows read back from an export): counts, Gwet's AC2 (ordinal weights) with its interval,
    and win/tie/loss rates per variant pair (side by side) or violation shares and the rating
    distribution per variant (safety), overall, per category and single vs multi-turn."""
    rows = list(rows)
    safety = kind == "safety"
    result = {
        "kind": kind,
        "ratings": len(rows),
        "items_rated": len({row["item_id"] for row in rows}),
        "prompts_rated": len({row["prompt_id"] for row in rows}),
        "raters": len({row["rater_id"] for row in rows}),
        "bootstrap_rounds": n_boot,
        "confidence": 0.95,
        "agreement": None,
        "win_rates": [],
        "agreement_by_pair": [],
        "violations": [],
        "distribution": [],
    }
    if not rows:
        return result
    c = _columns(rows)
    levels = SAFETY_LEVELS if safety else SIDE_BY_SIDE_LEVELS
    result["agreement"] = _agreement(
        item=c["item"], rater=c["rater"], score=c["score"], levels=levels
    )
    part = (
        _safety(c, names=names, n_boot=n_boot)
        if safety
        else _side_by_side(c, names=names, n_boot=n_boot)
    )
    return result | part
