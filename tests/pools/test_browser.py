"""The pool page in Chromium under the enforced CSP: hostile uploads stay inert, and the
progress bar follows pre-generation through the static script's polling."""

import json
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.pairs.models import Pair, Sample
from apps.pools.models import PoolUpload
from apps.pools.services import pool_import
from apps.pools.upload_jobs import pool_upload_run
from tests.factories import BatchFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests"  # what UserFactory sets
HOSTILE = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    '<svg onload="window.__pwned=3"></svg>{{ 7|add:1 }}'
)
INJECTED = "script:not([src]), [onerror], [onload], [onclick], iframe, body style"


def _watch(page) -> list[str]:
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "console",
        lambda m: events.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return events


def _assert_inert(page, events) -> None:
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator(INJECTED).count() == 0
    assert events == []


def test_the_pool_page_stays_inert_and_its_progress_bar_moves(browser_page, tmp_path):
    boss = UserFactory(username="boss", is_staff=True)
    batch = BatchFactory(name=f"Batch {HOSTILE}")
    rows = [{"prompt": f"{HOSTILE} {i}", "category": "<b>c</b>", "x": HOSTILE} for i in range(2)]
    pool_import(
        batch=batch,
        uploaded_by=boss,
        filename=f"{HOSTILE}.jsonl",
        data="".join(json.dumps(r) + "\n" for r in rows).encode(),
    )
    page = browser_page
    events = _watch(page)
    page.goto("/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"/manage/batches/{batch.pk}/pool/")
    _assert_inert(page, events)
    assert f"{HOSTILE}.jsonl" in page.inner_text("#pool-uploads")
    assert page.inner_text("#pool-ready") == "0"
    assert page.inner_text("#pool-total") == "2"

    # A rejected upload: stored and queued; once its job has run (here, in this process),
    # the script's next poll sees it ended and reloads: the report quotes the role as text.
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"messages": [{"role": HOSTILE, "content": "x"}]}) + "\n")
    page.set_input_files("#id_file", str(bad))
    page.click("#pool-upload-form button[type=submit]")
    page.wait_for_load_state()
    queued = PoolUpload.objects.get(state="queued")
    expect(page.locator(f"#upload-{queued.pk}-cancel")).to_be_visible()
    assert pool_upload_run(upload_id=queued.pk) == "failed"
    page.wait_for_selector(".pool-errors", timeout=15_000)
    _assert_inert(page, events)
    assert "Line 1:" in page.inner_text(".pool-errors")
    assert "unknown role" in page.inner_text(".pool-errors")

    # A worker finishes one response: the script's next poll moves the bar, no reload.
    pair = Pair.objects.filter(batch=batch).order_by("pk").first()
    done = {"status": "done", "text": "ok", "completion_tokens": 1}
    Sample.objects.filter(pair=pair, slot="a").update(**done)
    # (A selector wait: waiting on a JS predicate would need the eval the CSP forbids.)
    expect(page.locator("#pool-samples-done")).to_have_text("1", timeout=15_000)
    expect(page.locator("#pool-progress")).to_have_js_property("value", 1)
    assert page.evaluate("document.getElementById('pool-progress').max") == 4
    assert page.inner_text("#pool-ready") == "0"
    # Then the pair's second one: the pair is ready.
    Sample.objects.filter(pair=pair, slot="b").update(**done)
    Pair.objects.filter(pk=pair.pk).update(ready_at=timezone.now())
    expect(page.locator("#pool-ready")).to_have_text("1", timeout=15_000)
    expect(page.locator("#pool-progress")).to_have_js_property("value", 2)
    assert page.inner_text("#pool-pending") == "1"
    assert events == []
