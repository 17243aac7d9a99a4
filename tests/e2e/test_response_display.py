"""How responses and prompts look in Chromium: Markdown, text direction, the length counter.

No worker here: the test plays the worker's part by writing the samples itself, and the page
picks the changes up by polling, as it does from a real worker.
"""

import os

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.dialogues.services import dialogue_start
from apps.pairs.models import Sample
from tests.factories import BatchFactory, UserFactory, samples_finish

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests"  # what UserFactory sets
MARKDOWN = "Try this:\n\n```python\nprint('hi')\n```\n\n- first\n- second"
ARABIC = "مرحبا، كيف حالك اليوم؟"


def _login(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _direction(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).direction")


def test_a_streamed_markdown_response_shows_a_code_block_and_a_list(live_server, browser_page):
    ann = UserFactory(username="ann")
    pair = dialogue_start(batch=BatchFactory(), annotator=ann, text="Show me some code.")
    page = browser_page
    _login(page, "ann")
    page.goto(f"/dialogues/{pair.dialogue_id}/")
    expect(page.locator("#pair-progress")).to_be_visible()
    expect(page.locator("#pair-status-text")).to_have_text("Queued: waiting for a worker.")

    Sample.objects.filter(pair=pair).update(status="running", text=MARKDOWN)  # streaming
    expect(page.locator("#pair-status-text")).to_have_text("Writing the two responses…")
    left = page.locator("#left-text")
    expect(left.locator("pre code")).to_have_text("print('hi')\n")
    expect(left.locator("ul > li")).to_have_count(2)

    samples_finish(pair, texts=(MARKDOWN, MARKDOWN))
    Sample.objects.filter(pair=pair, slot=pair.left_slot).update(finish_reason="length")
    expect(page.locator("#left-cut")).to_have_text("Cut off at the token limit.")
    expect(page.locator("#right-cut")).to_be_hidden()
    expect(page.locator("#right-text ul > li")).to_have_count(2)


def test_an_arabic_message_reads_right_to_left_and_an_english_one_left_to_right(
    live_server, browser_page
):
    ann = UserFactory(username="ann")
    pair = dialogue_start(batch=BatchFactory(), annotator=ann, text=ARABIC)
    samples_finish(pair, texts=(ARABIC, "Hello, I am fine."))
    page = browser_page
    _login(page, "ann")
    page.goto(f"/dialogues/{pair.dialogue_id}/")
    arabic_side = "left" if pair.left_slot == "a" else "right"
    english_side = "right" if arabic_side == "left" else "left"

    assert _direction(page.locator("#transcript .turn-user .text")) == "rtl"
    assert _direction(page.locator(f"#{arabic_side}-text")) == "rtl"
    assert _direction(page.locator(f"#{english_side}-text")) == "ltr"


def test_the_counter_blocks_an_over_long_prompt_and_never_cuts_it(live_server, browser_page):
    UserFactory(username="ann")
    batch = BatchFactory()
    limit = settings.MAX_PROMPT_CHARS
    page = browser_page
    _login(page, "ann")
    page.goto(f"/batches/{batch.pk}/")
    box, send = page.locator("#prompt-text"), page.locator("#prompt-form button[type=submit]")
    counter = page.locator("#prompt-count")

    half = limit // 2
    box.fill("é" * half + "\n" + "é" * (limit - half - 1))  # a line break counts once
    expect(counter).to_have_text(f"{limit:,} / {limit:,} characters")
    expect(send).to_be_enabled()

    box.fill("🙂" * (limit + 1))  # one character each, however the browser stores them
    assert box.input_value() == "🙂" * (limit + 1), "the box cut the text"
    expect(counter).to_have_text(
        f"{limit + 1:,} / {limit:,} characters: 1 too many. Shorten the message to send it."
    )
    expect(send).to_be_disabled()
    box.press("Control+Enter")
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/batches/{batch.pk}/"), "an over-long prompt was sent"

    box.press("Backspace")
    expect(send).to_be_enabled()
