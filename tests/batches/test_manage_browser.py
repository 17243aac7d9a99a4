"""The staff batch pages in Chromium: hostile names and guidelines stay inert under the CSP,
and a refused submit puts the keyboard on the field to fix."""

import os
from pathlib import Path

import pytest

from tests.e2e.test_hostile_content import GUIDELINES, HOSTILE, _assert_inert, _login, _watch
from tests.factories import BatchFactory, ModelVariantFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is not installed ({CHROMIUM}); try `make chromium`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def staff_page(chromium, live_server, transactional_db):
    UserFactory(username="boss", is_staff=True)
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def test_nothing_hostile_runs_on_the_batch_staff_pages(staff_page):
    batch = BatchFactory(name=HOSTILE[:200], guidelines=GUIDELINES)
    events = _watch(staff_page)
    _login(staff_page, "boss")
    for url in (
        "/manage/batches/",
        f"/manage/batches/{batch.pk}/edit/",
        f"/manage/batches/{batch.pk}/clone/",
    ):
        _assert_inert(staff_page, url, events)
    staff_page.goto(f"/manage/batches/{batch.pk}/edit/")
    assert staff_page.input_value("#id_name") == HOSTILE[:200]
    preview = staff_page.locator("#guidelines-preview")
    assert preview.locator("h1").inner_text() == "Guidelines"
    assert preview.locator("a[href^='javascript' i], img[onerror], [style]").count() == 0


def test_a_refused_submit_keeps_the_input_and_focuses_the_field_to_fix(staff_page):
    ModelVariantFactory()
    events = _watch(staff_page)
    _login(staff_page, "boss")
    staff_page.goto("/manage/batches/new/")
    staff_page.fill("#id_name", "Typed by hand")
    staff_page.fill("#id_guidelines", "Typed *guidelines*")
    staff_page.fill("#id_sampling_b-temperature_max", "0.2")  # below its minimum, 0.8
    staff_page.focus("#id_name")
    staff_page.keyboard.press("Enter")
    staff_page.wait_for_selector("#form-errors")
    focused = staff_page.evaluate("document.activeElement.id")
    assert focused == "id_sampling_b-temperature_max"
    assert staff_page.input_value("#id_name") == "Typed by hand"
    assert staff_page.input_value("#id_guidelines") == "Typed *guidelines*"
    assert "must be at least the minimum" in staff_page.inner_text("#batch-form")
    assert events == []
