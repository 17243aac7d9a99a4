"""Hostile prompts, model output, guidelines and worker errors, shown by the real pages.

Each payload, if it ran, would set `window.__pwned` or open a dialog; the enforced CSP would
also report inline code it blocked. On every page none of that happens, no injected element
or handler is in the DOM, and the prompts and responses are shown as text.
"""

import os

import pytest

from apps.assignments.services import lease_claim, lease_flag, lease_skip, lease_submit
from apps.dialogues.services import dialogue_continue, dialogue_judge, dialogue_start
from apps.pairs.models import Pair, Sample
from apps.pools.models import PoolItem
from tests.factories import BatchFactory, UserFactory, pool_pair_ready, samples_finish

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests"  # what UserFactory sets
PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    '<a href="javascript:window.__pwned=3">click me</a>',
    '<svg onload="window.__pwned=4"><circle r=1 /></svg>',
    "<style>body{display:none}</style>",
    '<div style="position:fixed;inset:0;background:red" onclick="window.__pwned=5">x</div>',
    '"><script>window.__pwned=6</script>',
    "';window.__pwned=7;//",
    '<iframe srcdoc="<script>parent.__pwned=8</script>"></iframe>',
    "<scr<script>ipt>alert(9)</script>",
    "{{ 7|add:1 }}{% debug %}",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(10)">',
    '<form action="javascript:alert(11)"><button>go</button></form>',
]
HOSTILE = " ".join(PAYLOADS)
# Model responses are rendered as Markdown: these try to smuggle markup through it.
MARKDOWN_PAYLOADS = [
    "[click me](javascript:window.__pwned=20)",
    "[CLICK](JaVaScRiPt:window.__pwned=21)",
    '![img](x" onerror="window.__pwned=22)',
    "![img2](javascript:window.__pwned=23)",
    "**<img src=x onerror=window.__pwned=24>**",
    "[data](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0yNTwvc2NyaXB0Pg==)",
    '[title](https://example.org "x\\" onclick=\\"window.__pwned=26")',
    '<https://example.org/" onmouseover="window.__pwned=27>',
    "```html\n<script>window.__pwned=28</script>\n```",
    "- <script>window.__pwned=29</script>\n- <iframe src=javascript:parent.__pwned=30>",
    "[rel](/admin/) <b onclick=window.__pwned=31>bold?</b>",
]
HOSTILE_MARKDOWN = HOSTILE + "\n\n" + "\n\n".join(MARKDOWN_PAYLOADS)
GUIDELINES = f"""# Guidelines

[harmless-looking link](javascript:window.__pwned=12)

![img](x" onerror="window.__pwned=13)

<a href="https://example.org" onclick="window.__pwned=14" style="position:fixed">styled</a>

{HOSTILE}
"""
INJECTED = (
    "script:not([src]), [onerror], [onload], [onclick], [onmouseover], iframe, body style, "
    "[style*=fixed], .markdown img, .markdown a[href^='data:' i], .markdown a[href^='/'], "
    ".markdown a[href]:not([rel='noopener noreferrer nofollow'])"
)


