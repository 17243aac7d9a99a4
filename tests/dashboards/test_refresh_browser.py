"""In Chromium: the dashboard refreshes itself, and says so when a refresh fails."""

import os
import re

import pytest

from tests.dashboards.rows import comparison_make
from tests.factories import BatchFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_swaps_in_new_figures_and_warns_when_a_refresh_fails(browser_page, settings):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    UserFactory(username="boss", is_staff=True)
    annotator = UserFactory(username="ann")
    batch = BatchFactory(track="safety", target_comparisons=10)
    comparison_make(batch=batch, annotator=annotator)
    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    page.goto(f"/login/?next=/manage/batches/{batch.pk}/dashboard/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#dashboard-panel")
    assert page.text_content("#figure-judged") == "1"
    assert re.fullmatch(r"updated \d\d:\d\d:\d\d", page.text_content("#dashboard-updated"))

    comparison_make(batch=batch, annotator=annotator)
    page.wait_for_selector("#figure-judged:text-is('2')", timeout=10_000)
    assert page.text_content("#figure-outstanding") == "8"
    assert page.is_hidden("#dashboard-stale")

    page.route("**/dashboard/panel/", lambda route: route.abort())
    page.wait_for_selector("#dashboard-stale", state="visible", timeout=10_000)
    assert "Could not refresh" in page.text_content("#dashboard-stale")

    page.unroute("**/dashboard/panel/")
    comparison_make(batch=batch, annotator=annotator)
    page.wait_for_selector("#figure-judged:text-is('3')", timeout=10_000)
    page.wait_for_selector("#dashboard-stale", state="hidden")
    assert page.is_visible("#chart-safety svg")
    assert csp_errors == []
