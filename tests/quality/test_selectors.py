"""The quality figures of the fixed data set in conftest.py, against values worked by hand.

Signed-scale ranks (AC2 and alpha use ranks): -4:0 -3:1 -2:2 -1:3 +1:4 +2:5 +3:6 +4:7.
Counted judgments: P1 {+4, +3, -2}, P2 {-3, -3}, P3 {+1}. The withdrawn judgment on P2 and the
qualification judgment on P4 count nowhere but in the qualification counts.
"""

import math

import pytest

from apps.batches.models import AnnotatorFlag
from apps.preferences.models import Comparison
from apps.quality.selectors import (
    Standing,
    annotator_standing_for,
    batch_quality,
    selection_quality,
)
from tests.factories import BatchFactory
from tests.quality.conftest import judge

pytestmark = pytest.mark.django_db


def test_it_measures_agreement_on_the_pairs_judged_twice(quality_data):
    report = batch_quality(batch_ids=[quality_data.batch.pk])
    assert report.judgments == 6
    assert (report.pairs, report.shared_pairs) == (3, 2)
    # Side: P1 has sides A, A, B: 1 agreeing rater pair of 3; P2 agrees: (1/3 + 1) / 2.
    assert report.overall.side.value == pytest.approx(2 / 3)
    assert report.overall.side.n == 2
    # AC2, ordinal weights w = 1 - d(d+1)/2 / 28 over rank distance d.
    # pa(P1) = (40 + 45 + 31) / 28 / 6 = 116/168, pa(P2) = 1, pa = 71/84.
    # Shares over all 3 items: rank1 1/3, rank4 1/3, ranks 2, 6, 7 1/9 each:
    # sum p(1-p) = 60/81; sum of weights 49 over q(q-1) = 56: pe = 7/8 * 60/81 = 35/54.
    # AC2 = (71/84 - 35/54) / (19/54) = 894/1596.
    assert report.overall.ac2.value == pytest.approx(894 / 1596)
    assert report.overall.ac2.n == 2
    # Alpha, ordinal: coincidences P1 1/2 per ordered pair of (7, 6, 2), P2 o(1,1) = 2;
    # marginals n1 = 2, n2 = n6 = n7 = 1, n = 5. D_o = 6, D_e = 95: 1 - 4 * 6 / 95 = 71/95.
    assert report.overall.alpha.value == pytest.approx(71 / 95)
    for estimate in (report.overall.side, report.overall.ac2, report.overall.alpha):
        assert estimate.low <= estimate.value <= estimate.high


def test_it_breaks_agreement_down_by_track_category_and_week(quality_data):
    report = batch_quality(batch_ids=[quality_data.batch.pk])
    assert [row.label for row in report.by_track] == ["helpfulness"]
    # "chat" holds P3 alone, judged once: nothing to measure, so no row.
    assert [row.label for row in report.by_category] == ["code"]
    assert report.by_category[0].side.value == pytest.approx(2 / 3)
    assert len(report.by_week) == 1
    assert report.by_week[0].label.count("-W") == 1
    assert report.by_week[0].shared_pairs == 2


def test_it_gives_each_annotator_their_reliability_figures(quality_data):
    report = batch_quality(batch_ids=[quality_data.batch.pk])
    rows = {row.username: row for row in report.annotator_rows}
    ann1 = rows["q-ann1"].figures
    assert ann1.judgments == 3
    # Left is sample A on every screen: ann1 chose A, B, A.
    assert ann1.left_share == pytest.approx(2 / 3)
    assert ann1.unsure_share == pytest.approx(1 / 3)
    assert ann1.median_seconds == 4  # 2, 10, 4 s
    assert ann1.fast_share == pytest.approx(2 / 3)  # 2 and 4 s under the 5 s floor
    assert ann1.longest_streak == 1  # left, right, left
    # Against the others: P1 1 of 2 others on A, P2 1 of 1 on B: (1/2 + 1) / 2 on 2 pairs.
    assert (ann1.agreement_n, ann1.agreement_side) == (2, pytest.approx(0.75))
    assert (ann1.gold_n, ann1.gold_correct, ann1.gold_accuracy) == (1, 1, 1.0)
    ann3 = rows["q-ann3"].figures
    # Withdrawn P2 and qualification P4 left out: only P1 counts, where both others chose A.
    assert ann3.judgments == 1
    assert (ann3.agreement_n, ann3.agreement_side) == (1, 0.0)
    assert ann3.gold_n == 0 and math.isnan(ann3.gold_accuracy)
    assert (ann3.qualification_n, ann3.qualification_correct) == (1, 0)
    assert rows["q-ann3"].state == "paused" and rows["q-ann1"].state == "active"
    for row in rows.values():
        assert 0 <= row.figures.weight <= 1


