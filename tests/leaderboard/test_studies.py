"""Side-by-side evaluation studies on the leaderboard: their 7-point ratings count as
comparisons, alone or with preference batches, and a new rating is a new run."""

import pytest
from django.urls import reverse

from apps.accounts.services import api_token_create
from apps.evaluation.models import Study
from apps.evaluation.services import study_create
from apps.leaderboard.options import RankingOptions
from apps.leaderboard.services import leaderboard_run_request
from apps.leaderboard.tasks import leaderboard_run_task
from tests.evaluation.conftest import pool_batch, rate, study_generated
from tests.factories import ModelVariantFactory, UserFactory
from tests.leaderboard.conftest import judge, variant_batch

pytestmark = pytest.mark.django_db

MUCH_BETTER_ON_THE_LEFT, TIE = 1, 4  # screen values of the 7-point scale


def _study(staff, variants, raters, *, kind=Study.Kind.SIDE_BY_SIDE, name="SxS"):
    study = study_create(
        name=name,
        kind=kind,
        source_batch=pool_batch(name=f"{name} pool"),
        variants=variants,
        created_by=staff,
        raters=raters,
        max_new_tokens=8,
    )
    study_generated(study)
    return study


def _request(staff, *, batches=(), studies=()):
    return leaderboard_run_request(
        batch_ids=[b.pk for b in batches],
        study_ids=[s.pk for s in studies],
        options=RankingOptions(bootstrap_rounds=0),
        user=staff,
    )


def _done(run):
    assert leaderboard_run_task(run.pk) == "done"
    run.refresh_from_db()
    return {v["name"]: v for v in run.result["variants"]}


def test_a_study_alone_is_ranked_from_its_ratings(staff):
    variants = [ModelVariantFactory(name=name) for name in ("first", "second")]
    raters = [UserFactory(username=f"rater{n}") for n in range(3)]
    study = _study(staff, variants, raters)
    items = list(study.items.order_by("pk"))
    for item in items:  # A (first) shown left and much better, by two raters
        for rater in raters[:2]:
            rate(item, rater, MUCH_BETTER_ON_THE_LEFT, a_on_left=True)

    run, created = _request(staff, studies=[study])
    scores = _done(run)

    assert created and run.comparisons == 2 * len(items)
    assert scores["first"]["score"] > 0 > scores["second"]["score"]
    assert scores["first"]["comparisons"] == 2 * len(items)


def test_a_study_and_a_batch_are_ranked_together(staff):
    batch = variant_batch("alpha", "beta", iteration=1)
    for _ in range(3):
        judge(batch, chosen="b", strength="significantly_better")  # beta beats alpha
    alpha, beta = batch.sampling_a.variant, batch.sampling_b.variant
    raters = [UserFactory(username=f"rater{n}") for n in range(2)]
    study = _study(staff, [alpha, beta], raters)
    for item in study.items.all():
        rate(item, raters[0], TIE)

    run, _ = _request(staff, batches=[batch], studies=[study])
    scores = _done(run)

    assert run.comparisons == 3 + study.items.count()
    assert scores["beta"]["score"] > scores["alpha"]["score"]
    assert run.result["ties"] == study.items.count()


def test_a_new_rating_is_a_new_run_and_nothing_new_reuses_it(staff):
    variants = [ModelVariantFactory(name=name) for name in ("first", "second")]
    raters = [UserFactory(username=f"rater{n}") for n in range(2)]
    study = _study(staff, variants, raters)
    item = study.items.order_by("pk").first()
    rate(item, raters[0], MUCH_BETTER_ON_THE_LEFT)
    first, _ = _request(staff, studies=[study])

    assert _request(staff, studies=[study]) == (first, False)
    rate(item, raters[1], TIE)
    second, created = _request(staff, studies=[study])
    assert created and second.pk != first.pk


def test_a_run_needs_a_batch_or_a_study(staff):
    with pytest.raises(ValueError, match="at least one batch or study"):
        _request(staff)


def test_a_safety_study_gives_nothing_to_rank(staff):
    variants = [ModelVariantFactory(name=name) for name in ("first", "second")]
    raters = [UserFactory(username="rater")]
    study = _study(staff, variants, raters, kind=Study.Kind.SAFETY, name="Safety")
    rate(study.items.first(), raters[0], 2)

    run, _ = _request(staff, studies=[study])

    assert leaderboard_run_task(run.pk) == "failed"
    run.refresh_from_db()
    assert "no side-by-side rating" in run.error


def test_the_api_ranks_a_study_within_the_tokens_scope(client, staff):
    variants = [ModelVariantFactory(name=name) for name in ("first", "second")]
    rater = UserFactory(username="rater")
    study = _study(staff, variants, [rater])
    rate(study.items.first(), rater, MUCH_BETTER_ON_THE_LEFT)
    other = variant_batch("alpha", "beta")
    url = reverse("leaderboard_api:run-list")
    _, key = api_token_create(user=staff, name="all", read_only=False)
    _, scoped = api_token_create(
        user=staff, name="other only", read_only=False, batch_ids=[other.pk]
    )

    def post(body, token):
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
        return client.post(url, body, content_type="application/json", **headers)

    made = post({"study_ids": [study.pk]}, key)
    assert made.status_code == 201
    assert made.json()["study_ids"] == [study.pk] and made.json()["batch_ids"] == []
    assert post({"study_ids": [study.pk]}, scoped).status_code == 404  # its batch is not in scope
    assert post({}, key).status_code == 400
    detail = reverse("leaderboard_api:run-detail", args=[made.json()["id"]])
    assert client.get(detail, HTTP_AUTHORIZATION=f"Token {scoped}").status_code == 404
