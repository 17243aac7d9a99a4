import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from apps.accounts.models import ApiToken
from apps.accounts.selectors import api_key_hash, api_token_for_key
from apps.accounts.services import api_token_create, api_token_revoke, api_token_touch
from tests.factories import BatchFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def researcher(db):
    return UserFactory(username="researcher", is_staff=True)


def test_it_stores_only_a_hash_of_the_key(researcher):
    token, key = api_token_create(user=researcher, name="laptop")
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == api_key_hash(key)
    assert key.startswith(stored.prefix)


def test_it_authenticates_with_token_or_bearer_and_records_use(client, researcher):
    token, key = api_token_create(user=researcher, name="laptop")
    for scheme in ("Token", "Bearer"):
        response = client.get("/api/batches/", HTTP_AUTHORIZATION=f"{scheme} {key}")
        assert response.status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_it_rejects_revoked_tokens_and_inactive_users(client, researcher):
    token, key = api_token_create(user=researcher, name="old")
    api_token_revoke(token=token)
    assert client.get("/api/batches/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    _, other_key = api_token_create(user=researcher, name="new")
    researcher.is_active = False
    researcher.save()
    assert api_token_for_key(key=other_key) is None
    assert client.get("/api/batches/", HTTP_AUTHORIZATION=f"Token {other_key}").status_code == 401


def test_it_rejects_malformed_headers(client):
    assert client.get("/api/batches/", HTTP_AUTHORIZATION="Token").status_code == 401
    assert client.get("/api/batches/", HTTP_AUTHORIZATION="Token a b").status_code == 401


def test_a_session_still_works_for_the_browsable_api(client, researcher):
    client.force_login(researcher)
    assert client.get("/api/batches/").status_code == 200


def test_a_scoped_token_lists_only_its_batches(client, researcher):
    mine, _ = BatchFactory(), BatchFactory()
    _, key = api_token_create(user=researcher, name="scoped", batch_ids=[mine.pk])
    data = client.get("/api/batches/", HTTP_AUTHORIZATION=f"Token {key}").json()
    assert [b["id"] for b in data["results"]] == [mine.pk]


def test_the_command_prints_a_working_key(client, researcher, capsys):
    batch = BatchFactory()
    call_command("api_token_create", user="researcher", batch=[batch.pk], write=True)
    key = capsys.readouterr().out.strip()
    token = api_token_for_key(key=key)
    assert token is not None and not token.read_only
    assert list(token.batches.all()) == [batch]


def test_a_recently_used_token_costs_no_write(annotator, django_assert_num_queries):
    _, key = api_token_create(user=annotator, name="busy")
    api_token_touch(token=api_token_for_key(key=key))
    token = api_token_for_key(key=key)
    with django_assert_num_queries(0):
        api_token_touch(token=token)


def test_a_token_cannot_be_limited_to_no_batch_or_a_missing_one(researcher):
    with pytest.raises(ValidationError, match="at least one batch"):
        api_token_create(user=researcher, name="none", batch_ids=[])
    with pytest.raises(ValidationError, match="No batch has the id 999"):
        api_token_create(user=researcher, name="missing", batch_ids=[999])
    assert not ApiToken.objects.exists()
