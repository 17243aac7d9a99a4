"""A real worker process for the model_worker tests that need one."""

import os

import pytest

from tests.worker_process import (
    WORKER_READY_TIMEOUT_S,
    CeleryWorker,
    purge_queues,
    shared_test_db_name,
    worker_env,
)

FAST_RECOVERY = {
    "GENERATION_LEASE_S": "6",
    "GENERATION_STREAM_EVERY": "2",
    "RECONCILE_EVERY_S": "2",
    "RECONCILE_PENDING_AFTER_S": "3",
    "WORKER_PRELOAD_MODELS": "1",
}


@pytest.fixture
def start_worker(transactional_db, django_db_blocker, tmp_path):
    """Start a prefork worker with an embedded beat (the reconciler) on the test database."""
    workers = []

    def start(name: str) -> CeleryWorker:
        env = worker_env(test_db_name=shared_test_db_name(django_db_blocker), **FAST_RECOVERY)
        worker = CeleryWorker(
            env=env,
            log_path=tmp_path / f"{name}.log",
            node_name=f"{name}-{os.getpid()}@%h",
            pool="prefork",
            extra_args=("--beat", "--schedule", str(tmp_path / f"{name}-beat")),
        )
        workers.append(worker)
        worker.wait_ready(WORKER_READY_TIMEOUT_S)
        return worker

    purge_queues()
    yield start
    for worker in workers:
        worker.stop()
