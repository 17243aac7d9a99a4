"""Login throttling (django-axes) and API rate limits per token."""

import pytest

from apps.accounts.services import api_token_create
from apps.accounts.throttling import ApiTokenRateThrottle
from tests.factories import UserFactory

PASSWORD = "pw-for-tests"


def _login(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_it_locks_a_username_out_after_repeated_failures(client, settings, db):
    UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "victim", "guess").status_code == 200
    assert _login(client, "victim", "guess").status_code == 429
    # Even the right password is refused while locked out.
    response = _login(client, "victim", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_still_logs_in_below_the_limit(client, db):
    UserFactory(username="forgetful")
    assert _login(client, "forgetful", "typo").status_code == 200
    response = _login(client, "forgetful", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_it_leaves_force_login_alone(client, annotator):
    client.force_login(annotator)
    assert client.get("/batches/").status_code == 200


@pytest.fixture
def two_per_minute(monkeypatch):
    monkeypatch.setattr(ApiTokenRateThrottle, "THROTTLE_RATES", {"token": "2/minute"})
    yield


def test_it_rate_limits_each_token_on_its_own(client, annotator, two_per_minute):
    _, first = api_token_create(user=annotator, name="first")
    _, second = api_token_create(user=annotator, name="second")
    statuses = [
        client.get("/api/batches/", HTTP_AUTHORIZATION=f"Token {first}").status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert client.get("/api/batches/", HTTP_AUTHORIZATION=f"Token {second}").status_code == 200
