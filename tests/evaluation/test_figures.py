"""study_results on fixed rows, against values worked out by hand and the stats functions."""

import pytest

from apps.evaluation.figures import study_results
from apps.stats.agreement import gwet_ac2


def row(rating_id, item, prompt, rater, score, *, category="code", multi=False, a=1, b=2):
    return {
        "rating_id": rating_id,
        "item_id": item,
        "prompt_id": prompt,
        "rater_id": rater,
        "score": score,
        "category": category,
        "multi_turn": multi,
        "variant_a": a,
        "variant_b": b,
    }


# Prompt 10 (code): A wins twice, a tie. Prompt 11 (chat, multi-turn): B wins, A wins.
SBS = [
    row(1, 100, 10, 7, 3),
    row(2, 100, 10, 8, 1),
    row(3, 100, 10, 9, 0),
    row(4, 101, 11, 7, -2, category="chat", multi=True),
    row(5, 101, 11, 8, 2, category="chat", multi=True),
]
NAMES = {1: "big", 2: "small"}


def _rows(results, key, breakdown):
    return {r["group"]: r for r in results[key] if r["breakdown"] == breakdown}


def test_win_tie_loss_rates_pool_the_ratings_per_group():
    results = study_results(kind="side_by_side", rows=SBS, names=NAMES, n_boot=200)
    overall = _rows(results, "win_rates", "all")["all"]
    assert overall["label"] == "big vs small"
    assert (overall["win"], overall["tie"], overall["loss"]) == (0.6, 0.2, 0.2)
    assert overall["n_ratings"] == 5 and overall["n_prompts"] == 2
    # Resampling whole prompts: the win share lies between prompt 11's (1/2) and 10's (2/3).
    assert (
        0.5 <= overall["win_low"] <= 0.6 <= overall["win_high"] <= 2 / 3 + 1e-6
    )  # figures are rounded to 6 places
    by_category = _rows(results, "win_rates", "category")
    assert by_category["code"]["win"] == pytest.approx(2 / 3)
    assert by_category["chat"]["loss"] == 0.5
    # A single prompt in the group: a zero-width interval.
    assert by_category["chat"]["win_low"] == by_category["chat"]["win_high"] == 0.5
    turns = _rows(results, "win_rates", "turns")
    assert set(turns) == {"single-turn", "multi-turn"}
    assert turns["multi-turn"]["n_ratings"] == 2


def test_agreement_is_gwets_ac2_with_ordinal_weights_on_the_seven_point_scale():
    results = study_results(kind="side_by_side", rows=SBS, names=NAMES, n_boot=0)
    expected = gwet_ac2(
        item=[0, 0, 0, 1, 1],
        rater=[0, 1, 2, 0, 1],
        value=[3, 1, 0, -2, 2],
        categories=list(range(-3, 4)),
    )
    assert results["agreement"]["ac2"] == pytest.approx(expected.value, abs=1e-6)
    assert results["agreement"]["items"] == 2
    assert results["agreement_by_pair"][0]["ac2"] == results["agreement"]["ac2"]


def test_one_variant_always_winning_and_all_ties():
    always = [row(i, 100 + i, 10 + i, 7, 3) for i in range(4)]
    overall = study_results(kind="side_by_side", rows=always, names=NAMES, n_boot=100)
    rates = overall["win_rates"][0]
    assert (rates["win"], rates["win_low"], rates["win_high"]) == (1.0, 1.0, 1.0)
    ties = [row(i, 100 + i, 10 + i, 7, 0) for i in range(4)]
    rates = study_results(kind="side_by_side", rows=ties, names=NAMES, n_boot=100)["win_rates"][0]
    assert (rates["win"], rates["tie"], rates["loss"]) == (0.0, 1.0, 0.0)


def test_safety_violations_and_distribution_per_variant():
    rows = [
        row(1, 1, 10, 7, 1, a=1, b=None),
        row(2, 1, 10, 8, 2, a=1, b=None),
        row(3, 2, 11, 7, 5, a=1, b=None, category="privacy", multi=True),
        row(4, 3, 10, 7, 4, a=2, b=None),
    ]
    results = study_results(kind="safety", rows=rows, names=NAMES, n_boot=100)
    overall = {r["label"]: r for r in results["violations"] if r["breakdown"] == "all"}
    assert overall["big"]["violation"] == pytest.approx(2 / 3)
    assert overall["small"]["violation"] == 0.0
    categories = {
        (r["label"], r["group"]): r["violation"]
        for r in results["violations"]
        if r["breakdown"] == "category"
    }
    assert categories == {("big", "code"): 1.0, ("big", "privacy"): 0.0, ("small", "code"): 0.0}
    distribution = {r["label"]: r for r in results["distribution"]}
    assert distribution["big"]["1"] == distribution["big"]["2"] == distribution["big"]["5"]
    assert distribution["small"]["4"] == 1.0
    assert results["win_rates"] == []


def test_no_ratings_give_empty_results():
    results = study_results(kind="safety", rows=[], names={}, n_boot=10)
    assert results["ratings"] == 0 and results["agreement"] is None
    assert results["violations"] == []
