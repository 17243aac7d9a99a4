import io
import json

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.test import Client

from apps.accounts.services import api_token_create
from apps.evaluation.figures import study_results
from apps.evaluation.selectors import study_variant_list
from tests.factories import BatchFactory

from .conftest import rate

pytestmark = pytest.mark.django_db


def _rated(study, raters):
    for n, item in enumerate(study.items.order_by("pk")):
        for m, rater in enumerate(raters):
            rate(item, rater, 1 + (n + m) % (5 if study.is_safety else 7), a_on_left=m % 2 == 0)


def _staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _recomputed(study, rows):
    names = {v.pk: v.name for v in study_variant_list(study=study)}
    return study_results(
        kind=study.kind, rows=rows, names=names, n_boot=settings.EVALUATION_BOOTSTRAP_ROUNDS
    )


@pytest.mark.parametrize("which", ["sbs_study", "safety_study"])
def test_the_published_figures_equal_a_recomputation_from_the_exported_ratings(
    which, request, raters, staff
):
    study = request.getfixturevalue(which)
    _rated(study, raters)
    client = _staff_client(staff)
    published = client.get(f"/api/evaluation/studies/{study.pk}/").json()
    jsonl = b"".join(
        client.get(f"/api/evaluation/studies/{study.pk}/ratings.jsonl").streaming_content
    )
    rows = [json.loads(line) for line in jsonl.splitlines()]
    assert len(rows) == published["ratings"] == 3 * study.items.count()
    from_jsonl = _recomputed(study, rows)
    parquet = client.get(f"/api/evaluation/studies/{study.pk}/ratings.parquet").content
    from_parquet = _recomputed(study, pq.read_table(io.BytesIO(parquet)).to_pylist())
    for recomputed in (from_jsonl, from_parquet):
        assert {"study": study.pk, "name": study.name} | recomputed == published
    key = "violations" if study.is_safety else "win_rates"
    assert published[key], "the figures compared must not be empty"


def test_a_token_scoped_to_another_batch_gets_a_404_and_annotators_a_403(sbs_study, staff, raters):
    other = BatchFactory(name="Elsewhere")
    _, key = api_token_create(user=staff, name="t", read_only=True, batch_ids=[other.pk])
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    for tail in ("", "ratings.jsonl", "ratings.parquet"):
        assert client.get(f"/api/evaluation/studies/{sbs_study.pk}/{tail}").status_code == 404
    _, own = api_token_create(
        user=staff, name="own", read_only=True, batch_ids=[sbs_study.source_batch_id]
    )
    scoped = Client(HTTP_AUTHORIZATION=f"Token {own}")
    assert scoped.get(f"/api/evaluation/studies/{sbs_study.pk}/").status_code == 200
    annotator = Client()
    annotator.force_login(raters[0])
    assert annotator.get(f"/api/evaluation/studies/{sbs_study.pk}/").status_code == 403


def test_the_endpoints_are_in_the_openapi_schema(staff):
    schema = _staff_client(staff).get("/api/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    for path in (
        "/api/evaluation/studies/{study_id}/",
        "/api/evaluation/studies/{study_id}/ratings.jsonl",
        "/api/evaluation/studies/{study_id}/ratings.parquet",
    ):
        assert path in text
    assert "StudyResultsOutput" in text
