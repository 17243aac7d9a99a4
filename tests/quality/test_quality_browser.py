"""In Chromium: an annotator who fails gold pairs in the work queue is paused; staff see it on
the batch's quality page, lift the pause, and the annotator gets work again."""

import os
import re

import pytest

from apps.assignments.models import Lease
from apps.batches.models import AnnotatorFlag
from apps.preferences.gold import gold_mark
from apps.preferences.models import GoldAnswer
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEASE_URL = re.compile(r"/leases/(\d+)/$")


def _log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")


def _work_until_turned_away(page) -> tuple[int, int]:
    """Judge every pair the queue hands out, answering gold pairs against their expected side
    (the test looks the gold up; the page does not show it); stop when Next gives nothing.
    Returns (gold pairs answered, other pairs answered)."""
    gold_seen = other_seen = 0
    page.click("#next-pair")
    while (match := LEASE_URL.search(page.url)) is not None:
        lease = Lease.objects.get(pk=int(match.group(1)))
        gold = GoldAnswer.objects.filter(pair_id=lease.pair_id).first()
        if gold is None:
            side = "left"
            other_seen += 1
        else:  # the side showing the sample gold does not expect
            side = "right" if lease.left_slot == gold.expected_slot else "left"
            gold_seen += 1
        page.check(f"input[name=chosen_side][value={side}]")
        page.check("input[name=strength][value=better]")
        page.click("#submit-judgment")
        page.wait_for_load_state()
    return gold_seen, other_seen


def test_staff_see_a_paused_annotator_on_the_quality_page_and_lift_the_pause(browser_page):
    boss = UserFactory(username="boss", is_staff=True)
    UserFactory(username="careless")
    batch = BatchFactory(
        overlap=1,
        gold_rate=0.5,
        gold_min_count=2,
        gold_min_accuracy=0.7,
        gold_pause=True,
        allow_written_prompts=False,
    )
    gold_pairs = [pool_pair_ready(batch, prompt=f"Check {i}") for i in range(3)]
    for i in range(24):
        pool_pair_ready(batch, prompt=f"Real work {i}")
    for pair in gold_pairs:
        gold_mark(pair=pair, expected_slot="a", source="admin", actor=boss)

    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    # The annotator works through the queue: the second wrong gold answer (0 of 2, Wilson
    # upper bound 66% < 70%) pauses them, and Next then turns them away saying why. A claim
    # draws gold half the time, so 27 pairs hold 2 gold ones for all but 1 in 10^6 orders.
    _log_in(page, "careless", f"/batches/{batch.pk}/")
    gold_seen, other_seen = _work_until_turned_away(page)
    assert gold_seen == 2, (gold_seen, other_seen)
    assert page.url.endswith(f"/batches/{batch.pk}/queue/")
    assert "paused after a quality check" in page.content()
    flag = AnnotatorFlag.objects.get(batch=batch, annotator__username="careless")
    assert flag.pauses_work and flag.lifted_at is None and flag.flagged_by is None

    page.context.clear_cookies()
    _log_in(page, "boss", f"/manage/batches/{batch.pk}/dashboard/")
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

    # Lifted: the annotator's Next hands out a pair again.
    page.context.clear_cookies()
    _log_in(page, "careless", f"/batches/{batch.pk}/")
    page.click("#next-pair")
    assert LEASE_URL.search(page.url), page.url
