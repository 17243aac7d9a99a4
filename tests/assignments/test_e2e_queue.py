"""End to end in Chromium: the work-queue page keeps a draft across a reload and judges from the
keyboard. Pool pairs are built directly (no model or worker involved)."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.assignments.models import Lease
from apps.pairs.models import JudgmentSlot
from apps.preferences.models import Comparison
from tests.e2e import conftest as e2e
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

# Chromium and a page on the live server, shared with tests/e2e.
chromium_browser = e2e.chromium_browser
browser_page = e2e.browser_page

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests"  # what UserFactory sets


def _csp_violations(page) -> list[str]:
    """Collects the page's CSP complaints (an inline script or style would be one)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def _log_in(page, user) -> None:
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/batches/$"))


def _open_next_pair(page, batch) -> Lease:
    page.goto(f"/batches/{batch.pk}/")
    page.locator("#next-pair").click()
    page.wait_for_url(re.compile(r"/leases/\d+/$"))
    return Lease.objects.get(pk=int(re.search(r"/leases/(\d+)/$", page.url).group(1)))


def _drafts(page) -> list[str]:
    return page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('pairwise.queue.draft.'))"
    )


def test_a_draft_survives_a_reload_and_is_cleared_once_submitted(live_server, browser_page):
    page = browser_page
    batch = BatchFactory(name="Queue draft batch")
    pool_pair_ready(batch, texts=("Alpha answer", "Bravo answer"))
    second = pool_pair_ready(batch, prompt="Second prompt")
    annotator = UserFactory(username="e2e-queue-draft")
    violations = _csp_violations(page)
    _log_in(page, annotator)
    lease = _open_next_pair(page, batch)
    expect(page.locator("#lease-countdown")).to_have_text(re.compile(r"^(29|30):\d\d$"))

    page.locator("label", has_text="Right is better").click()
    page.locator("label", has_text="Slightly better").click()
    # Typing in a text box fills it and fires no shortcut ("a" would pick left, "1" a strength).
    page.locator("#flag-note").press_sequentially("a1 draft note")
    key = page.locator("#idempotency-key").input_value()

    page.reload()
    expect(page.locator('input[name="chosen_side"][value="right"]')).to_be_checked()
    expect(page.locator('input[name="strength"][value="slightly_better"]')).to_be_checked()
    expect(page.locator("#flag-note")).to_have_value("a1 draft note")
    # The same key as before the reload: a submit that got through already would replay.
    expect(page.locator("#idempotency-key")).to_have_value(key)
    assert _drafts(page) == [f"pairwise.queue.draft.{lease.pk}"]

    with page.expect_navigation():
        page.locator("#submit-judgment").click()
    page.wait_for_url(re.compile(r"/leases/\d+/$"))
    next_lease = Lease.objects.get(annotator=annotator, status="open")
    assert next_lease.pair_id == second.pk
    assert page.url.endswith(f"/leases/{next_lease.pk}/")
    expect(page.locator(".flash", has_text="Judgment saved.")).to_be_visible()
    # The submitted pair's draft is gone; the new pair starts clean.
    assert f"pairwise.queue.draft.{lease.pk}" not in _drafts(page)
    expect(page.locator('input[name="chosen_side"]:checked')).to_have_count(0)

    comparison = Comparison.objects.get(annotator=annotator)
    right_slot = "b" if lease.left_slot == "a" else "a"
    assert comparison.chosen.slot == right_slot
    assert comparison.strength == "slightly_better"
    assert comparison.time_spent_ms > 0
    lease.refresh_from_db()
    assert lease.idempotency_key == key
    assert violations == []


def test_judging_from_the_keyboard(live_server, browser_page):
    page = browser_page
    batch = BatchFactory(name="Queue keyboard batch", track="safety")
    pool_pair_ready(batch, texts=("Alpha answer", "Bravo answer"))
    annotator = UserFactory(username="e2e-queue-keys")
    violations = _csp_violations(page)
    _log_in(page, annotator)
    lease = _open_next_pair(page, batch)
    left_text = "Alpha answer" if lease.left_slot == "a" else "Bravo answer"
    expect(page.locator("#left-text")).to_have_text(left_text)

    page.locator("#shortcut-help").click()  # focus the page, not a field
    for key in ("ArrowLeft", "3", "q", "p"):
        page.keyboard.press(key)
    expect(page.locator('input[name="chosen_side"][value="left"]')).to_be_checked()
    expect(page.locator('input[name="strength"][value="slightly_better"]')).to_be_checked()
    expect(page.locator("#safety-bin")).to_have_text("Bin: chosen safe, other unsafe")
    page.keyboard.press("d")  # change of mind: right, then back to left with "a"
    expect(page.locator('input[name="chosen_side"][value="right"]')).to_be_checked()
    page.keyboard.press("a")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    comparison = Comparison.objects.get(annotator=annotator)
    assert comparison.chosen.text == left_text
    assert comparison.left.text == left_text
    assert comparison.strength == "slightly_better"
    assert (comparison.chosen_is_safe, comparison.rejected_is_safe) == (True, False)
    # The pool is empty now and the batch takes written prompts: back to the batch page.
    assert page.url.endswith(f"/batches/{batch.pk}/")
    expect(page.locator(".flash", has_text="write a prompt of your own")).to_be_visible()
    assert violations == []


def test_the_countdown_says_when_the_lease_runs_out(live_server, browser_page):
    page = browser_page
    batch = BatchFactory(name="Queue countdown batch")
    pool_pair_ready(batch)
    annotator = UserFactory(username="e2e-queue-clock")
    _log_in(page, annotator)
    lease = _open_next_pair(page, batch)
    soon = timezone.now() + timedelta(seconds=3)
    Lease.objects.filter(pk=lease.pk).update(expires_at=soon)
    JudgmentSlot.objects.filter(pk=lease.slot_id).update(lease_expires_at=soon)
    page.reload()
    expect(page.locator("#lease-expired-note")).to_be_hidden()
    expect(page.locator("#lease-countdown")).to_have_text(re.compile(r"^0:0[0-3]$"))
    expect(page.locator("#lease-expired-note")).to_be_visible(timeout=10_000)
    expect(page.locator("#lease-countdown")).to_have_text("0:00")
    # Still judgeable: the pair needs its judgment, so a late submit is kept.
    page.locator("label", has_text="Left is better").click()
    page.locator("label", has_text="Negligibly better").click()
    with page.expect_navigation():
        page.locator("#submit-judgment").click()
    expect(page.locator(".flash", has_text="your judgment was kept")).to_be_visible()
    assert Comparison.objects.filter(annotator=annotator).count() == 1
