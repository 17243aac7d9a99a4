"""A leaderboard requested from the API is computed by the job in a real Celery worker."""

import os

import pytest
from django.urls import reverse

from apps.leaderboard.models import LeaderboardRun
from tests.factories import UserFactory
from tests.leaderboard.conftest import judge, variant_batch
from tests.worker_process import (
    WORKER_READY_TIMEOUT_S,
    CeleryWorker,
    purge_queues,
    shared_test_db_name,
    wait_until,
    worker_env,
)

pytestmark = [pytest.mark.worker]

JOB_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    env = worker_env(
        test_db_name=shared_test_db_name(django_db_blocker),
        WORKER_PRELOAD_MODELS="0",  # the leaderboard needs no model
    )
    purge_queues()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = CeleryWorker(env=env, log_path=log, node_name=f"leaderboard-{os.getpid()}@%h")
    try:
        worker.wait_ready(WORKER_READY_TIMEOUT_S)
        yield worker
    finally:
        worker.stop()
        purge_queues()


def test_the_worker_computes_a_requested_run_and_the_page_shows_it(
    client, transactional_db, worker
):
    client.force_login(UserFactory(username="boss", is_staff=True))
    batch = variant_batch("alpha", "beta")
    for i in range(4):
        judge(batch, chosen="a", strength="better", left="ab"[i % 2])
    judge(batch, chosen="b", strength="slightly_better")
    response = client.post(
        reverse("leaderboard_api:run-list"),
        {"batch_ids": [batch.pk], "bootstrap_rounds": 20},
        content_type="application/json",
    )
    assert response.status_code == 201
    run = LeaderboardRun.objects.get(pk=response.json()["id"])

    def ended() -> bool:
        run.refresh_from_db()
        return not run.is_active

    wait_until(ended, timeout_s=JOB_TIMEOUT_S, worker=worker, what="the leaderboard run")
    assert run.status == "done", f"{run.error}\n{worker.log_tail()}"
    assert run.comparisons == 5 and run.progress == 1.0
    names = [v["name"] for v in run.result["variants"]]
    assert names == ["alpha", "beta"]
    page = client.get(reverse("leaderboard:run", args=[run.pk])).content.decode()
    assert 'id="score-table"' in page and 'id="run-progress"' not in page
