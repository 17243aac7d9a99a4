"""End to end: Chromium, the live Django server, a real Celery worker and the real model.

An annotator writes a prompt, watches the two responses arrive without a reload, judges them
from the keyboard, continues the dialogue and judges the second pair with the mouse. The
database must then hold exactly what the screen showed and what was picked.

Set PAIRWISE_SCREENSHOT=1 to also write docs/annotation-page.png.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from apps.core.markdown import markdown_render
from apps.dialogues.models import Dialogue
from apps.pairs.models import Pair, Sample
from apps.preferences.models import Comparison, Strength
from tests.factories import BatchFactory, SamplingConfigFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests"  # what UserFactory sets
MAX_NEW_TOKENS = 10
FIRST_PROMPT = "Name one colour of the rainbow."
SECOND_PROMPT = "Now name a different one."
FIRST_PAIR_TIMEOUT_MS = 300_000  # the worker loads the model on its first task
NEXT_PAIR_TIMEOUT_MS = 120_000
SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "annotation-page.png"


def pair_on_screen(page) -> dict:
    """The pair's state and whether the progress indicator is really displayed, read at once."""
    return page.evaluate(
        """() => {
            const progress = document.getElementById("pair-progress");
            return {
                state: document.getElementById("pair").dataset.state,
                progress: !progress.hidden && getComputedStyle(progress).display !== "none",
            };
        }"""
    )


def wait_until_generated(page, worker, timeout_ms: int) -> None:
    try:
        # A selector wait, not wait_for_function: the page's CSP forbids evaluating strings.
        page.locator("#pair:not([data-state='generating'])").wait_for(timeout=timeout_ms)
    except PlaywrightError:
        pytest.fail(
            f"The pair was still generating after {timeout_ms} ms. Worker log:\n{worker.log_tail()}"
        )
    state = pair_on_screen(page)["state"]
    if state != "ready":
        error = page.locator("#pair-error-text").text_content()
        pytest.fail(f"The pair ended {state!r}: {error}\nWorker log:\n{worker.log_tail()}")


def samples_by_side(pair: Pair) -> tuple[Sample, Sample]:
    samples = {s.slot: s for s in pair.samples.all()}
    right_slot = Pair.Slot.B if pair.left_slot == Pair.Slot.A else Pair.Slot.A
    return samples[pair.left_slot], samples[right_slot]


def assert_screen_shows(page, pair: Pair) -> tuple[Sample, Sample]:
    """The texts on the left and right are the DB samples of the pair's left and right slots."""
    left, right = samples_by_side(pair)
    for sample in (left, right):
        assert sample.status == Sample.Status.DONE, sample
        assert sample.max_new_tokens == MAX_NEW_TOKENS
        assert 0 <= sample.completion_tokens <= MAX_NEW_TOKENS
        assert sample.worker, "the sample was not claimed by a worker"
    assert left.text or right.text, "the model generated two empty responses"
    assert page.locator("#left-text").inner_html() == markdown_render(left.text)
    assert page.locator("#right-text").inner_html() == markdown_render(right.text)
    expect(page.locator("#pair-progress")).to_be_hidden()
    expect(page.locator("#submit-judgment")).to_be_enabled()
    return left, right


