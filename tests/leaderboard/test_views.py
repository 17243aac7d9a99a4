"""The leaderboard pages and API: access, scope, cache reuse, and the page's figures."""

import re
from html import unescape

import numpy as np
import pytest
from django.urls import reverse

from apps.accounts.services import api_token_create
from apps.leaderboard.compute import ELO_PER_UNIT
from apps.leaderboard.models import LeaderboardRun
from apps.leaderboard.options import RankingOptions
from apps.leaderboard.services import leaderboard_run_request
from apps.leaderboard.tasks import leaderboard_run_task
from apps.preferences.models import Comparison
from apps.stats.ranking import bradley_terry_fit
from apps.stats.style_control import bradley_terry_controlled_fit
from tests.factories import UserFactory
from tests.leaderboard.conftest import judge, variant_batch

pytestmark = pytest.mark.django_db

STRENGTH_LEVEL = {
    "significantly_better": 3,
    "better": 2,
    "slightly_better": 1,
    "negligibly_better_or_unsure": 0,
}


@pytest.fixture
def batches():
    ab = variant_batch("alpha", "beta", iteration=1)
    bc = variant_batch("beta", "gamma", iteration=2)
    for i in range(5):
        judge(
            ab, chosen="a", strength="better", left="ab"[i % 2], texts=("long answer " * 3, "short")
        )
        judge(bc, chosen="ab"[i % 2], strength="slightly_better", left="a")
    judge(ab, chosen="b", strength="significantly_better", left="b")
    judge(bc, chosen="b", strength="negligibly_better_or_unsure", left="b")
    return [ab, bc]


def done_run(batches, user, **options) -> LeaderboardRun:
    run, _ = leaderboard_run_request(
        batch_ids=[b.pk for b in batches], options=RankingOptions(**options), user=user
    )
    leaderboard_run_task(run.pk)
    run.refresh_from_db()
    return run


def _cell(html: str, row_id: str, css: str) -> str:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert row, row_id
    return unescape(re.search(rf'<td class="{css}"[^>]*>(.*?)</td>', row[1], re.S)[1]).strip()


def _recomputed(options: dict) -> dict[str, dict[str, float]]:
    """The scores fitted again from the stored comparisons, mapped by hand (not by the app)."""
    rows = []
    for c in Comparison.objects.filter(withdrawn_at=None).select_related(
        "chosen", "rejected", "batch"
    ):
        a, b = (c.chosen, c.rejected) if c.chosen.slot == "a" else (c.rejected, c.chosen)
        level = STRENGTH_LEVEL[c.strength]
        outcome = 0 if level == 0 else (1 if c.chosen.slot == "a" else -1)
        rows.append(
            (
                a.variant.name,
                b.variant.name,
                outcome,
                level,
                c.left_id == a.pk,
                len(a.text),
                len(b.text),
            )
        )
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    code = {n: i for i, n in enumerate(names)}
    va = np.array([code[r[0]] for r in rows])
    vb = np.array([code[r[1]] for r in rows])
    y = np.array([r[2] for r in rows])
    w = np.array([(1 / 3, 1 / 3, 2 / 3, 1.0)[r[3]] for r in rows])
    if options.get("position_control"):
        fit = bradley_terry_controlled_fit(
            variant_a=va,
            variant_b=vb,
            outcome=y,
            weight=w,
            a_on_left=[r[4] for r in rows],
            n_boot=0,
        )
    else:
        fit = bradley_terry_fit(variant_a=va, variant_b=vb, outcome=y, weight=w, n_boot=0)
    scores = {n: {"score": fit.scores[code[n]]} for n in names}
    return scores | {"coefficients": fit.coefficients}


