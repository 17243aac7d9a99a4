"""In Chromium: staff open a batch's pairs from its dashboard and read both responses."""

import os

import pytest

from apps.dialogues.services import dialogue_judge, dialogue_start
from tests.factories import BatchFactory, UserFactory, samples_finish

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_both_responses_of_a_judged_pair(browser_page):
    UserFactory(username="boss", is_staff=True)
    ann = UserFactory(username="ann")
    batch = BatchFactory()
    pair = samples_finish(
        dialogue_start(batch=batch, annotator=ann, text="Name a colour"),
        texts=("**Blue**, like the sky", "مرحبا: أحمر"),
    )
    dialogue_judge(
        pair=pair, annotator=ann, chosen_side="left", strength="better", time_spent_ms=800
    )
    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"/login/?next=/manage/batches/{batch.pk}/dashboard/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.click("text=pairs and judgments")
    page.select_option("#id_state", "judged")
    page.click("#pair-filters button[type=submit]")
    row = page.locator(f"[data-pair-id='{pair.pk}']")
    responses = row.locator(".response")
    assert responses.count() == 2
    assert responses.nth(0).inner_text() == "Blue, like the sky"
    assert responses.nth(0).locator("strong").inner_text() == "Blue"
    assert responses.nth(1).inner_text() == "مرحبا: أحمر"
    assert responses.nth(1).evaluate("el => getComputedStyle(el).direction") == "rtl"
    judgment = row.locator("tr.judgment")
    assert judgment.locator("td").nth(0).inner_text() == "ann"
    assert judgment.locator("td").nth(3).inner_text() == "Better"
    assert "state=judged" in page.url
    assert csp_errors == []
