"""Schemathesis fuzzes every operation of the OpenAPI schema: no input gives a 5xx."""

import base64
import json
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings

from apps.accounts.services import api_token_create
from apps.accounts.throttling import ApiTokenRateThrottle
from tests.factories import UserFactory

from .conftest import judge

EXAMPLES_PER_OPERATION = 100
# Inputs the generator would not find; each was once a 500.
CRAFTED_CURSOR = base64.b64encode(b"p=abc").decode()  # a position that is not a primary key
DEEP_JSON = ("[" * 1200 + "]" * 1200).encode()  # 2.4 KB that made the JSON decoder recurse


def hostile_cases(operation):
    """A crafted cursor for each operation that pages, a deep body for each that takes JSON."""
    path = {parameter.name: 1 for parameter in operation.path_parameters}
    if any(parameter.name == "cursor" for parameter in operation.query):
        yield operation.Case(path_parameters=path, query={"cursor": CRAFTED_CURSOR})
    if any(body.media_type == "application/json" for body in operation.body):
        yield operation.Case(path_parameters=path, body=DEEP_JSON, media_type="application/json")


@pytest.fixture
def wsgi_app():
    """The real WSGI handler, kept from closing the test's database connection after each
    request (Django's test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def unthrottled(monkeypatch):
    """The fuzz run sends more requests than one token's rate limit allows."""
    monkeypatch.setattr(ApiTokenRateThrottle, "THROTTLE_RATES", {"token": "100000/minute"})
    yield


def test_the_api_answers_generated_requests_without_server_errors(batch, wsgi_app, unthrottled):
    staff = UserFactory(username="fuzzer", is_staff=True)
    judge(batch=batch, annotator=UserFactory(username="ann"), prompt="Hi \u202e<script>?")
    _, key = api_token_create(user=staff, name="fuzz", read_only=False)
    document = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = wsgi_app
    calls: list[tuple[str, int]] = []

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case):
            label = case.operation.label
            response = case.call(headers={"Authorization": f"Token {key}"})
            calls.append((label, response.status_code))
            assert response.status_code < 500, (label, case.path_parameters, case.query)

        call()
        for case in hostile_cases(operation):
            response = case.call(headers={"Authorization": f"Token {key}"})
            calls.append((case.operation.label, response.status_code))
            assert response.status_code in (400, 404), (case.operation.label, response.text)

    print(f"fuzz: {len(calls)} requests over {len({label for label, _ in calls})} operations")
    statuses = Counter(status for _, status in calls)
    print(f"fuzz statuses: {sorted(statuses.items())}")
    assert len(calls) >= 100
    assert not [c for c in calls if c[1] >= 500]
    assert statuses[429] == 0
