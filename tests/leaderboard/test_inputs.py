"""Ranking rows from preference comparisons: sides, strength, withdrawal, same-variant pairs."""

import numpy as np
import pytest

from apps.catalog.models import ModelVariant
from apps.leaderboard.inputs import (
    COLUMNS,
    DTYPES,
    LEVEL_WEIGHTS,
    batch_comparisons_for_ranking,
    ranking_rows_concat,
    ranking_weights,
)
from apps.preferences.models import GoldAnswer
from apps.preferences.withdrawal import comparisons_restore, comparisons_withdraw
from tests.leaderboard.conftest import judge, variant_batch

pytestmark = pytest.mark.django_db


def _ids(*names: str) -> list[int]:
    return [ModelVariant.objects.get(name=n).pk for n in names]


def test_it_maps_slot_a_to_variant_a_and_the_chosen_slot_to_the_outcome(staff):
    batch = variant_batch("alpha", "beta", iteration=3)
    judge(batch, chosen="a", strength="significantly_better", left="a", texts=("1234", "12"))
    judge(batch, chosen="b", strength="slightly_better", left="a", texts=("abc", "abcdef"))
    judge(batch, chosen="b", strength="better", left="b", texts=("x", "yy"))
    rows = batch_comparisons_for_ranking(batch_ids=[batch.pk])
    alpha, beta = _ids("alpha", "beta")
    order = np.argsort(rows["length_a"] + 10 * rows["length_b"])
    rows = {k: v[order] for k, v in rows.items()}
    assert rows["variant_a"].tolist() == [alpha] * 3 and rows["variant_b"].tolist() == [beta] * 3
    # ("x", "yy"): B won, better, B was on the left; ("1234", "12"): A won significantly, left.
    assert rows["outcome"].tolist() == [-1, 1, -1]
    assert rows["level"].tolist() == [2, 3, 1]
    assert rows["a_on_left"].tolist() == [False, True, True]
    assert rows["length_a"].tolist() == [1, 4, 3] and rows["length_b"].tolist() == [2, 2, 6]
    assert rows["iteration"].tolist() == [3, 3, 3]
    assert {k: v.dtype for k, v in rows.items()} == {k: np.dtype(DTYPES[k]) for k in COLUMNS}


def test_negligibly_better_or_unsure_counts_as_a_tie(staff):
    batch = variant_batch("alpha", "beta")
    judge(batch, chosen="b", strength="negligibly_better_or_unsure")
    rows = batch_comparisons_for_ranking(batch_ids=[batch.pk])
    assert rows["outcome"].tolist() == [0] and rows["level"].tolist() == [0]


def test_it_skips_withdrawn_comparisons_and_takes_restored_ones_back(staff):
    batch = variant_batch("alpha", "beta")
    kept = judge(batch, chosen="a")
    gone = judge(batch, chosen="b")
    comparisons_withdraw(batch=batch, actor=staff, reason="rushed", comparison_ids=[gone.pk])
    rows = batch_comparisons_for_ranking(batch_ids=[batch.pk])
    assert rows["outcome"].tolist() == [1]
    comparisons_restore(batch=batch, actor=staff, comparison_ids=[gone.pk])
    assert sorted(batch_comparisons_for_ranking(batch_ids=[batch.pk])["outcome"]) == [-1, 1]
    assert kept.pk != gone.pk


def test_it_skips_pairs_of_one_variant_and_qualification_gold(staff):
    same = variant_batch("alpha", "alpha")
    judge(same, chosen="a")
    batch = variant_batch("alpha", "beta")
    judge(batch, chosen="a")
    test = judge(batch, chosen="b")
    GoldAnswer.objects.create(
        pair_id=test.pair_id, batch=batch, expected_slot="b", for_qualification=True, source="admin"
    )
    rows = batch_comparisons_for_ranking(batch_ids=[same.pk, batch.pk])
    assert rows["outcome"].tolist() == [1]
    assert batch_comparisons_for_ranking(batch_ids=[same.pk])["outcome"].size == 0
    assert batch_comparisons_for_ranking(batch_ids=[])["variant_a"].dtype == np.int64


def test_rows_of_several_sources_concatenate_column_by_column(staff):
    one = variant_batch("alpha", "beta", iteration=1)
    two = variant_batch("beta", "gamma", iteration=2)
    judge(one, chosen="a")
    judge(two, chosen="b")
    joined = ranking_rows_concat(
        batch_comparisons_for_ranking(batch_ids=[one.pk]),
        batch_comparisons_for_ranking(batch_ids=[two.pk]),
    )
    both = batch_comparisons_for_ranking(batch_ids=[one.pk, two.pk])
    order = np.argsort(both["iteration"], kind="stable")
    for name in COLUMNS:
        assert joined[name].tolist() == both[name][order].tolist()
        assert joined[name].dtype == np.dtype(DTYPES[name])


def test_the_weight_table_follows_the_level():
    level = np.array([0, 1, 2, 3], dtype=np.int8)
    assert ranking_weights(level=level, strength_weighted=True).tolist() == list(LEVEL_WEIGHTS)
    assert LEVEL_WEIGHTS[3] == 1.0 and LEVEL_WEIGHTS[2] == pytest.approx(2 / 3)
    assert ranking_weights(level=level, strength_weighted=False).tolist() == [1.0] * 4
