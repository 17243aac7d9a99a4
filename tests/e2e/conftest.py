"""Fixtures for end-to-end tests: a real Celery worker on the test database, and Chromium.

The worker is a separate process, so it can only see rows the tests commit: use these
fixtures together with `live_server` (which makes the test transactional).
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

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WORKER_QUEUES = ("generation", "celery")
WORKER_READY_TIMEOUT_S = 180
WORKER_STOP_TIMEOUT_S = 30


class CeleryWorker:
    """A `celery worker` subprocess whose output goes to a log file."""

    def __init__(self, *, env: dict[str, str], log_path: Path, node_name: str) -> None:
        self.log_path = log_path
        self.node_name = node_name
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "annotation_site", "worker",
                "-Q", ",".join(WORKER_QUEUES), "--pool", "solo", "--concurrency", "1",
                "--loglevel", "INFO", "-n", node_name,
                "--without-gossip", "--without-mingle", "--without-heartbeat",
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


def _test_database_url(test_db_name: str) -> str:
    """The DATABASE_URL the settings were read from, pointed at the test database instead."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + quote(test_db_name, safe="")))


def _purge_queues() -> None:
    """Drop messages an interrupted earlier run may have left in this broker database."""
    from annotation_site.celery import app

    with app.connection_for_write() as connection:
        for queue in WORKER_QUEUES:
            connection.default_channel.queue_purge(queue)


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker consuming the generation queue against the test database.

    Module scoped: it starts once (the model loads on its first task) and is stopped before
    pytest-django drops the test database, which PostgreSQL refuses while it is connected.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("The end-to-end tests need PostgreSQL (set DATABASE_URL=postgres://...).")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("CELERY_TASK_ALWAYS_EAGER is on: tasks would never reach a worker.")
    with django_db_blocker.unblock():
        connection.ensure_connection()
        test_db_name = connection.settings_dict["NAME"]
    assert test_db_name == settings.DATABASES["default"]["NAME"]
    assert test_db_name.startswith("test_"), test_db_name

    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL=_test_database_url(test_db_name),
        REDIS_URL=settings.CELERY_BROKER_URL,
        DJANGO_SETTINGS_MODULE="annotation_site.settings",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("DEBUG", "1")

    _purge_queues()
    worker = CeleryWorker(
        env=env,
        log_path=tmp_path_factory.mktemp("celery") / "worker.log",
        node_name=f"e2e-{os.getpid()}@%h",
    )
    try:
        worker.wait_ready(WORKER_READY_TIMEOUT_S)
        yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="module")
def chromium_browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's Chromium is not installed ({CHROMIUM}); try `make chromium`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser, live_server):
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
