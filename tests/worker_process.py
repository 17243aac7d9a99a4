"""A real `celery worker` subprocess on the test database, for tests that need one.

The worker is a separate process, so it only sees rows the tests commit: use it from
transactional tests (`live_server`, `transactional_db`).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings

WORKER_QUEUES = ("generation", "celery")
WORKER_READY_TIMEOUT_S = 180
WORKER_STOP_TIMEOUT_S = 30


class CeleryWorker:
    """A `celery worker` subprocess whose output goes to a log file."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        log_path: Path,
        node_name: str,
        pool: str = "solo",
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.log_path = log_path
        self.node_name = node_name
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "annotation_site",
                "worker",
                "-Q",
                ",".join(WORKER_QUEUES),
                "--pool",
                pool,
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "-n",
                node_name,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *extra_args,
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped by its id below
        )

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no worker log)"

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"Celery worker exited with {self.process.returncode} before it was ready:\n"
                    f"{self.log_tail()}"
                )
            if " ready." in self.log_tail(chars=100_000):
                return
            time.sleep(0.25)
        pytest.fail(f"Celery worker not ready after {timeout_s}s:\n{self.log_tail()}")

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                # SIGTERM is Celery's warm shutdown: it finishes the task in hand first.
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=WORKER_STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
        finally:
            self._log.close()


def database_url_for(test_db_name: str) -> str:
    """The DATABASE_URL the settings were read from, pointed at the test database instead."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + quote(test_db_name, safe="")))


def purge_queues() -> None:
    """Drop messages an interrupted earlier run may have left in this broker database."""
    from annotation_site.celery import app

    with app.connection_for_write() as connection:
        for queue in WORKER_QUEUES:
            connection.default_channel.queue_purge(queue)


def worker_env(*, test_db_name: str, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL=database_url_for(test_db_name),
        REDIS_URL=settings.CELERY_BROKER_URL,
        DJANGO_SETTINGS_MODULE="annotation_site.settings",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("DEBUG", "1")
    env.update(overrides)
    return env


def postgres_or_skip(why: str) -> None:
    """Skip a test that cannot run on SQLite, saying why; with PAIRWISE_REQUIRE_POSTGRES=1
    (CI) fail it instead, so nothing is skipped there unnoticed."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    message = f"needs PostgreSQL ({why}): set DATABASE_URL=postgres://..."
    if os.environ.get("PAIRWISE_REQUIRE_POSTGRES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def shared_test_db_name(django_db_blocker) -> str:
    """The test database's name, after checking the suite runs where a worker can join it."""
    from django.db import connection

    postgres_or_skip("a worker process shares the test database")
    with django_db_blocker.unblock():
        connection.ensure_connection()
        name = connection.settings_dict["NAME"]
    assert name.startswith("test_"), name
    return name


def wait_until(predicate, *, timeout_s: float, worker: CeleryWorker, what: str) -> None:
    """Poll the predicate until it holds; fail with the worker's log after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout_s}s waiting for {what}.\n{worker.log_tail()}")
