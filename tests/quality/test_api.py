"""GET /api/quality/batches/<id>/: the quality page's figures for staff, NaN as null."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from apps.accounts.services import api_token_create
from tests.factories import BatchFactory

pytestmark = pytest.mark.django_db


def _url(batch_id):
    return reverse("quality_api:batch", kwargs={"batch_id": batch_id})


def _token(user, **kwargs):
    return {"HTTP_AUTHORIZATION": f"Token {api_token_create(user=user, name='t', **kwargs)[1]}"}


def test_staff_get_the_figures_through_a_token(client, staff, quality_data):
    response = client.get(_url(quality_data.batch.pk), **_token(staff))
    assert response.status_code == 200
    data = response.json()
    assert data["judgments"] == 6 and data["shared_pairs"] == 2
    assert data["overall"]["side"]["value"] == pytest.approx(2 / 3)
    assert data["overall"]["ac2"]["value"] == pytest.approx(894 / 1596)
    assert data["overall"]["alpha"]["value"] == pytest.approx(71 / 95)
    assert [row["label"] for row in data["by_category"]] == ["code"]
    people = {row["username"]: row for row in data["per_annotator"]}
    assert people["q-ann1"]["left_share"] == pytest.approx(2 / 3)
    assert people["q-ann3"]["state"] == "paused"
    assert people["q-ann3"]["flag_id"] == quality_data.flag.pk
    assert people["q-ann1"]["flag_id"] is None
    assert data["flags"][0]["username"] == "q-ann3"
    assert data["gold"] == {
        "n": 2,
        "correct": 2,
        "accuracy": 1.0,
        "low": pytest.approx(0.3424, abs=1e-4),
        "high": 1.0,
        "qualification_n": 1,
        "qualification_correct": 0,
    }


def test_unmeasurable_figures_are_null(client, staff, quality_data):
    data = client.get(_url(quality_data.batch.pk), **_token(staff)).json()
    ann3 = next(row for row in data["per_annotator"] if row["username"] == "q-ann3")
    assert ann3["gold_accuracy"] is None  # no work gold judgment
    assert ann3["agreement_ac2_low"] is None  # one shared pair: no interval


def test_an_empty_batch_answers_with_nulls_not_errors(client, staff, batch):
    client.force_login(staff)
    data = client.get(_url(batch.pk)).json()
    assert data["judgments"] == 0
    assert data["overall"]["ac2"] == {"value": None, "low": None, "high": None, "n": 0}
    assert data["per_annotator"] == []


def test_annotators_are_refused(client, quality_data):
    response = client.get(_url(quality_data.batch.pk), **_token(quality_data.ann1))
    assert response.status_code == 403


def test_anonymous_requests_are_refused(client, quality_data):
    assert client.get(_url(quality_data.batch.pk)).status_code in (401, 403)


def test_a_scoped_token_reaches_only_its_batches(client, staff, quality_data):
    other = BatchFactory()
    headers = _token(staff, batch_ids=[other.pk])
    assert client.get(_url(quality_data.batch.pk), **headers).status_code == 404
    assert client.get(_url(other.pk), **headers).status_code == 200


def test_a_missing_batch_is_404(client, staff):
    assert client.get(_url(999_999), **_token(staff)).status_code == 404


def test_the_schema_documents_the_endpoint():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/quality/batches/{batch_id}/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][name]["properties"]
    assert {"overall", "by_week", "per_annotator", "flags", "gold"} <= set(properties)
