"""In Chromium: staff open a batch's review page from its dashboard, mark a pair gold, withdraw
an annotator's judgments, and see both on the page; j and k move between pairs."""

import os

import pytest

from apps.preferences.models import Comparison, GoldAnswer
from tests.factories import UserFactory

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_mark_a_pair_gold_and_withdraw_an_annotators_judgments(browser_page, quality_data):
    UserFactory(username="lead", is_staff=True)
    batch, ann1 = quality_data.batch, quality_data.ann1
    p1, _p2, p3, _p4 = quality_data.pairs
    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"/login/?next=/manage/batches/{batch.pk}/dashboard/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.click(f"a[href='/manage/batches/{batch.pk}/review/']")
    page.wait_for_url(f"**/manage/batches/{batch.pk}/review/")
    page.wait_for_load_state("load")  # the page's script is in: j and k answer

    # The split pair comes first; j moves to it, then to the next one, k back.
    rows = page.locator("article.review-pair")
    assert rows.nth(0).get_attribute("data-pair-id") == str(p1.pk)
    page.keyboard.press("j")
    assert "review-current" in rows.nth(0).get_attribute("class")
    page.keyboard.press("j")
    assert "review-current" in rows.nth(1).get_attribute("class")
    page.keyboard.press("k")
    assert "review-current" in rows.nth(0).get_attribute("class")

    # Mark P3 gold: A should win, at least better.
    pair = page.locator(f"[data-pair-id='{p3.pk}']")
    pair.locator("details.gold-mark summary").click()
    pair.locator("input[name=expected_slot][value=a]").check()
    pair.locator("select[name=min_strength]").select_option("better")
    pair.locator("textarea[name=explanation]").fill("A answers what was asked.")
    pair.locator("button:has-text('Mark gold')").click()
    assert page.locator(".flash-success").inner_text() == f"Pair {p3.pk} is gold: A should win."
    pair = page.locator(f"[data-pair-id='{p3.pk}']")
    assert pair.locator(".tag-gold").inner_text() == "Gold: A, at least better"
    assert GoldAnswer.objects.get(pair=p3).source == "review"

    # Withdraw all of q-ann1's judgments from one of their rows.
    row = page.locator(f"[data-pair-id='{p1.pk}'] tr.judgment", has_text="q-ann1")
    row.locator("summary").click()
    row.locator("input[name=reason]").fill("always the first response")
    row.locator("button[name=annotator]").click()
    flash = page.locator(".flash-success").inner_text()
    assert flash == "Withdrew 3 judgments of q-ann1 from export."
    withdrawn = page.locator("tr.judgment-withdrawn", has_text="q-ann1")
    assert withdrawn.count() == 3
    assert "always the first response" in withdrawn.first.inner_text()
    assert Comparison.objects.filter(annotator=ann1, withdrawn_at__isnull=False).count() == 3
    assert csp_errors == []