def test_it_summarises_gold_of_the_work_and_of_the_qualification_apart(quality_data):
    gold = batch_quality(batch_ids=[quality_data.batch.pk]).gold
    assert (gold.n, gold.correct, gold.accuracy) == (2, 2, 1.0)
    assert (gold.qualification_n, gold.qualification_correct) == (1, 0)


def test_it_lists_the_active_flags_only(quality_data):
    AnnotatorFlag.objects.filter(pk=quality_data.flag.pk).update(
        lifted_at=quality_data.flag.flagged_at
    )
    assert batch_quality(batch_ids=[quality_data.batch.pk]).flags == []


def test_it_marks_an_annotator_far_from_the_others_as_an_outlier(db):
    batch = BatchFactory(overlap=1)
    from tests.factories import UserFactory, pool_pair_ready

    people = [UserFactory(username=f"o{i}") for i in range(8)]
    pairs = [pool_pair_ready(batch, prompt=f"P{i}") for i in range(12)]
    for index, person in enumerate(people):
        for number, pair in enumerate(pairs):
            # Everyone alternates sides; the last annotator always picks the left response.
            chosen = "a" if index == len(people) - 1 or (number + index) % 2 else "b"
            judge(pair, person, chosen=chosen, strength="better", seconds=20 + index)
    rows = {row.username: row for row in batch_quality(batch_ids=[batch.pk]).annotator_rows}
    assert "left_share" in rows["o7"].figures.outliers
    assert "left_share" not in rows["o0"].figures.outliers
    assert rows["o7"].figures.longest_streak == 12


def test_an_empty_batch_has_nothing_to_measure(batch):
    report = batch_quality(batch_ids=[batch.pk])
    assert report.is_empty
    assert report.annotator_rows == [] and report.by_week == []
    assert math.isnan(report.overall.ac2.value) and report.overall.ac2.n == 0


def test_standing_gives_weights_and_flags_for_exports(quality_data):
    standing = annotator_standing_for(batch_ids=[quality_data.batch.pk])
    assert set(standing) == {quality_data.ann1.pk, quality_data.ann2.pk, quality_data.ann3.pk}
    assert standing[quality_data.ann3.pk].flagged and standing[quality_data.ann3.pk].paused
    assert not standing[quality_data.ann1.pk].flagged
    assert all(s.weight is not None and 0 <= s.weight <= 1 for s in standing.values())


def test_standing_names_a_flagged_annotator_without_judgments(quality_data):
    from tests.factories import UserFactory

    idle = UserFactory(username="idle")
    AnnotatorFlag.objects.create(
        batch=quality_data.batch, annotator=idle, reason="staff", pauses_work=False
    )
    standing = annotator_standing_for(batch_ids=[quality_data.batch.pk])
    assert standing[idle.pk] == Standing(weight=None, flagged=True, paused=False)


def test_selection_quality_measures_the_given_comparisons(quality_data):
    selection = Comparison.objects.filter(
        batch=quality_data.batch, withdrawn_at__isnull=True
    ).select_related("pair")
    figures = selection_quality(comparisons_qs=selection)
    assert figures["comparisons"] == 7  # the six counted and the qualification one
    assert figures["pairs_judged_twice"] == 2
    assert figures["percent_agreement"]["value"] == pytest.approx(2 / 3)
    assert figures["gwet_ac2"]["value"] == pytest.approx(894 / 1596)
    assert figures["gold_accuracy"] == {
        "n": 2,
        "correct": 2,
        "accuracy": 1.0,
        "low": pytest.approx(0.3424, abs=1e-4),  # Wilson 95% for 2 of 2
        "high": 1.0,
    }


@pytest.mark.parametrize("empty", ["no rows", "none()"])
def test_selection_quality_of_nothing_is_null_not_nan(batch, empty):
    comparisons = Comparison.objects.filter(batch=batch)
    if empty == "none()":
        comparisons = comparisons.none()
    figures = selection_quality(comparisons_qs=comparisons)
    assert figures["comparisons"] == 0
    assert figures["percent_agreement"] == {"value": None, "low": None, "high": None, "n": 0}
    assert figures["gold_accuracy"]["accuracy"] is None
