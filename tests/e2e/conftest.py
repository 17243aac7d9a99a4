"""Fixtures for end-to-end tests: a real Celery worker on the test database, and Chromium.

The worker is a separate process, so it can only see rows the tests commit: use these
fixtures together with `live_server` (which makes the test transactional).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.worker_process import (
    WORKER_READY_TIMEOUT_S,
    CeleryWorker,
    purge_queues,
    shared_test_db_name,
    worker_env,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker consuming the generation queue against the test database.

    Module scoped: it starts once and is stopped before pytest-django drops the test
    database, which PostgreSQL refuses while it is connected.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.fail("CELERY_TASK_ALWAYS_EAGER is on: tasks would never reach a worker.")
    env = worker_env(
        test_db_name=shared_test_db_name(django_db_blocker),
        # Load the model on the first task, not at start: the first pair is then reliably slow
        # enough for the test to see the progress indicator before the responses.
        WORKER_PRELOAD_MODELS="0",
    )
    purge_queues()
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
        pytest.fail(f"Debian's Chromium is not installed ({CHROMIUM}); try `make chromium`.")
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
