"""In Chromium: an annotator who fails gold pairs is paused; staff see it on the batch's
quality page, lift the pause, and the annotator can claim work again."""

import os

import pytest
from django.db import transaction

from apps.assignments.services import lease_claim
from apps.batches.models import AnnotatorFlag
from apps.batches.selectors import AnnotatorPaused
from apps.preferences.gold import gold_mark
from apps.preferences.services import comparison_record
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_a_paused_annotator_on_the_quality_page_and_lift_the_pause(browser_page):
    boss = UserFactory(username="boss", is_staff=True)
    ann = UserFactory(username="careless")
    batch = BatchFactory(
        overlap=1, gold_rate=0.2, gold_min_count=2, gold_min_accuracy=0.7, gold_pause=True
    )
    gold_pairs = [pool_pair_ready(batch, prompt=f"Check {i}") for i in range(2)]
    pool_pair_ready(batch, prompt="Real work")
    for pair in gold_pairs:
        gold_mark(pair=pair, expected_slot="a", source="admin", actor=boss)
    # The annotator answers both gold pairs against the expected side, through the judgment
    # core every entry point calls: 0 of 2, Wilson upper bound 66% < 70%, so they are paused.
    for pair in gold_pairs:
        with transaction.atomic():
            comparison_record(
                pair=pair,
                annotator=ann,
                left_slot="a",
                chosen_side="right",
                strength="better",
                time_spent_ms=9000,
            )
    flag = AnnotatorFlag.objects.get(batch=batch, annotator=ann, lifted_at__isnull=True)
    assert flag.pauses_work
    with pytest.raises(AnnotatorPaused):
        lease_claim(batch=batch, annotator=ann)

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
    page.click("a:text-is('quality')")
    assert page.url.endswith(f"/manage/batches/{batch.pk}/quality/")
    flag_row = page.locator(f"#flag-{flag.pk}")
    assert flag_row.locator("td").nth(0).inner_text() == "careless"
    assert flag_row.locator(".tag").inner_text() == "paused"
    assert "Gold accuracy 0 of 2" in flag_row.inner_text()
    annotator_row = page.locator("#annotator-table tr[data-annotator='careless']")
    assert annotator_row.locator(".tag").inner_text() == "paused"
    assert "0/2" in annotator_row.inner_text()
    # The charts are drawn (SVG, no inline style) and the page raised no CSP error.
    assert page.locator("#chart-left-share svg").count() == 1

    flag_row.locator("input[name=note]").fill("Talked it through")
    flag_row.locator("button", has_text="Lift").click()
    assert "Lifted the flag on careless." in page.locator(".flash").inner_text()
    assert "No annotator is flagged on this batch." in page.locator("#flags").inner_text()
    assert page.locator("#annotator-table tr[data-annotator='careless'] .tag").count() == 0
    assert csp_errors == []

    flag.refresh_from_db()
    assert flag.lifted_by == boss and flag.lift_note == "Talked it through"
    lease = lease_claim(batch=batch, annotator=ann)
    assert lease is not None
