"""A token's batch scope: stored so it can only shrink, and applied by every API view."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.selectors import api_token_batch_scope
from apps.accounts.services import api_token_create
from apps.batches.models import Batch
from tests.exports.conftest import judge
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True)


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_an_unscoped_token_has_no_scope(staff):
    token, _ = api_token_create(user=staff, name="all")
    assert api_token_batch_scope(token=token) is None
    assert api_token_batch_scope(token=None) is None


def test_a_scoped_token_keeps_its_batches(staff):
    kept, gone = BatchFactory(), BatchFactory()
    token, _ = api_token_create(user=staff, name="two", batch_ids=[kept.pk, gone.pk])
    gone.delete()
    assert set(api_token_batch_scope(token=token)) == {kept.pk}


def test_a_scoped_token_whose_batches_were_deleted_has_an_empty_scope(staff):
    gone = BatchFactory()
    token, _ = api_token_create(user=staff, name="one", batch_ids=[gone.pk])
    gone.delete()
    assert list(api_token_batch_scope(token=token)) == []


def test_a_token_whose_batches_were_deleted_reads_nothing_anywhere(staff, annotator):
    """The widening bug: an empty scope used to read as "no limit"."""
    readable = BatchFactory(created_by=staff)
    judge(batch=readable, annotator=annotator)
    pool_pair_ready(readable)
    gone = BatchFactory(created_by=staff)
    _, key = api_token_create(user=staff, name="gone", read_only=False, batch_ids=[gone.pk])
    _, full_key = api_token_create(user=staff, name="full", read_only=False)
    full = _client(full_key)
    full.post("/api/exports/jobs/", {}, format="json")
    Batch.objects.filter(pk=gone.pk).delete()
    client = _client(key)

    assert client.get("/api/batches/").json()["results"] == []
    assert client.get(f"/api/batches/{readable.pk}/").status_code == 404
    assert client.get("/api/comparisons/").json()["results"] == []
    assert b"".join(client.get("/api/exports/stream/").streaming_content) == b""
    assert client.get("/api/exports/card/").json()["rows"] == 0
    assert client.get("/api/exports/jobs/").json() == []
    assert client.post(f"/api/queue/batches/{readable.pk}/claim/").status_code == 404
    assert client.get("/api/queue/leases/").json() == []


def test_the_queue_api_lists_only_leases_within_the_scope(staff):
    mine, elsewhere = BatchFactory(), BatchFactory()
    pool_pair_ready(mine)
    pool_pair_ready(elsewhere)
    _, key = api_token_create(user=staff, name="all", read_only=False)
    client = _client(key)
    held = client.post(f"/api/queue/batches/{mine.pk}/claim/").json()["id"]
    client.post(f"/api/queue/batches/{elsewhere.pk}/claim/")
    _, scoped_key = api_token_create(user=staff, name="mine", batch_ids=[mine.pk])
    scoped = _client(scoped_key)
    assert [lease["id"] for lease in scoped.get("/api/queue/leases/").json()] == [held]
