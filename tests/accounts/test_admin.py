"""API tokens in Django admin: made through the service, the key shown once, rights fixed."""

import re

import pytest

from apps.accounts.models import ApiToken
from apps.accounts.selectors import api_key_hash, api_token_for_key
from apps.accounts.services import api_token_create
from tests.factories import BatchFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/accounts/apitoken/add/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def _key_on(page) -> str:
    match = re.search(r'<code id="api-token-key">(pw_[\w-]+)</code>', page.content.decode())
    assert match, page.content.decode()
    return match[1]


def test_it_creates_a_scoped_writable_token_and_shows_its_key_once(admin_client):
    owner = UserFactory(username="researcher")
    batch = BatchFactory()
    page = admin_client.post(
        ADD_URL, {"user": owner.pk, "name": "laptop", "batches": [batch.pk]}, follow=False
    )
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    key = _key_on(page)
    token = api_token_for_key(key=key)
    assert (token.user, token.name, token.read_only, token.scoped) == (owner, "laptop", False, True)
    assert list(token.batches.all()) == [batch]
    assert token.key_hash == api_key_hash(key) and token.prefix == key[:10]
    # The key is not stored: the token's page shows only its prefix.
    change = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert key not in change.content.decode() and token.prefix in change.content.decode()


def test_a_token_made_without_batches_reaches_every_batch_and_is_read_only_if_asked(
    admin_client,
):
    owner = UserFactory(username="researcher")
    page = admin_client.post(ADD_URL, {"user": owner.pk, "name": "all", "read_only": "on"})
    token = api_token_for_key(key=_key_on(page))
    assert token.read_only and not token.scoped


def test_the_add_form_asks_for_the_owner_name_rights_and_batches(admin_client):
    html = admin_client.get(ADD_URL).content.decode()
    for field in ("user", "name", "read_only", "batches"):
        assert f'name="{field}"' in html
    for internal in ("key_hash", "prefix", "scoped"):
        assert f'name="{internal}"' not in html


def test_it_refuses_an_empty_name_with_a_form_error(admin_client):
    owner = UserFactory(username="researcher")
    page = admin_client.post(ADD_URL, {"user": owner.pk, "name": ""})
    assert page.status_code == 200 and page.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_a_tokens_owner_rights_and_scope_cannot_be_changed_afterwards(admin_client):
    owner, other = UserFactory(username="researcher"), UserFactory(username="other")
    kept, added = BatchFactory(), BatchFactory()
    token, _ = api_token_create(user=owner, name="old name", batch_ids=[kept.pk])
    url = f"/admin/accounts/apitoken/{token.pk}/change/"
    response = admin_client.post(
        url, {"name": "new name", "user": other.pk, "batches": [kept.pk, added.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.name, token.user, token.read_only) == ("new name", owner, True)
    assert list(token.batches.all()) == [kept]


def test_the_revoke_action_revokes_through_the_service(admin_client):
    token, key = api_token_create(user=UserFactory(username="researcher"), name="old")
    admin_client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert api_token_for_key(key=key) is None
