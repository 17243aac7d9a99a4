"""The leaderboard job (called as the task function) and its cache."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from apps.batches.models import Batch
from apps.catalog.models import ModelVariant
from apps.leaderboard.compute import ELO_PER_UNIT
from apps.leaderboard.inputs import batch_comparisons_for_ranking, ranking_weights
from apps.leaderboard.models import LeaderboardRun
from apps.leaderboard.options import RankingOptions
from apps.leaderboard.services import leaderboard_run_request
from apps.leaderboard.tasks import leaderboard_run_task
from apps.preferences.withdrawal import comparisons_restore, comparisons_withdraw
from apps.stats.ranking import bradley_terry_fit, win_rate_matrix
from tests.leaderboard.conftest import judge, variant_batch

pytestmark = pytest.mark.django_db


def three_variants() -> list:
    """alpha beats beta, beta beats gamma, mostly; two iterations."""
    ab = variant_batch("alpha", "beta", iteration=1)
    bc = variant_batch("beta", "gamma", iteration=2)
    ac = variant_batch("alpha", "gamma", iteration=2)
    for batch, wins in ((ab, 4), (bc, 3), (ac, 5)):
        for i in range(wins):
            judge(
                batch,
                chosen="a",
                strength=("better", "significantly_better")[i % 2],
                left="ab"[i % 2],
            )
        judge(batch, chosen="b", strength="slightly_better")
        judge(batch, chosen="b", strength="negligibly_better_or_unsure", left="b")
    return [ab, bc, ac]


def run_for(batches, user, **options) -> LeaderboardRun:
    run, created = leaderboard_run_request(
        batch_ids=[b.pk for b in batches], options=RankingOptions(**options), user=user
    )
    assert created
    assert leaderboard_run_task(run.pk) == "done"
    run.refresh_from_db()
    return run


def test_the_job_stores_the_scores_a_direct_fit_gives(staff):
    batches = three_variants()
    run = run_for(batches, staff, bootstrap_rounds=20)
    assert run.status == "done" and run.progress == 1.0 and run.comparisons == 18
    result = run.result
    rows = batch_comparisons_for_ranking(batch_ids=[b.pk for b in batches])
    ids, codes = np.unique(
        np.concatenate([rows["variant_a"], rows["variant_b"]]), return_inverse=True
    )
    n = rows["outcome"].size
    weight = ranking_weights(level=rows["level"], strength_weighted=True)
    fit = bradley_terry_fit(
        variant_a=codes[:n], variant_b=codes[n:], outcome=rows["outcome"], weight=weight, n_boot=20
    )
    by_id = {v["id"]: v for v in result["variants"]}
    for code, variant_id in enumerate(ids):
        assert by_id[variant_id]["score"] == pytest.approx(fit.scores[code])
        assert by_id[variant_id]["low"] == pytest.approx(fit.ci_low[code])
        assert by_id[variant_id]["elo"] == pytest.approx(1000 + ELO_PER_UNIT * fit.scores[code])
    names = [v["name"] for v in result["variants"]]
    assert names == ["alpha", "beta", "gamma"]
    assert [v["comparisons"] for v in result["variants"]] == [13, 11, 12]
    matrix = win_rate_matrix(
        variant_a=codes[:n], variant_b=codes[n:], outcome=rows["outcome"], weight=weight
    )
    order = [list(ids).index(i) for i in result["win_rates"]["variant_ids"]]
    assert result["win_rates"]["matrix"][0][1] == pytest.approx(matrix[order[0], order[1]])
    assert result["win_rates"]["matrix"][0][0] is None
    assert result["movement"]["iterations"] == [1, 2]
    assert result["coefficients"] == {} and result["ties"] == 3


def test_a_controlled_run_reports_its_coefficients(staff):
    run = run_for(
        three_variants(), staff, position_control=True, length_control=True, bootstrap_rounds=5
    )
    assert set(run.result["coefficients"]) == {"position", "length"}
    assert (
        run.result["coefficients"]["position"]["low"]
        <= run.result["coefficients"]["position"]["high"]
    )


def test_the_same_request_reuses_the_run_until_the_data_change(staff):
    batches = three_variants()
    first = run_for(batches, staff, bootstrap_rounds=5)
    ids = [b.pk for b in batches]
    again, created = leaderboard_run_request(
        batch_ids=list(reversed(ids)), options=RankingOptions(bootstrap_rounds=5), user=staff
    )
    assert (again.pk, created) == (first.pk, False)
    _, created = leaderboard_run_request(
        batch_ids=ids,
        options=RankingOptions(bootstrap_rounds=5, strength_weighted=False),
        user=staff,
    )
    assert created
    # A new comparison and a withdrawal each make a new run.
    judge(batches[0], chosen="b")
    newer = run_for(batches, staff, bootstrap_rounds=5)
    assert newer.comparisons == 19
    last = batches[0].comparisons.order_by("-pk").first()
    comparisons_withdraw(batch=batches[0], actor=staff, reason="spam", comparison_ids=[last.pk])
    assert run_for(batches, staff, bootstrap_rounds=5).comparisons == 18
    # Restored, the data are as they were for `newer`: its result is reused.
    comparisons_restore(batch=batches[0], actor=staff, comparison_ids=[last.pk])
    back, created = leaderboard_run_request(
        batch_ids=ids, options=RankingOptions(bootstrap_rounds=5), user=staff
    )
    assert (back.pk, created) == (newer.pk, False)


def test_a_batch_moved_to_another_iteration_is_ranked_again(staff):
    batches = three_variants()
    first = run_for(batches, staff, bootstrap_rounds=0)
    Batch.objects.filter(pk=batches[0].pk).update(iteration=3)
    second = run_for(batches, staff, bootstrap_rounds=0)
    assert second.pk != first.pk
    assert second.result["movement"]["iterations"] == [2, 3]


def test_a_run_left_running_by_a_lost_worker_is_taken_over_after_the_time_limit(staff, settings):
    run, _ = leaderboard_run_request(
        batch_ids=[b.pk for b in three_variants()], options=RankingOptions(), user=staff
    )
    limit = settings.LEADERBOARD_SOFT_TIME_LIMIT_S + 60
    recent = timezone.now() - timedelta(seconds=limit - 30)
    LeaderboardRun.objects.filter(pk=run.pk).update(status="running", started_at=recent)
    assert leaderboard_run_task(run.pk) == "running"  # maybe still computing elsewhere
    stale = timezone.now() - timedelta(seconds=limit + 30)
    LeaderboardRun.objects.filter(pk=run.pk).update(started_at=stale)
    assert leaderboard_run_task(run.pk) == "done"


def test_running_the_task_twice_computes_once(staff):
    run = run_for(three_variants(), staff, bootstrap_rounds=5)
    stored = run.finished_at
    assert leaderboard_run_task(run.pk) == "done"
    run.refresh_from_db()
    assert run.finished_at == stored


def test_a_run_without_comparisons_between_two_variants_fails_with_the_reason(staff):
    same = variant_batch("alpha", "alpha")
    judge(same, chosen="a")
    run, _ = leaderboard_run_request(batch_ids=[same.pk], options=RankingOptions(), user=staff)
    assert leaderboard_run_task(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "no comparison to rank" in run.error
    # A failed run is not reused: asking again makes a new one.
    again, created = leaderboard_run_request(
        batch_ids=[same.pk], options=RankingOptions(), user=staff
    )
    assert created and again.pk != run.pk
    assert ModelVariant.objects.filter(name="alpha").exists()