@pytest.fixture
def hostile_world(transactional_db):
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    ann = UserFactory(username="ann")
    batch = BatchFactory(
        name='<img src=x onerror="window.__pwned=15">', guidelines=GUIDELINES, created_by=boss
    )
    judged = dialogue_start(batch=batch, annotator=ann, text=HOSTILE)
    samples_finish(judged, (HOSTILE_MARKDOWN, f"right {HOSTILE_MARKDOWN}"))
    dialogue_judge(
        pair=judged,
        annotator=ann,
        chosen_side="left",
        strength="better",
        time_spent_ms=1000,
        left_is_safe=None,
        right_is_safe=None,
    )
    open_pair = dialogue_continue(dialogue=judged.dialogue, annotator=ann, text=f"2 {HOSTILE}")
    samples_finish(open_pair, (f"left {HOSTILE_MARKDOWN}", f"right {HOSTILE_MARKDOWN}"))
    failed = dialogue_start(batch=batch, annotator=ann, text=f"3 {HOSTILE}")
    Sample.objects.filter(pair=failed).update(status="failed", error=f"worker: {HOSTILE}")
    streaming = dialogue_start(batch=batch, annotator=ann, text=f"4 {HOSTILE}")
    Sample.objects.filter(pair=streaming).update(status="running")
    # The prompt pool and the queue: imported contexts, leases, skip reasons and flag notes.
    context = [
        {"role": "user", "content": f"pool {HOSTILE}"},
        {"role": "assistant", "content": f"earlier {HOSTILE}"},
        {"role": "user", "content": f"then {HOSTILE}"},
    ]
    pool_pairs = [
        pool_pair_ready(
            batch, context=context, texts=(f"L {HOSTILE_MARKDOWN}", f"R {HOSTILE_MARKDOWN}")
        )
        for _ in range(4)
    ]
    PoolItem.objects.update(category=HOSTILE[:100], metadata={"source": HOSTILE})
    lease = lease_claim(batch=batch, annotator=ann)
    eve = UserFactory(username="eve")
    skipped = lease_claim(batch=batch, annotator=eve)
    lease_skip(lease_id=skipped.pk, annotator=eve, reason=f"skip {HOSTILE}")
    flagged = lease_claim(batch=batch, annotator=eve)
    lease_flag(lease_id=flagged.pk, annotator=eve, reason="harmful", note=f"note {HOSTILE}")
    judged_pool = lease_claim(batch=batch, annotator=eve)
    lease_submit(
        lease_id=judged_pool.pk,
        annotator=eve,
        idempotency_key="k",
        chosen_side="left",
        strength="better",
        time_spent_ms=900,
    )
    return {
        "lease": lease,
        "pool_pairs": pool_pairs,
        "batch": batch,
        "dialogue": judged.dialogue,
        "failed_dialogue": failed.dialogue,
        "streaming_dialogue": streaming.dialogue,
        "sample": Sample.objects.filter(pair=open_pair).first(),
        "pair": Pair.objects.get(pk=open_pair.pk),
    }


def _watch(page) -> list[str]:
    """Collect dialogs (dismissed) and CSP reports from the console."""
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "console",
        lambda m: events.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return events


