"""The quality page and its staff actions: who may use them, what they show, what they do."""

import re

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.batches.models import AnnotatorFlag
from tests.quality.conftest import judge

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


def _page(batch_id):
    return reverse("quality:batch", kwargs={"batch_id": batch_id})


def _lift(batch_id, flag_id):
    return reverse("quality:flag-lift", kwargs={"batch_id": batch_id, "flag_id": flag_id})


def test_it_sends_anonymous_users_to_the_login_page(client, batch):
    response = client.get(_page(batch.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_annotators_with_403(client, quality_data):
    client.force_login(quality_data.ann1)
    assert client.get(_page(quality_data.batch.pk)).status_code == 403
    response = client.post(_lift(quality_data.batch.pk, quality_data.flag.pk))
    assert response.status_code == 403
    assert AnnotatorFlag.objects.get(pk=quality_data.flag.pk).lifted_at is None


def test_staff_get_404_for_a_missing_batch(client, staff):
    client.force_login(staff)
    assert client.get(_page(999_999)).status_code == 404


def test_an_empty_batch_says_there_is_nothing_to_measure(client, staff, batch):
    client.force_login(staff)
    response = client.get(_page(batch.pk))
    assert response.status_code == 200
    assert b"Nothing to measure yet" in response.content
    assert b'id="annotator-table"' not in response.content


def test_it_shows_the_headline_figures_tables_charts_and_outliers(client, staff, quality_data):
    client.force_login(staff)
    response = client.get(_page(quality_data.batch.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="figure-side">66\.7%<', html)
    assert re.search(r'id="figure-ac2">0\.56<', html)  # 894/1596
    assert re.search(r'id="figure-alpha">0\.75<', html)  # 71/95
    assert 'id="by-week"' in html and 'id="by-category"' in html and 'id="by-track"' in html
    for chart in ("chart-weeks", "chart-left-share", "chart-speed"):
        assert f'id="{chart}"' in html
    assert 'data-annotator="q-ann3"' in html
    assert "state-paused" in html
    # The page passes the CSP: no inline style or script.
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert reverse("dashboards:batch", kwargs={"batch_id": quality_data.batch.pk}) in html


def test_it_highlights_an_outlier(client, staff, db):
    from tests.factories import BatchFactory, UserFactory, pool_pair_ready

    batch = BatchFactory(overlap=1)
    people = [UserFactory(username=f"o{i}") for i in range(8)]
    pairs = [pool_pair_ready(batch, prompt=f"P{i}") for i in range(12)]
    for index, person in enumerate(people):
        for number, pair in enumerate(pairs):
            chosen = "a" if index == 7 or (number + index) % 2 else "b"
            judge(pair, person, chosen=chosen, strength="better", seconds=20)
    client.force_login(staff)
    html = client.get(_page(batch.pk)).content.decode()
    row = re.search(r'<tr class="has-outlier[^"]*" data-annotator="o7">(.*?)</tr>', html, re.S)
    assert row and 'class="outlier"' in row.group(1)
    assert 'data-annotator="o0"' in html and '<tr class="" data-annotator="o0">' in html


def test_usernames_and_reasons_are_escaped(client, staff, quality_data):
    AnnotatorFlag.objects.filter(pk=quality_data.flag.pk).update(reason=HOSTILE)
    client.force_login(staff)
    html = client.get(_page(quality_data.batch.pk)).content.decode()
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_staff_lift_a_pause_and_it_is_audited(client, staff, quality_data):
    client.force_login(staff)
    response = client.post(_lift(quality_data.batch.pk, quality_data.flag.pk), {"note": "talked"})
    assert response.status_code == 302
    flag = AnnotatorFlag.objects.get(pk=quality_data.flag.pk)
    assert flag.lifted_at is not None and flag.lifted_by == staff and flag.lift_note == "talked"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FLAG_LIFTED, actor=staff).exists()
    html = client.get(_page(quality_data.batch.pk)).content.decode()
    assert "No annotator is flagged on this batch." in html


def test_a_flag_of_another_batch_cannot_be_lifted_from_this_page(client, staff, quality_data):
    from tests.factories import BatchFactory

    other = BatchFactory()
    client.force_login(staff)
    assert client.post(_lift(other.pk, quality_data.flag.pk)).status_code == 404
    assert AnnotatorFlag.objects.get(pk=quality_data.flag.pk).lifted_at is None


def test_lifting_needs_a_post(client, staff, quality_data):
    client.force_login(staff)
    assert client.get(_lift(quality_data.batch.pk, quality_data.flag.pk)).status_code == 405


def test_staff_pause_an_annotator(client, staff, quality_data):
    client.force_login(staff)
    url = reverse("quality:pause", kwargs={"batch_id": quality_data.batch.pk})
    response = client.post(url, {"annotator": quality_data.ann1.pk, "reason": "too fast"})
    assert response.status_code == 302
    flag = AnnotatorFlag.objects.get(annotator=quality_data.ann1, lifted_at__isnull=True)
    assert flag.pauses_work and flag.flagged_by == staff and flag.reason == "too fast"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ANNOTATOR_PAUSED).exists()


def test_only_someone_who_judged_here_can_be_paused(client, staff, quality_data):
    client.force_login(staff)
    url = reverse("quality:pause", kwargs={"batch_id": quality_data.batch.pk})
    client.post(url, {"annotator": staff.pk, "reason": "nope"})
    assert not AnnotatorFlag.objects.filter(annotator=staff).exists()


@pytest.mark.parametrize(
    "page", ["dashboards:batch", "batch_manage:edit"], ids=["dashboard", "manage"]
)
def test_the_batch_dashboard_and_manage_page_link_to_it(client, staff, batch, page):
    client.force_login(staff)
    html = client.get(reverse(page, kwargs={"batch_id": batch.pk})).content.decode()
    assert _page(batch.pk) in html
