"""In Chromium: after a qualification answer the annotator reads the feedback and continues
with the keyboard (N, or Enter on the focused button)."""

import os
import re

import pytest
from playwright.sync_api import expect

from apps.assignments import services as queue
from apps.assignments.models import Lease
from apps.preferences.gold import gold_mark
from tests.e2e.conftest import browser_page, chromium_browser  # noqa: F401
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer(lease, user, *, right: bool, key: str) -> None:
    want = "a" if right else "b"
    queue.lease_submit(
        lease_id=lease.pk,
        annotator=user,
        idempotency_key=key,
        chosen_side="left" if lease.left_slot == want else "right",
        strength="better",
        time_spent_ms=3000,
    )


def test_an_annotator_reads_the_feedback_and_continues_with_the_keyboard(browser_page):  # noqa: F811
    lead = UserFactory(username="lead", is_staff=True)
    ann = UserFactory(username="ann")
    batch = BatchFactory(qualification_required=True, qualification_pass_share=0.5)
    pairs = [pool_pair_ready(batch, prompt=f"Qualify {i}") for i in range(2)]
    for pair in pairs:
        gold_mark(
            pair=pair,
            expected_slot="a",
            for_qualification=True,
            explanation="A <em>answers</em> the question.",
            source="review",
            actor=lead,
        )
    work = pool_pair_ready(batch, prompt="Real work")
    first = queue.lease_next(batch=batch, annotator=ann)
    _answer(first, ann, right=False, key="1")

    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"/login/?next=/leases/{first.pk}/feedback/")
    page.fill("#id_username", "ann")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/leases/{first.pk}/feedback/")
    page.wait_for_load_state("load")  # the page's script listens for the keys
    assert page.locator("#feedback-verdict").inner_text() == (
        "Your answer differs from the expected one"
    )
    assert page.locator("#feedback-explanation").inner_text() == (
        "A <em>answers</em> the question."
    )
    page.keyboard.press("n")
    expect(page.locator("#lease")).to_be_visible()
    second = Lease.objects.get(annotator=ann, pair=pairs[1])
    expect(page).to_have_url(re.compile(rf"/leases/{second.pk}/$"))

    _answer(second, ann, right=True, key="2")
    page.goto(f"/leases/{second.pk}/feedback/")
    assert "You passed the qualification" in page.locator("#feedback-progress").inner_text()
    page.keyboard.press("Enter")  # the Continue button has the focus
    expect(page.locator("#lease")).to_be_visible()
    real = Lease.objects.get(annotator=ann, pair=work)
    expect(page).to_have_url(re.compile(rf"/leases/{real.pk}/$"))
    assert csp_errors == []