def _login(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _assert_inert(page, url: str, events: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    _assert_still_inert(page, events, url)


def _assert_still_inert(page, events: list[str], url: str = "") -> None:
    page.wait_for_timeout(200)  # let any delayed handler (onload, timers) have its chance
    assert page.evaluate("typeof window.__pwned") == "undefined", url
    assert page.locator(INJECTED).count() == 0, url
    assert page.locator("a[href^='javascript:' i], form[action^='javascript:' i]").count() == 0
    assert events == [], url


def test_nothing_hostile_runs_on_the_annotators_pages(browser_page, hostile_world):
    page = browser_page
    events = _watch(page)
    _login(page, "ann")
    dialogue = hostile_world["dialogue"]
    _assert_inert(page, f"/dialogues/{dialogue.pk}/", events)
    body = page.inner_text("body")
    assert "<script>window.__pwned=1</script>" in body  # shown as text, both sides and turns
    assert '<img src=x onerror="window.__pwned=2">' in body
    assert "{{ 7|add:1 }}{% debug %}" in body
    assert page.locator(".markdown a:not([href])", has_text="click me").count() >= 1
    assert "**<img src=x onerror=window.__pwned=24>**" not in body  # emphasis rendered...
    assert "<img src=x onerror=window.__pwned=24>" in body  # ...around the tag, shown as text
    assert page.locator(".response-text pre code", has_text="__pwned=28").count() == 2
    # A live update (the status poll's sanitised HTML, put in with innerHTML) is inert too.
    streaming = hostile_world["streaming_dialogue"]
    _assert_inert(page, f"/dialogues/{streaming.pk}/", events)
    Sample.objects.filter(pair__dialogue=streaming).update(text=HOSTILE_MARKDOWN)
    page.locator("#left-text pre code").wait_for()
    _assert_still_inert(page, events)
    _assert_inert(page, f"/dialogues/{hostile_world['failed_dialogue'].pk}/", events)
    assert "worker: <script>window.__pwned=1</script>" in page.inner_text("body")
    _assert_inert(page, f"/batches/{hostile_world['batch'].pk}/", events)
    page.click("details.guidelines summary")
    guidelines = page.locator(".guidelines-body")
    assert guidelines.locator("a[href^='javascript' i], img[onerror], [style]").count() == 0
    _assert_inert(page, "/batches/", events)
    assert '<img src=x onerror="window.__pwned=15">' in page.inner_text("body")
    _assert_inert(page, f"/leases/{hostile_world['lease'].pk}/", events)
    body = page.inner_text("body")
    assert "then <script>window.__pwned=1</script>" in body
    assert "earlier <script>window.__pwned=1</script>" in body
    assert "L <script>window.__pwned=1</script>" in body
    _assert_inert(page, f"/batches/{hostile_world['batch'].pk}/queue/", events)
    _assert_inert(page, "/history/", events)
    # The live status the page polls carries the same text, put in with textContent.
    status = page.request.get(f"/pairs/{hostile_world['pair'].pk}/status/")
    assert status.ok
    assert "<script>window.__pwned=1</script>" in status.json()["left"]["text"]


def test_nothing_hostile_runs_on_the_staff_pages(chromium_browser, live_server, hostile_world):
    context = chromium_browser.new_context(base_url=live_server.url)
    page = context.new_page()
    try:
        events = _watch(page)
        _login(page, "boss")
        batch_id = hostile_world["batch"].pk
        urls = [
            "/fleet/",
            "/admin/preferences/comparison/",
            "/admin/pairs/sample/",
            f"/admin/pairs/sample/{hostile_world['sample'].pk}/change/",
            "/admin/dialogues/dialogue/",
            "/admin/batches/batch/",
            f"/admin/batches/batch/{hostile_world['batch'].pk}/change/",
            "/api/docs/",
            "/manage/batches/",
            f"/manage/batches/{batch_id}/edit/",
            f"/manage/batches/{batch_id}/clone/",
            f"/manage/batches/{batch_id}/dashboard/",
            f"/manage/batches/{batch_id}/dashboard/panel/",
            f"/manage/batches/{batch_id}/pool/",
            f"/manage/batches/{batch_id}/pairs/",
            f"/manage/batches/{batch_id}/pairs/?state=flagged",
            "/admin/assignments/lease/",
            "/admin/pairs/judgmentslot/",
            "/admin/pools/poolitem/",
            f"/admin/pools/poolitem/{PoolItem.objects.first().pk}/change/",
            "/admin/pools/poolupload/",
            "/admin/pairs/pair/",
        ]
        for url in urls:
            _assert_inert(page, url, events)
        page.goto("/fleet/")
        assert "worker: <script>window.__pwned=1</script>" in page.inner_text("body")
        page.goto("/admin/preferences/comparison/")
        assert 'onerror="window.__pwned=15"' in page.inner_text("body")
        page.goto(f"/manage/batches/{batch_id}/dashboard/")
        body = page.inner_text("body")
        assert "note <script>window.__pwned=1</script>" in body
        assert "skip <script>window.__pwned=1</script>" in body
        page.goto(f"/manage/batches/{batch_id}/pairs/")
        body = page.inner_text("body")
        assert "L <script>window.__pwned=1</script>" in body  # a pool pair's response
        assert "right <script>window.__pwned=1</script>" in body  # a dialogue pair's
        assert "note <script>window.__pwned=1</script>" in body
        page.goto("/api/docs/")
        page.wait_for_selector(".opblock-summary-path")
        assert events == []
    finally:
        context.close()
