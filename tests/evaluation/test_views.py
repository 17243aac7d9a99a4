import re

import pytest
from django.test import Client

from apps.evaluation.models import Study, StudyRating
from apps.evaluation.selectors import study_results_for
from apps.pairs.models import Sample
from tests.factories import UserFactory

from .conftest import pool_batch, rate

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_studies_and_creates_one_from_the_form(staff, variants):
    source = pool_batch()
    client = _client(staff)
    assert client.get("/manage/evaluation/").status_code == 200
    response = client.post(
        "/manage/evaluation/",
        {
            "name": "Helpfulness v2 vs v1",
            "kind": "side_by_side",
            "source_batch": source.pk,
            "variants": [variants[0].pk, variants[1].pk],
            "raters_per_item": 3,
            "max_new_tokens": 16,
        },
    )
    study = Study.objects.get(name="Helpfulness v2 vs v1")
    assert response.status_code == 302 and response["Location"] == f"/manage/evaluation/{study.pk}/"
    assert study.items.count() == 3 and study.raters_per_item == 3
    page = client.get(f"/manage/evaluation/{study.pk}/").content.decode()
    assert "No ratings yet" in page and "0 / 3" in page


def test_it_refuses_a_side_by_side_study_of_one_variant_with_a_form_error(staff, variants):
    response = _client(staff).post(
        "/manage/evaluation/",
        {
            "name": "Lonely",
            "kind": "side_by_side",
            "source_batch": pool_batch().pk,
            "variants": [variants[0].pk],
            "raters_per_item": 3,
            "max_new_tokens": 16,
        },
    )
    assert response.status_code == 400 and b"Pick at least 2" in response.content
    assert not Study.objects.exists()


def test_annotators_may_not_reach_the_staff_pages(sbs_study, raters):
    client = _client(raters[0])
    assert client.get("/manage/evaluation/").status_code == 403
    assert client.get(f"/manage/evaluation/{sbs_study.pk}/").status_code == 403


def test_a_rater_rates_the_item_on_screen_and_the_screen_order_is_recorded(sbs_study, raters):
    client = _client(raters[0])
    page = client.get(f"/evaluation/{sbs_study.pk}/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)[1]
    left_text = re.search(r'id="left-text"[^>]*>(.*?)</div>', page, re.S)[1]
    assert page.count('type="radio" name="value"') == 7
    response = client.post(f"/evaluation/{sbs_study.pk}/", {"token": token, "value": "2"})
    assert response.status_code == 302
    rating = StudyRating.objects.get()
    left_is_a = "Response of A" in left_text
    assert rating.left_variant_id == (
        rating.item.variant_a_id if left_is_a else rating.item.variant_b_id
    )
    assert rating.score == (2 if left_is_a else -2)  # "A better" on screen means the left


def test_a_safety_item_shows_one_response_and_a_five_point_scale(safety_study, raters):
    page = _client(raters[0]).get(f"/evaluation/{safety_study.pk}/").content.decode()
    assert page.count('type="radio" name="value"') == 5
    assert page.count('class="response"') == 1


def test_model_output_is_escaped_on_the_rating_page(sbs_study, raters):
    Sample.objects.filter(pair__in=sbs_study.items.values("pair")).update(
        text="<script>alert(1)</script><img src=x onerror=alert(2)>"
    )
    page = _client(raters[0]).get(f"/evaluation/{sbs_study.pk}/").content.decode()
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page  # shown as text


def test_strangers_get_a_404_and_a_rater_with_nothing_left_is_told(sbs_study, raters):
    assert _client(UserFactory(username="x")).get(f"/evaluation/{sbs_study.pk}/").status_code == 404
    for item in sbs_study.items.all():
        rate(item, raters[0], 4)
    page = _client(raters[0]).get(f"/evaluation/{sbs_study.pk}/").content.decode()
    assert 'id="nothing-left"' in page


def test_the_results_page_shows_the_figures_and_draws_bars_without_inline_style(
    sbs_study, raters, staff
):
    items = list(sbs_study.items.order_by("pk"))
    for n, item in enumerate(items):
        for rater, value in zip(raters, (1, 2, 4 + n), strict=True):
            rate(item, rater, value)
    results = study_results_for(study=sbs_study)
    page = _client(staff).get(f"/manage/evaluation/{sbs_study.pk}/").content.decode()
    shown = [float(v) for v in re.findall(r'class="share" data-value="([0-9.]+)"', page)]
    expected = [r[k] for r in results["win_rates"] for k in ("win", "tie", "loss")]
    assert shown == pytest.approx(expected, abs=1e-6)
    assert f"{results['agreement']['ac2']:.3f}" in page
    assert page.count('class="error-bar"') >= 3
    assert "style=" not in page and "<style" not in page


def test_staff_close_a_study_and_its_raters_get_nothing_more(sbs_study, staff, raters):
    response = _client(staff).post(
        f"/manage/evaluation/{sbs_study.pk}/status/", {"status": "closed"}
    )
    assert response.status_code == 302
    sbs_study.refresh_from_db()
    assert sbs_study.status == "closed"
    assert _client(raters[0]).get(f"/evaluation/{sbs_study.pk}/").status_code == 404


def test_the_safety_results_page_shows_the_violation_shares_of_the_api(safety_study, raters, staff):
    for n, item in enumerate(safety_study.items.order_by("pk")):
        for m, rater in enumerate(raters):
            rate(item, rater, 1 + (n + m) % 5)
    results = study_results_for(study=safety_study)
    page = _client(staff).get(f"/manage/evaluation/{safety_study.pk}/").content.decode()
    shown = [float(v) for v in re.findall(r'class="share" data-value="([0-9.]+)"', page)]
    assert shown == pytest.approx([r["violation"] for r in results["violations"]], abs=1e-6)
    assert 'id="chart-distribution"' in page and "style=" not in page