@pytest.mark.parametrize("options", [{}, {"position_control": True}])
def test_the_page_shows_the_figures_of_the_api_and_of_a_recomputation(
    staff_client, staff, batches, options
):
    run = done_run(batches, staff, bootstrap_rounds=10, **options)
    api = staff_client.get(reverse("leaderboard_api:run-detail", args=[run.pk])).json()
    page = staff_client.get(reverse("leaderboard:run", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and api["status"] == "done"
    recomputed = _recomputed(options)
    for v in api["result"]["variants"]:
        assert _cell(html, f"variant-{v['id']}", "score") == f"{v['score']:.3f}"
        assert _cell(html, f"variant-{v['id']}", "elo") == f"{v['elo']:.0f}"
        assert _cell(html, f"variant-{v['id']}", "comparisons") == str(v["comparisons"])
        assert v["score"] == pytest.approx(recomputed[v["name"]]["score"], abs=1e-6)
        assert v["elo"] == pytest.approx(1000 + ELO_PER_UNIT * v["score"])
    # Charts drawn: one point per variant, one heatmap cell per ordered pair.
    assert html.count('class="point"') == 3
    assert html.count('<g class="cell">') == 9
    assert html.count('class="movement-series') == 3
    if options:
        position = api["result"]["coefficients"]["position"]["value"]
        assert position == pytest.approx(recomputed["coefficients"]["position"], abs=1e-6)
        assert _cell(html, "coefficient-position", "value") == f"{position:.3f}"
    else:
        assert 'id="coefficients"' not in html
    assert "style=" not in html and "<style" not in html and "<script>" not in html


def test_a_queued_run_shows_its_progress_with_the_polling_script(staff_client, staff, batches):
    run, _ = leaderboard_run_request(
        batch_ids=[batches[0].pk], options=RankingOptions(), user=staff
    )
    html = staff_client.get(reverse("leaderboard:run", args=[run.pk])).content.decode()
    assert 'id="run-progress"' in html and "js/leaderboard_progress.js" in html
    assert f'data-progress-url="/api/leaderboard/runs/{run.pk}/"' in html


def test_the_form_makes_a_run_then_reuses_it(
    staff_client, batches, django_capture_on_commit_callbacks
):
    data = {"batches": [batches[0].pk], "strength_weighted": "on", "bootstrap_rounds": "5"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(reverse("leaderboard:index"), data)
    run = LeaderboardRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("leaderboard:run", args=[run.pk])
    assert len(callbacks) == 1  # the job, enqueued on commit
    assert list(run.batches.all()) == [batches[0]] and run.bootstrap_rounds == 5
    again = staff_client.post(reverse("leaderboard:index"), data, follow=True)
    assert LeaderboardRun.objects.count() == 1
    assert "its result is reused" in again.content.decode()
    index = staff_client.get(reverse("leaderboard:index")).content.decode()
    assert f'id="run-{run.pk}"' in index
    refused = staff_client.post(reverse("leaderboard:index"), {"bootstrap_rounds": "5000"})
    assert refused.status_code == 400 and LeaderboardRun.objects.count() == 1


def test_annotators_may_not_see_the_pages_or_the_api(client, staff, batches):
    run = done_run(batches, staff, bootstrap_rounds=0)
    client.force_login(UserFactory())
    assert client.get(reverse("leaderboard:index")).status_code == 403
    assert client.get(reverse("leaderboard:run", args=[run.pk])).status_code == 403
    assert client.get(reverse("leaderboard_api:run-detail", args=[run.pk])).status_code == 403
    assert (
        client.post(reverse("leaderboard_api:run-list"), {"batch_ids": [batches[0].pk]}).status_code
        == 403
    )


def test_the_api_makes_a_run_then_reuses_it(client, staff, batches):
    _, key = api_token_create(user=staff, name="full", read_only=False)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    body = {"batch_ids": [b.pk for b in batches], "bootstrap_rounds": 5, "length_control": True}
    first = client.post(
        reverse("leaderboard_api:run-list"), body, content_type="application/json", **auth
    )
    assert first.status_code == 201 and first.json()["status"] == "queued"
    assert first.json()["batch_ids"] == sorted(b.pk for b in batches)
    again = client.post(
        reverse("leaderboard_api:run-list"), body, content_type="application/json", **auth
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    leaderboard_run_task(first.json()["id"])
    detail = client.get(
        reverse("leaderboard_api:run-detail", args=[first.json()["id"]]), **auth
    ).json()
    assert detail["status"] == "done" and set(detail["result"]["coefficients"]) == {"length"}


def test_a_scoped_token_ranks_and_reads_only_its_batches(client, staff, batches):
    ab, bc = batches
    _, key = api_token_create(user=staff, name="ab only", read_only=False, batch_ids=[ab.pk])
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    url = reverse("leaderboard_api:run-list")
    both = {"batch_ids": [ab.pk, bc.pk]}
    assert client.post(url, both, content_type="application/json", **auth).status_code == 404
    assert (
        client.post(
            url, {"batch_ids": [ab.pk]}, content_type="application/json", **auth
        ).status_code
        == 201
    )
    assert LeaderboardRun.objects.count() == 1
    other = done_run(batches, staff, bootstrap_rounds=0)
    assert (
        client.get(reverse("leaderboard_api:run-detail", args=[other.pk]), **auth).status_code
        == 404
    )
    _, read_only = api_token_create(user=staff, name="ro", read_only=True)
    ro = {"HTTP_AUTHORIZATION": f"Token {read_only}"}
    assert (
        client.post(url, {"batch_ids": [ab.pk]}, content_type="application/json", **ro).status_code
        == 403
    )
    assert (
        client.get(reverse("leaderboard_api:run-detail", args=[other.pk]), **ro).status_code == 200
    )


def test_the_endpoints_are_in_the_openapi_schema(staff_client):
    schema = staff_client.get(reverse("exports:schema"), {"format": "json"}).content.decode()
    assert "/api/leaderboard/runs/" in schema and "/api/leaderboard/runs/{run_id}/" in schema
