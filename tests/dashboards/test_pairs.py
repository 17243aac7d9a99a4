"""The staff page of a batch's pairs: both responses, every judgment and flag, filters, pages."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.assignments.services import lease_claim, lease_flag, lease_submit
from apps.dashboards import views
from apps.dialogues.services import dialogue_judge, dialogue_start
from apps.pairs.models import Sample
from tests.factories import BatchFactory, UserFactory, pool_pair_ready, samples_finish

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(2)">'


def _url(batch, **query) -> str:
    url = reverse("dashboards:pairs", args=[batch.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _pair_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-pair-id="(\d+)"', html)]


@pytest.fixture
def client_staff(client, staff):
    client.force_login(staff)
    return client


def _queue_judge(batch, annotator, *, side="left", strength="better", **safety):
    lease = lease_claim(batch=batch, annotator=annotator)
    lease_submit(
        lease_id=lease.pk,
        annotator=annotator,
        idempotency_key=f"k{lease.pk}",
        chosen_side=side,
        strength=strength,
        time_spent_ms=700,
        **safety,
    )
    return lease


@pytest.fixture
def states(batch, annotator):
    """One pair in each state, oldest first: pending, failed, judged, flagged, ready."""
    pending = dialogue_start(batch=batch, annotator=annotator, text="Still generating")
    failed = dialogue_start(batch=batch, annotator=UserFactory(username="f"), text="Broke")
    Sample.objects.filter(pair=failed, slot="b").update(status="failed", error="model fell over")
    judged = samples_finish(
        dialogue_start(batch=batch, annotator=UserFactory(username="j"), text="Judge me"),
        texts=("Judged A", "Judged B"),
    )
    dialogue_judge(
        pair=judged,
        annotator=judged.dialogue.annotator,
        chosen_side="right",
        strength="slightly_better",
        time_spent_ms=900,
    )
    flagged = pool_pair_ready(batch, prompt="Flag me", texts=("Flag A", "Flag B"))
    eve = UserFactory(username="eve")
    flag = lease_claim(batch=batch, annotator=eve)
    lease_flag(lease_id=flag.pk, annotator=eve, reason="broken", note="cut off mid-word")
    ready = pool_pair_ready(batch, prompt="Nobody judged me", texts=("Ready A", "Ready B"))
    return {
        "pending": pending,
        "failed": failed,
        "judged": judged,
        "flagged": flagged,
        "ready": ready,
    }


def test_it_sends_anonymous_users_to_the_login_page(client, batch):
    response = client.get(_url(batch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_annotators(client, batch, annotator):
    client.force_login(annotator)
    assert client.get(_url(batch)).status_code == 403
    assert client.get(reverse("dashboards:pairs", args=[999_999])).status_code == 403


def test_it_answers_404_for_a_missing_batch(client_staff):
    assert client_staff.get(reverse("dashboards:pairs", args=[999_999])).status_code == 404


def test_it_lists_every_pair_of_the_batch_newest_first(client_staff, batch, states):
    BatchFactory()  # another batch's pairs never show
    pool_pair_ready(BatchFactory(), prompt="OTHER BATCH")
    html = client_staff.get(_url(batch)).content.decode()
    expected = [states[s].pk for s in ("ready", "flagged", "judged", "failed", "pending")]
    assert _pair_ids(html) == expected
    assert "OTHER BATCH" not in html


@pytest.mark.parametrize("state", ["pending", "ready", "judged", "failed", "flagged"])
def test_it_filters_by_state(client_staff, batch, states, state):
    response = client_staff.get(_url(batch, state=state))
    assert response.status_code == 200
    assert _pair_ids(response.content.decode()) == [states[state].pk]


def test_it_shows_both_responses_and_each_judgment_with_who_side_strength_and_time(
    client_staff, batch, states
):
    html = client_staff.get(_url(batch, state="judged")).content.decode()
    assert '<div class="response markdown" dir="auto"><p>Judged A</p></div>' in html
    assert '<div class="response markdown" dir="auto"><p>Judged B</p></div>' in html
    judged = states["judged"]
    chosen = "B" if judged.left_slot == "a" else "A"  # chose the right-hand response
    row = re.search(r'<tr class="judgment".*?</tr>', html, re.S)[0]
    assert "<td>j</td>" in row and f"<td>{chosen}</td>" in row
    assert "Slightly better" in row
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", row)


def test_it_shows_safety_labels_and_flags(client_staff, safety_batch, annotator):
    pool_pair_ready(safety_batch, prompt="Risky", texts=("Safe one", "Unsafe one"))
    lease = _queue_judge(
        safety_batch, annotator, side="left", left_is_safe="safe", right_is_safe="unsafe"
    )
    pool_pair_ready(safety_batch, prompt="Flag it")
    flag = lease_claim(batch=safety_batch, annotator=annotator)
    lease_flag(lease_id=flag.pk, annotator=annotator, reason="harmful", note=HOSTILE)
    html = client_staff.get(_url(safety_batch)).content.decode()
    assert "Chosen is safe, the other is not" in html
    assert lease.pair_id in _pair_ids(html)
    assert "Harmful content" in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<script>window.__pwned" not in html


def test_it_filters_by_category(client_staff, batch):
    from apps.pools.models import PoolItem

    code = pool_pair_ready(batch, prompt="Code one")
    chat = pool_pair_ready(batch, prompt="Chat one")
    PoolItem.objects.filter(pair=code).update(category="code")
    PoolItem.objects.filter(pair=chat).update(category="chat")
    html = client_staff.get(_url(batch, category="code")).content.decode()
    assert _pair_ids(html) == [code.pk]
    assert '<option value="chat">chat</option>' in html
    assert client_staff.get(_url(batch, category="nope")).status_code == 400
    assert client_staff.get(_url(batch, state="nope")).status_code == 400


def test_it_pages_and_keeps_the_filters_in_the_page_links(client_staff, batch, monkeypatch):
    monkeypatch.setattr(views, "PAIRS_PAGE_SIZE", 2)
    pairs = [pool_pair_ready(batch, prompt=f"p{i}") for i in range(3)]
    first = client_staff.get(_url(batch, state="ready")).content.decode()
    assert _pair_ids(first) == [pairs[2].pk, pairs[1].pk]
    assert "Page 1 of 2" in first
    assert 'href="?state=ready&amp;page=2"' in first
    second = client_staff.get(_url(batch, state="ready", page=2)).content.decode()
    assert _pair_ids(second) == [pairs[0].pk]


def test_it_escapes_prompts_responses_and_categories(client_staff, batch):
    from apps.pools.models import PoolItem

    pair = pool_pair_ready(batch, prompt=HOSTILE, texts=(HOSTILE, f"</div>{HOSTILE}"))
    PoolItem.objects.filter(pair=pair).update(category=HOSTILE[:100])
    html = client_staff.get(_url(batch)).content.decode()
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "style=" not in html and "<script>" not in html.replace('<script src="', "")


def test_it_costs_the_same_queries_however_many_pairs(client_staff, batch, states):
    with CaptureQueriesContext(connection) as few:
        client_staff.get(_url(batch))
    for n in range(4):
        pool_pair_ready(batch, prompt=f"more {n}")
        _queue_judge(batch, UserFactory(username=f"more-{n}"))
    with CaptureQueriesContext(connection) as many:
        html = client_staff.get(_url(batch)).content.decode()
    assert len(_pair_ids(html)) == 9
    assert len(many) == len(few)


def test_the_batch_page_and_the_dashboard_link_to_it(client_staff, batch):
    link = f'href="{_url(batch)}"'
    assert link in client_staff.get(f"/manage/batches/{batch.pk}/edit/").content.decode()
    assert link in client_staff.get(f"/manage/batches/{batch.pk}/dashboard/").content.decode()
