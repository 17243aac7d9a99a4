"""bench_evaluation at a small size: it fills a known model's comparisons, runs the job, cleans."""

import json

import numpy as np
import pytest
from django.core.management import call_command
from django.db.models import F

from apps.batches.models import Batch
from apps.leaderboard.inputs import batch_comparisons_for_ranking
from apps.leaderboard.models import LeaderboardRun
from apps.pairs.models import Pair, Sample
from apps.pools.models import PoolItem
from apps.preferences.models import Comparison
from benchmarks.evaluation import evaluation_clean, evaluation_fill

pytestmark = [pytest.mark.django_db, pytest.mark.postgres("the fill is PostgreSQL SQL")]


def test_the_fill_makes_comparisons_between_every_pair_of_variants_and_the_clean_removes_them():
    data = evaluation_fill(comparisons=1320, variants=12, iterations=3)
    assert Comparison.objects.count() == 1320 and Sample.objects.count() == 2640
    rows = batch_comparisons_for_ranking(batch_ids=data.batch_ids)
    assert rows["outcome"].size == 1320  # every pair has two different variants
    pairs = {tuple(sorted(p)) for p in zip(rows["variant_a"], rows["variant_b"], strict=True)}
    assert len(pairs) == 66  # all 12 * 11 / 2 pairs of variants met
    assert sorted(np.unique(rows["iteration"])) == [1, 2, 3]
    assert 0.3 < rows["a_on_left"].mean() < 0.7
    assert ((rows["length_a"] >= 20) & (rows["length_a"] < 400)).all()
    # The chosen and left samples are the pair's own; the left one is the pair's left slot.
    assert not Comparison.objects.exclude(left__slot=F("pair__left_slot")).exists()
    assert not Comparison.objects.exclude(chosen__pair=F("pair")).exists()
    evaluation_clean(data=data)
    for model in (Comparison, Sample, Pair, PoolItem):
        assert not model.objects.exists()
    assert not Batch.objects.filter(pk__in=data.batch_ids).exists()


def test_the_command_prints_the_figures_and_recovers_the_known_ranking(capsys):
    call_command("bench_evaluation", "--comparisons", "6000", "--bootstrap-rounds", "10", "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["comparisons"] == 6000 and result["variants"] == 12
    assert result["bootstrap_rounds"] == 10 and result["iterations"] == 4
    for key in ("leaderboard_s", "peak_rss_mb", "cached_s", "controlled_leaderboard_s"):
        assert result[key] > 0
    assert result["cached_s"] < result["leaderboard_s"]
    assert result["peak_rss_mb"] >= result["rss_before_mb"] * 0.9
    # The variants' true strengths rise with their number; 6,000 comparisons recover the order
    # nearly, and the position control finds the true left-side effect (0.2) roughly.
    assert result["rank_correlation_with_truth"] > 0.9
    assert 0.05 < result["position_coefficient"] < 0.35
    assert not Batch.objects.exists() and not LeaderboardRun.objects.exists()
