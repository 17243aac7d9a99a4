"""In Chromium: staff ask for a leaderboard, watch its progress bar, and read the result once
the job has run; the page raises no Content Security Policy error."""

import os

import pytest

from apps.leaderboard.models import LeaderboardRun
from apps.leaderboard.tasks import leaderboard_run_task
from tests.factories import UserFactory
from tests.leaderboard.conftest import judge, variant_batch

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_request_a_leaderboard_and_the_page_shows_it_when_the_job_is_done(browser_page):
    UserFactory(username="boss", is_staff=True)
    batch = variant_batch("alpha", "beta", name="Week 1")
    for i in range(5):
        judge(batch, chosen="a", strength="better", left="ab"[i % 2])
    judge(batch, chosen="b", strength="slightly_better")

    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto("/login/?next=/manage/leaderboard/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.check("label:text-is('Week 1') >> xpath=preceding-sibling::input")
    page.check("#id_position_control")
    page.fill("#id_bootstrap_rounds", "20")
    page.click("button:text-is('Rank the variants')")
    run = LeaderboardRun.objects.get()
    assert page.url.endswith(f"/manage/leaderboard/runs/{run.pk}/")
    assert page.locator("#run-progress").count() == 1  # queued: no worker in this test

    leaderboard_run_task(run.pk)  # the job, as the worker would run it
    # The page's script polls the run and reloads once it is done.
    page.wait_for_selector("#score-table", timeout=30_000)
    assert page.locator("#run-status").inner_text() == "Done"
    rows = page.locator("#score-table tbody tr")
    assert rows.count() == 2 and "alpha" in rows.nth(0).inner_text()
    assert page.locator("#chart-scores svg circle.point").count() == 2
    assert page.locator("#chart-win-rates svg rect").count() == 4
    assert page.locator("#coefficient-position").count() == 1
    assert csp_errors == []
