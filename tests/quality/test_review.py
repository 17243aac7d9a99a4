"""The review page of a batch: pairs with both responses, every judgment and who made it,
disagreements first, filters, pages of 25 in a fixed number of queries; marking gold and
withdrawing judgments from it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.assignments.services import lease_claim, lease_flag
from apps.audit.models import AuditEvent
from apps.dialogues.services import dialogue_start
from apps.preferences.models import Comparison, GoldAnswer
from tests.factories import BatchFactory, UserFactory, pool_pair_ready
from tests.quality.conftest import judge

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(2)">'


def url(batch, **query) -> str:
    base = reverse("quality:review", args=[batch.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def pair_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-pair-id="(\d+)"', html)]


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# Who may see it


def test_it_sends_anonymous_users_to_the_login_page(client, quality_data):
    response = client.get(url(quality_data.batch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_annotators_the_page_and_its_actions(client, quality_data):
    client.force_login(quality_data.ann1)
    batch = quality_data.batch
    assert client.get(url(batch)).status_code == 403
    posted = client.post(
        reverse("quality:review-withdraw", args=[batch.pk]),
        {"annotator": quality_data.ann3.pk, "reason": "mine now"},
    )
    assert posted.status_code == 403
    assert not Comparison.objects.filter(annotator=quality_data.ann3, withdrawn_by__isnull=False)


def test_it_answers_404_for_a_missing_batch(staff_client):
    assert staff_client.get(reverse("quality:review", args=[999_999])).status_code == 404


# What it shows


def test_a_batch_without_ready_pairs_says_so(staff_client, batch):
    html = staff_client.get(reverse("quality:review", args=[batch.pk])).content.decode()
    assert 'id="pairs-empty"' in html
    assert "No pair matches. Pairs show here once both their responses are ready." in html


def test_it_shows_pairs_with_both_responses_those_whose_judgments_split_first(
    staff_client, quality_data
):
    p1, p2, p3, p4 = quality_data.pairs
    pool_pair_ready(BatchFactory(), prompt="OTHER BATCH")
    dialogue_start(batch=quality_data.batch, annotator=quality_data.ann1, text="STILL GENERATING")

    html = staff_client.get(url(quality_data.batch)).content.decode()

    # P1 splits (A, A, B); P2's lone dissent is withdrawn, so it agrees; then newest first.
    assert pair_ids(html) == [p1.pk, p4.pk, p3.pk, p2.pk]
    assert html.count("Judgments disagree") == 1
    assert "OTHER BATCH" not in html and "STILL GENERATING" not in html


def test_it_shows_both_responses_and_every_judgment_with_who_side_strength_and_seconds(
    staff_client, quality_data
):
    html = staff_client.get(url(quality_data.batch)).content.decode()
    first = html.split('data-pair-id="')[1]
    assert '<div class="response markdown" dir="auto"><p>Response A</p></div>' in first
    assert '<div class="response markdown" dir="auto"><p>Response B</p></div>' in first
    rows = re.findall(r'<tr class="judgment.*?</tr>', first, re.S)
    assert len(rows) == 3
    assert "<td>q-ann1</td>" in rows[0] and "<td>A</td>" in rows[0]
    assert "Significantly better" in rows[0] and "<td>2.0</td>" in rows[0]
    assert "<td>q-ann3</td>" in rows[2] and "<td>B</td>" in rows[2]


def test_it_shows_withdrawn_judgments_and_gold_answers(staff_client, quality_data):
    html = staff_client.get(url(quality_data.batch)).content.decode()
    p2 = html.split(f'data-pair-id="{quality_data.pairs[1].pk}"')[1].split("</article>")[0]
    assert "judgment-withdrawn" in p2 and "careless" in p2
    assert "Restore" in p2
    assert "Gold: B, at least negligibly better / unsure" in p2
    p4 = html.split(f'data-pair-id="{quality_data.pairs[3].pk}"')[1].split("</article>")[0]
    assert "qualification" in p4


def test_it_escapes_model_output(staff_client, batch, annotator):
    pair = pool_pair_ready(batch, texts=(HOSTILE, "fine"))
    judge(pair, annotator, chosen="a", strength="better", seconds=3)
    html = staff_client.get(url(batch)).content.decode()
    assert "<script>window.__pwned" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


# Filters


def test_it_filters_by_annotator(staff_client, quality_data):
    p1, p2, _p3, p4 = quality_data.pairs
    html = staff_client.get(url(quality_data.batch, annotator=quality_data.ann3.pk))
    assert pair_ids(html.content.decode()) == [p1.pk, p4.pk, p2.pk]
    assert 'id="withdraw-all"' in html.content.decode()


def test_it_filters_by_category_and_strength(staff_client, quality_data):
    p1, p2, p3, _p4 = quality_data.pairs
    batch = quality_data.batch
    assert pair_ids(staff_client.get(url(batch, category="code")).content.decode()) == [
        p1.pk,
        p2.pk,
    ]
    assert pair_ids(staff_client.get(url(batch, category="chat")).content.decode()) == [p3.pk]
    weak = url(batch, strength="negligibly_better_or_unsure")
    assert pair_ids(staff_client.get(weak).content.decode()) == [p3.pk]


def test_it_filters_pairs_flagged_in_the_queue(staff_client, batch):
    pool_pair_ready(batch, prompt="fine")
    flagged = pool_pair_ready(batch, prompt="broken one")
    eve = UserFactory(username="eve")
    lease = lease_claim(batch=batch, annotator=eve)
    if lease.pair_id != flagged.pk:  # the queue hands out the older pair first
        flagged = lease.pair
    lease_flag(lease_id=lease.pk, annotator=eve, reason="broken", note="cut off")

    html = staff_client.get(url(batch, flagged="on")).content.decode()

    assert pair_ids(html) == [flagged.pk]
    assert "cut off" in html


def test_a_bad_filter_is_a_400(staff_client, quality_data):
    response = staff_client.get(url(quality_data.batch, annotator=999_999, strength="loud"))
    assert response.status_code == 400


# Pages and queries


def test_it_pages_25_pairs_in_a_fixed_number_of_queries(staff_client, batch):
    annotators = [UserFactory(username=f"r{i}") for i in range(3)]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url(batch)).status_code == 200
        return len(captured)

    for i in range(3):
        pair = pool_pair_ready(batch, prompt=f"p{i}")
        for n, annotator in enumerate(annotators):
            judge(pair, annotator, chosen="ab"[(i + n) % 2], strength="better", seconds=4)
    few = queries()
    for i in range(3, 30):
        pair = pool_pair_ready(batch, prompt=f"p{i}")
        for n, annotator in enumerate(annotators):
            judge(pair, annotator, chosen="ab"[(i + n) % 2], strength="better", seconds=4)
    many = queries()

    assert many == few
    html = staff_client.get(url(batch)).content.decode()
    assert len(pair_ids(html)) == 25
    assert "Page 1 of 2" in html
    assert len(pair_ids(staff_client.get(url(batch, page=2)).content.decode())) == 5


# Gold


def test_staff_mark_a_pair_gold_from_the_page(staff_client, staff, quality_data):
    p3 = quality_data.pairs[2]
    response = staff_client.post(
        reverse("quality:review-gold-mark", args=[quality_data.batch.pk, p3.pk]),
        {
            "expected_slot": "a",
            "min_strength": "better",
            "explanation": "A answers the question.",
            "back": "category=chat&page=1",
        },
        follow=True,
    )
    gold = GoldAnswer.objects.get(pair=p3)
    assert (gold.expected_slot, gold.min_strength, gold.source) == ("a", "better", "review")
    assert gold.explanation == "A answers the question." and gold.created_by == staff
    assert response.redirect_chain[-1][0].endswith(f"?category=chat&page=1#pair-{p3.pk}")
    assert f"Pair {p3.pk} is gold: A should win." in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.GOLD_MARKED).exists()


def test_staff_unmark_gold(staff_client, quality_data):
    p2 = quality_data.pairs[1]
    staff_client.post(reverse("quality:review-gold-unmark", args=[quality_data.batch.pk, p2.pk]))
    assert not GoldAnswer.objects.filter(pair=p2).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.GOLD_UNMARKED).exists()


def test_marking_gold_without_a_side_says_so_and_marks_nothing(staff_client, quality_data):
    p3 = quality_data.pairs[2]
    response = staff_client.post(
        reverse("quality:review-gold-mark", args=[quality_data.batch.pk, p3.pk]),
        {"min_strength": "better"},
        follow=True,
    )
    assert "say which response should win" in response.content.decode()
    assert not GoldAnswer.objects.filter(pair=p3).exists()


def test_a_pair_of_another_batch_is_a_404(staff_client, quality_data):
    other = pool_pair_ready(BatchFactory())
    response = staff_client.post(
        reverse("quality:review-gold-mark", args=[quality_data.batch.pk, other.pk]),
        {"expected_slot": "a", "min_strength": "better"},
    )
    assert response.status_code == 404


# Withdrawing


def test_staff_withdraw_one_judgment_with_a_reason(staff_client, staff, quality_data):
    one = Comparison.objects.get(pair=quality_data.pairs[0], annotator=quality_data.ann1)
    response = staff_client.post(
        reverse("quality:review-withdraw", args=[quality_data.batch.pk]),
        {"comparison": one.pk, "reason": "clicked too fast", "anchor": "pair-1"},
        follow=True,
    )
    one.refresh_from_db()
    assert one.withdrawn_by == staff and one.withdrawn_reason == "clicked too fast"
    assert "Withdrew 1 judgment from export." in response.content.decode()
    others = Comparison.objects.filter(annotator=quality_data.ann1, withdrawn_at__isnull=False)
    assert list(others) == [one]


def test_staff_withdraw_all_of_an_annotators_judgments_and_restore_them(staff_client, quality_data):
    batch, ann1 = quality_data.batch, quality_data.ann1
    response = staff_client.post(
        reverse("quality:review-withdraw", args=[batch.pk]),
        {"annotator": ann1.pk, "reason": "always A"},
        follow=True,
    )
    assert "Withdrew 3 judgments of q-ann1 from export." in response.content.decode()
    assert Comparison.objects.filter(annotator=ann1, withdrawn_at__isnull=False).count() == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.JUDGMENTS_WITHDRAWN)
    assert event.details["annotator_id"] == ann1.pk and event.details["count"] == 3

    response = staff_client.post(
        reverse("quality:review-restore", args=[batch.pk]), {"annotator": ann1.pk}, follow=True
    )
    assert "Restored 3 judgments of q-ann1 to export." in response.content.decode()
    assert not Comparison.objects.filter(annotator=ann1, withdrawn_at__isnull=False).exists()


def test_withdrawing_needs_a_reason(staff_client, quality_data):
    response = staff_client.post(
        reverse("quality:review-withdraw", args=[quality_data.batch.pk]),
        {"annotator": quality_data.ann1.pk, "reason": "  "},
        follow=True,
    )
    assert "Say why you withdraw" in response.content.decode()
    assert not Comparison.objects.filter(annotator=quality_data.ann1, withdrawn_by__isnull=False)


def test_withdrawing_a_judgment_of_another_batch_is_a_404(staff_client, quality_data, annotator):
    other = pool_pair_ready(BatchFactory())
    theirs = judge(other, annotator, chosen="a", strength="better", seconds=3)
    response = staff_client.post(
        reverse("quality:review-withdraw", args=[quality_data.batch.pk]),
        {"comparison": theirs.pk, "reason": "not yours"},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_the_back_value_only_ever_makes_a_query_string(staff_client, quality_data):
    response = staff_client.post(
        reverse("quality:review-withdraw", args=[quality_data.batch.pk]),
        {
            "annotator": quality_data.ann2.pk,
            "reason": "x",
            "back": "//evil.example/?a=1",
            "anchor": '"><script>',
        },
    )
    location = response["Location"]
    assert location.startswith(reverse("quality:review", args=[quality_data.batch.pk]) + "?")
    assert "#" not in location


def test_the_dashboard_and_the_manage_pages_link_to_it(staff_client, quality_data):
    batch = quality_data.batch
    link = f'href="{url(batch)}"'
    for page in (
        reverse("dashboards:batch", args=[batch.pk]),
        reverse("batch_manage:edit", args=[batch.pk]),
        reverse("batch_manage:list"),
    ):
        assert link in staff_client.get(page).content.decode(), page
