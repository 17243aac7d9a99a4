"""The dashboard page and its panel fragment: who may see them, what they show, escaping."""

import re

import pytest
from django.urls import reverse

from apps.accounts.services import api_token_create
from tests.dashboards.rows import comparison_make, lease_make, pool_pair_make, slot_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'
ROUTES = ("dashboards:batch", "dashboards:panel")


def _url(name, batch_id):
    return reverse(name, kwargs={"batch_id": batch_id})


@pytest.mark.parametrize("name", ROUTES)
def test_it_sends_anonymous_users_to_the_login_page(client, batch, name):
    response = client.get(_url(name, batch.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ROUTES)
def test_it_refuses_annotators_with_403_even_when_assigned(client, batch, annotator, name):
    batch.open_to_all_annotators = False
    batch.save()
    batch.annotators.add(annotator)
    comparison_make(batch=batch, annotator=annotator)
    client.force_login(annotator)

    assert client.get(_url(name, batch.pk)).status_code == 403


@pytest.mark.parametrize("name", ROUTES)
def test_it_refuses_annotators_the_same_way_for_a_missing_batch(client, annotator, name):
    client.force_login(annotator)

    assert client.get(_url(name, 999_999)).status_code == 403


@pytest.mark.parametrize("name", ROUTES)
def test_an_api_token_does_not_open_the_pages(client, batch, staff, name):
    _, key = api_token_create(user=staff, name="full", read_only=False)

    response = client.get(_url(name, batch.pk), HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 302


@pytest.mark.parametrize("name", ROUTES)
def test_staff_get_404_for_a_missing_batch(client, staff, name):
    client.force_login(staff)

    assert client.get(_url(name, 999_999)).status_code == 404


@pytest.mark.parametrize("name", ROUTES)
def test_it_only_answers_get(client, batch, staff, name):
    client.force_login(staff)

    assert client.post(_url(name, batch.pk)).status_code == 405


def test_staff_see_the_page_with_its_refresh_settings_and_script(client, batch, staff, settings):
    settings.DASHBOARD_REFRESH_SECONDS = 7
    client.force_login(staff)

    response = client.get(_url("dashboards:batch", batch.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-refresh-seconds="7"' in html
    assert f'data-panel-url="{_url("dashboards:panel", batch.pk)}"' in html
    assert "js/dashboard.js" in html
    assert 'id="dashboard-stale"' in html and "hidden" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_panel_is_a_fragment_with_the_current_figures(client, batch, staff, annotator):
    batch.target_comparisons = 10
    batch.save()
    for _ in range(3):
        comparison_make(batch=batch, annotator=annotator)
    pool_pair_make(batch=batch, ready=False, failed=True)
    client.force_login(staff)

    response = client.get(_url("dashboards:panel", batch.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<body" not in html
    assert re.search(r'id="figure-judged">3<', html)
    assert re.search(r'id="figure-target">10<', html)
    assert re.search(r'id="figure-outstanding">7<', html)
    assert re.search(r'id="figure-pairs-failed">1<', html)
    assert re.search(r'id="figure-pairs-ready">3<', html)


def test_the_charts_are_accessible_svg_bars_with_numbers(client, batch, staff, annotator):
    comparison_make(batch=batch, annotator=annotator, strength="slightly_better")
    client.force_login(staff)

    html = client.get(_url("dashboards:panel", batch.pk)).content.decode()

    assert html.count("<svg") == 7  # progress, pairs, slots, strength, per day, 2 x annotators
    assert len(re.findall(r'<svg class="chart-svg" role="img" aria-labelledby="[^"]+"', html)) == 7
    bar = re.search(
        r'<g class="bar" data-label="Slightly better" data-value="1">\s*'
        r"<title>Slightly better: 1</title>.*?"
        r'<rect class="bar-fill bar-2" x="190" y="52" width="300" height="16">',
        html,
        re.S,
    )
    assert bar, "the only judged strength fills the plot width"


def test_a_safety_batch_shows_its_bins_next_to_the_papers_split(
    client, safety_batch, staff, annotator
):
    comparison_make(
        batch=safety_batch, annotator=annotator, chosen_is_safe=False, rejected_is_safe=False
    )
    client.force_login(staff)

    html = client.get(_url("dashboards:panel", safety_batch.pk)).content.decode()

    assert 'id="safety-bins"' in html
    assert "<title>Both unsafe: 100% (paper: 35%)</title>" in html
    assert "<title>Chosen safe, other unsafe: 0% (paper: 18%)</title>" in html
    assert "<title>Both safe: 0% (paper: 47%)</title>" in html


def test_a_helpfulness_batch_has_no_safety_bins(client, batch, staff, annotator):
    comparison_make(batch=batch, annotator=annotator)
    client.force_login(staff)

    html = client.get(_url("dashboards:panel", batch.pk)).content.decode()

    assert 'id="safety-bins"' not in html and "paper" not in html


def test_hostile_usernames_notes_and_skip_reasons_stay_text(client, batch, staff):
    villain = UserFactory(username="v" * 3 + HOSTILE[:140])
    comparison_make(batch=batch, annotator=villain)
    slot = slot_make(pair=pool_pair_make(batch=batch), index=0)
    lease_make(
        slot=slot, annotator=villain, status="flagged", flag_reason="harmful", flag_note=HOSTILE
    )
    lease_make(slot=slot, annotator=UserFactory(), status="skipped", skip_reason=HOSTILE)
    client.force_login(staff)

    for name in ROUTES:
        html = client.get(_url(name, batch.pk)).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_has_no_inline_script_style_or_handlers(client, safety_batch, staff, annotator):
    comparison_make(batch=safety_batch, annotator=annotator)
    client.force_login(staff)

    html = client.get(_url("dashboards:batch", safety_batch.pk)).content.decode()

    assert not re.search(r"\sstyle=", html)
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


@pytest.mark.parametrize("name", ROUTES)
def test_it_checks_who_is_asking_before_the_method(client, batch, annotator, name):
    assert client.post(_url(name, batch.pk)).status_code == 302
    client.force_login(annotator)
    assert client.post(_url(name, batch.pk)).status_code == 403