def test_two_turn_dialogue_judged_by_keyboard_then_mouse(live_server, celery_worker, browser_page):
    page = browser_page
    batch = BatchFactory(
        name="End-to-end batch",
        sampling_a=SamplingConfigFactory(
            temperature_min=0.3, temperature_max=0.3, max_new_tokens=MAX_NEW_TOKENS
        ),
        sampling_b=SamplingConfigFactory(
            temperature_min=1.0, temperature_max=1.0, max_new_tokens=MAX_NEW_TOKENS
        ),
        max_turns=3,
    )
    annotator = UserFactory(username="e2e-annotator")

    # Log in.
    page.goto("/login/")
    page.fill("#id_username", annotator.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/batches/$"))

    # Write the first prompt and send it with Ctrl+Enter.
    page.goto(f"/batches/{batch.pk}/")
    prompt = page.locator("#prompt-form #prompt-text")
    prompt.press_sequentially(FIRST_PROMPT)
    prompt.press("Control+Enter")
    page.wait_for_url(re.compile(r"/dialogues/\d+/$"))
    dialogue = Dialogue.objects.get(annotator=annotator, batch=batch)
    assert page.url.endswith(f"/dialogues/{dialogue.pk}/")

    # The worker is still loading the model: the progress indicator shows, then the texts
    # arrive by polling, in this same document.
    expect(page.locator("#pair-progress")).to_be_visible()
    assert pair_on_screen(page) == {"state": "generating", "progress": True}
    expect(page.locator("#submit-judgment")).to_be_disabled()
    page.evaluate("window.__sameDocument = true")
    wait_until_generated(page, celery_worker, FIRST_PAIR_TIMEOUT_MS)
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    pair1 = Pair.objects.get(dialogue=dialogue, user_turn__index=0)
    left1, right1 = assert_screen_shows(page, pair1)

    # Judge from the keyboard: right is better, level 2 ("better"), Enter submits.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("2")
    expect(page.locator('input[name="chosen_side"][value="right"]')).to_be_checked()
    expect(page.locator('input[name="strength"][value="better"]')).to_be_checked()
    page.keyboard.press("Enter")
    continue_form = page.locator("#continue-form")
    expect(continue_form).to_be_visible()
    expect(page.locator("#transcript .turn-assistant .text")).to_have_count(1)
    assert page.locator("#transcript .turn-assistant .text").inner_html() == markdown_render(
        right1.text
    )

    # Write the second user turn and send it with the button.
    continue_form.locator("textarea[name=text]").press_sequentially(SECOND_PROMPT)
    with page.expect_navigation():
        continue_form.get_by_role("button", name=re.compile("Send")).click()
    assert page.url.endswith(f"/dialogues/{dialogue.pk}/")
    on_screen = pair_on_screen(page)
    if on_screen["state"] == "generating":
        assert on_screen["progress"], "generating, but the progress indicator is not displayed"
        page.evaluate("window.__sameDocument = true")
        wait_until_generated(page, celery_worker, NEXT_PAIR_TIMEOUT_MS)
        assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    else:  # the loaded model was quicker than the page: it arrived already generated
        assert on_screen == {"state": "ready", "progress": False}
    pair2 = Pair.objects.get(dialogue=dialogue, user_turn__index=2)
    left2, right2 = assert_screen_shows(page, pair2)

    # Judge with the mouse this time: left is better, significantly.
    page.locator("label", has_text="Left is better").click()
    page.locator("label", has_text="Significantly better").click()
    expect(page.locator('input[name="chosen_side"][value="left"]')).to_be_checked()
    if os.environ.get("PAIRWISE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    with page.expect_navigation():
        page.locator("#submit-judgment").click()
    expect(page.locator("#continue-form")).to_be_visible()  # turn 3 of 3 is still allowed
    expect(page.locator("#transcript .turn-assistant .text")).to_have_count(2)

    # What was stored.
    comparisons = list(
        Comparison.objects.filter(annotator=annotator)
        .order_by("turn_index")
        .select_related("pair", "left", "chosen", "rejected")
    )
    assert [c.turn_index for c in comparisons] == [0, 2]
    first, second = comparisons
    assert (first.pair, second.pair) == (pair1, pair2)
    for comparison in comparisons:
        left, _ = samples_by_side(comparison.pair)
        assert comparison.left == left
        assert comparison.batch == batch and comparison.track == batch.track
        assert comparison.chosen_is_safe is None and comparison.rejected_is_safe is None
        assert comparison.time_spent_ms > 0

    assert (first.chosen, first.rejected) == (right1, left1)  # picked right
    assert first.left != first.chosen
    assert first.strength == Strength.BETTER
    assert first.context == [{"role": "user", "content": FIRST_PROMPT}]

    assert (second.chosen, second.rejected) == (left2, right2)  # picked left
    assert second.left == second.chosen
    assert second.strength == Strength.SIGNIFICANTLY_BETTER
    assert second.context == [
        {"role": "user", "content": FIRST_PROMPT},
        {"role": "assistant", "content": first.chosen.text},
        {"role": "user", "content": SECOND_PROMPT},
    ]
    assert second.context == pair2.context

    assert list(dialogue.turns.values_list("index", "role", "text", "source_sample")) == [
        (0, "user", FIRST_PROMPT, None),
        (1, "assistant", right1.text, right1.pk),
        (2, "user", SECOND_PROMPT, None),
        (3, "assistant", left2.text, left2.pk),
    ]
