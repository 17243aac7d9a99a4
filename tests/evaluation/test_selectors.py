import numpy as np
import pytest

from apps.batches.models import Batch
from apps.evaluation.selectors import (
    studies_open_for,
    study_comparisons_for_ranking,
    study_item_next,
    study_rating_rows,
)
from apps.pairs.models import Sample
from tests.factories import UserFactory

from .conftest import rate

pytestmark = pytest.mark.django_db


def test_comparisons_for_ranking_are_in_the_studys_order_not_the_screens(
    sbs_study, safety_study, raters, variants
):
    items = list(sbs_study.items.order_by("pk"))
    rate(items[0], raters[0], 1, a_on_left=True)  # left (A) much better: +3
    rate(items[0], raters[1], 1, a_on_left=False)  # left (B) much better: -3
    rate(items[1], raters[0], 4, a_on_left=False)  # tie
    rate(items[2], raters[0], 6, a_on_left=True)  # right (B) better: -2
    rate(safety_study.items.first(), raters[0], 1)  # safety ratings give no rows
    Batch.objects.filter(pk=sbs_study.source_batch_id).update(iteration=7)
    got = study_comparisons_for_ranking(study_ids=[sbs_study.pk, safety_study.pk])
    a, b = variants[0].pk, variants[1].pk
    assert got["variant_a"].tolist() == [a] * 4 and got["variant_b"].tolist() == [b] * 4
    assert got["outcome"].tolist() == [1, -1, 0, -1]
    assert got["level"].tolist() == [3, 3, 0, 2]
    assert got["a_on_left"].tolist() == [True, False, False, True]
    # conftest's texts: A "Response of A" (13 chars), B "B's answer, longer" (18).
    assert got["length_a"].tolist() == [13] * 4 and got["length_b"].tolist() == [18] * 4
    assert got["iteration"].tolist() == [7] * 4  # the week of the prompts' batch
    assert got["outcome"].dtype == np.int8 and got["level"].dtype == np.int8
    assert got["variant_a"].dtype == np.int64 and got["length_a"].dtype == np.int64
    assert got["a_on_left"].dtype == bool


def test_comparisons_for_ranking_of_no_ratings_are_empty_arrays(safety_study):
    got = study_comparisons_for_ranking(study_ids=[safety_study.pk])
    assert set(got) == {
        "variant_a",
        "variant_b",
        "outcome",
        "level",
        "a_on_left",
        "length_a",
        "length_b",
        "iteration",
    }
    assert all(len(v) == 0 for v in got.values())


def test_the_next_item_skips_rated_full_and_ungenerated_items(sbs_study, raters):
    items = list(sbs_study.items.order_by("pk"))
    Sample.objects.filter(pair=items[2].pair).update(status="pending")
    items[2].pair.__class__.objects.filter(pk=items[2].pair_id).update(ready_at=None)
    rate(items[0], raters[0], 2)
    assert study_item_next(study=sbs_study, rater=raters[0]) == items[1]
    # Items with more ratings come first, so they are finished before others are started.
    assert study_item_next(study=sbs_study, rater=raters[1]) == items[0]
    rate(items[0], raters[1], 2)
    rate(items[0], raters[2], 2)
    rate(items[1], raters[2], 2)
    assert study_item_next(study=sbs_study, rater=raters[2]) is None


def test_only_listed_raters_and_staff_see_a_study(sbs_study, raters, staff):
    assert list(studies_open_for(user=raters[0])) == [sbs_study]
    assert list(studies_open_for(user=staff)) == [sbs_study]
    assert not studies_open_for(user=UserFactory(username="stranger")).exists()


def test_rating_rows_carry_the_prompt_category_turns_and_lengths(sbs_study, raters):
    item = sbs_study.items.get(multi_turn=True)
    rating = rate(item, raters[0], 7, a_on_left=False)
    (row,) = study_rating_rows(study=sbs_study)
    assert row["rating_id"] == rating.pk and row["score"] == 3
    assert row["left_variant"] == item.variant_b_id
    assert row["prompt_id"] == item.prompt_id and row["category"] == "chat"
    assert row["multi_turn"] is True
    assert (row["length_a"], row["length_b"]) == (13, 18)
