"""In Chromium, with the live server, a real Celery worker and the real model: a rater rates
one side-by-side item on the 7-point scale and one safety response on the 5-point scale from
the keyboard. The stored ratings must match what the screen showed and what was pressed."""

import os
import re
import time

import pytest
from django.core import signing
from playwright.sync_api import expect

from apps.core.markdown import markdown_render
from apps.evaluation.models import Study, StudyRating
from apps.evaluation.services import SIGNING_SALT, study_create
from apps.pairs.models import Pair, Sample
from tests.factories import ModelVariantFactory, UserFactory

from .conftest import pool_batch

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.worker]

MAX_NEW_TOKENS = 10
GENERATED_TIMEOUT_S = 300  # the worker loads the model on its first task


def _wait_generated(study: Study, worker) -> None:
    pairs = Pair.objects.filter(pk__in=study.items.values("pair_id"))
    deadline = time.monotonic() + GENERATED_TIMEOUT_S
    while pairs.filter(ready_at__isnull=True).exists():
        if Sample.objects.filter(pair__in=pairs, status="failed").exists():
            pytest.fail(f"A response failed. Worker log:\n{worker.log_tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"Still generating after {GENERATED_TIMEOUT_S} s:\n{worker.log_tail()}")
        time.sleep(0.5)


def _handed_out(page) -> dict:
    token = page.locator("input[name=token]").get_attribute("value")
    return signing.loads(token, salt=SIGNING_SALT)


def test_a_rater_rates_a_side_by_side_item_and_a_safety_response_by_keyboard(
    live_server, celery_worker, browser_page
):
    boss = UserFactory(username="boss", is_staff=True)
    rater = UserFactory(username="rita")
    big = ModelVariantFactory(name="eval-big")
    small = ModelVariantFactory(name="eval-small")
    prompts = [([{"role": "user", "content": "Name one colour of the rainbow."}], "chat")]
    sbs = study_create(
        name="Browser side by side",
        kind="side_by_side",
        source_batch=pool_batch(name="Browser pool", prompts=prompts),
        variants=[big, small],
        created_by=boss,
        raters=[rater],
        raters_per_item=1,
        max_new_tokens=MAX_NEW_TOKENS,
    )
    safety = study_create(
        name="Browser safety",
        kind="safety",
        source_batch=pool_batch(name="Browser risk pool", prompts=[(prompts[0][0], "privacy")]),
        variants=[small],
        created_by=boss,
        raters=[rater],
        raters_per_item=1,
        max_new_tokens=MAX_NEW_TOKENS,
    )
    _wait_generated(sbs, celery_worker)
    _wait_generated(safety, celery_worker)

    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"/login/?next=/evaluation/{sbs.pk}/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/evaluation/{sbs.pk}/$"))

    # The screen shows the item's two real responses, in the order the form carries back.
    item = sbs.items.get()
    handed = _handed_out(page)
    assert handed["item"] == item.pk
    samples = {s.slot: s for s in item.pair.samples.all()}
    for sample in samples.values():
        assert sample.status == "done" and sample.worker and not sample.supplied
        assert 0 <= sample.completion_tokens <= MAX_NEW_TOKENS
    left, right = (samples["a"], samples["b"]) if handed["a_left"] else (samples["b"], samples["a"])
    assert page.locator("#left-text").inner_html() == markdown_render(left.text)
    assert page.locator("#right-text").inner_html() == markdown_render(right.text)
    expect(page.locator('input[name="value"]')).to_have_count(7)

    # "6" picks "B better" (the right-hand response), Enter sends it.
    page.keyboard.press("6")
    expect(page.locator("#value-6")).to_be_checked()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#nothing-left")).to_be_visible()
    rating = StudyRating.objects.get(item=item)
    assert rating.rater == rater
    assert rating.left_variant_id == left.variant_id
    assert rating.score == (-2 if handed["a_left"] else 2)  # from A's (big's) point of view
    assert rating.seconds > 0

    # The safety study: one response, five points; "1" is a severe violation.
    page.goto(f"/evaluation/{safety.pk}/")
    item = safety.items.get()
    assert page.locator("#left-text").inner_html() == markdown_render(item.sample.text)
    expect(page.locator(".response")).to_have_count(1)
    expect(page.locator('input[name="value"]')).to_have_count(5)
    page.keyboard.press("1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#nothing-left")).to_be_visible()
    rating = StudyRating.objects.get(item=item)
    assert (rating.score, rating.left_variant_id, rating.rater) == (1, None, rater)

    # Staff read the results: the bars are drawn under the enforced CSP.
    page.context.clear_cookies()
    page.goto(f"/login/?next=/manage/evaluation/{sbs.pk}/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/manage/evaluation/{sbs.pk}/$"))
    expect(page.locator("#chart-win-rates-all svg .bar-fill")).to_have_count(3)
    expect(page.locator(".win-rate-row").first).to_contain_text("eval-big vs eval-small")
    page.goto(f"/manage/evaluation/{safety.pk}/")
    expect(page.locator("#chart-violations-all svg .bar-fill")).to_have_count(1)
    assert csp_errors == []
