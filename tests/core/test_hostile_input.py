"""Bad and hostile input: a clear 4xx naming the field, and nothing changed."""

import base64
import json
from urllib.parse import quote

import pytest
from django.conf import settings

from apps.accounts.services import api_token_create
from apps.dialogues.models import Dialogue
from apps.dialogues.services import dialogue_start
from apps.exports.models import ExportJob
from apps.pairs.models import Pair
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, UserFactory, pool_pair_ready, samples_finish

HUGE_ID = 10**20  # past a bigint
RTL = "\u202e"  # right-to-left override
LONE_SURROGATE_JSON = '"\\ud800"'  # valid JSON, not valid UTF-16 text
OVERSIZED = "x" * 1_000_000
DEEP_JSON = "[" * 1200 + "]" * 1200  # 2.4 KB; once a RecursionError (500) in the parser


@pytest.fixture
def world(db):
    boss = UserFactory(username="boss", is_staff=True)
    ann = UserFactory(username="ann")
    bob = UserFactory(username="bob")
    batch = BatchFactory(created_by=boss)
    pair = dialogue_start(batch=batch, annotator=ann, text="Hello?")
    samples_finish(pair)
    Pair.objects.filter(pk=pair.pk).update(left_slot="a")
    _, key = api_token_create(user=boss, name="full", read_only=False)
    _, bob_key = api_token_create(user=bob, name="bob", read_only=False)
    return {"ann": ann, "bob": bob, "batch": batch, "pair": pair, "key": key, "bob_key": bob_key}


def _snapshot() -> tuple[int, ...]:
    return (
        Dialogue.objects.count(),
        Pair.objects.count(),
        Comparison.objects.count(),
        ExportJob.objects.count(),
    )


# (query string, the field the 400 must name) for GET /api/comparisons/
COMPARISON_QUERIES = [
    ("page_size=-1", "page_size"),
    ("page_size=0", "page_size"),
    (f"page_size={10**12}", "page_size"),
    ("page_size=abc", "page_size"),
    ("page_size=1e3", "page_size"),
    ("track=everything", "track"),
    ("min_strength=%27%20OR%201=1--", "min_strength"),
    ("safety_labels=both,neither", "safety_labels"),
    ("overlap=some", "overlap"),
    ("batches=-1", "batches"),
    ("batches=abc", "batches"),
    (f"batches={HUGE_ID}", "batches"),
    ("created_after=yesterday", "created_after"),
    ("created_before=2024-13-45", "created_before"),
    ("annotator__password__startswith=pbkdf2", "unknown_parameters"),
    ("ordering=-annotator__password", "unknown_parameters"),
    ("variants=%00", "variants"),
    ("variants=%ED%A0%80", "variants"),  # a UTF-8-encoded lone surrogate
    (f"variants=x{RTL}gpj.exe", "variants"),
    ("track=helpfulness%00", "track"),
]


BATCH_QUERIES = ["page_size=-1", "page_size=0", f"page_size={10**24}", "page_size=x"]


@pytest.mark.parametrize("query", BATCH_QUERIES)
def test_it_rejects_bad_page_sizes_of_the_batch_list(client, world, query):
    response = client.get(f"/api/batches/?{query}", HTTP_AUTHORIZATION=f"Token {world['key']}")
    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize(("query", "field"), COMPARISON_QUERIES)
def test_it_rejects_hostile_list_parameters(client, world, query, field):
    before = _snapshot()
    response = client.get(f"/api/comparisons/?{query}", HTTP_AUTHORIZATION=f"Token {world['key']}")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert _snapshot() == before


# (JSON body, the field the 400 must name) for POST /api/exports/jobs/
EXPORT_BODIES = [
    ('{"format": "pickle"}', "format"),
    ('{"file_type": "exe"}', "file_type"),
    ('{"format": ["trl"]}', "format"),
    ('{"test_fraction": 2}', "test_fraction"),
    ('{"test_fraction": "NaN"}', "test_fraction"),
    ('{"split_seed": -1}', "split_seed"),
    (f'{{"split_seed": {10**30}}}', "split_seed"),
    ('{"margin": "infinite"}', "margin"),
    ('{"annotator_ids": "raw"}', "annotator_ids"),  # bob is not staff
    (f'{{"batches": "{HUGE_ID}"}}', "batches"),
    ('{"batches": "-5"}', "batches"),
    ('{"variants": "a\\u0000b"}', "variants"),
    (f'{{"variants": {LONE_SURROGATE_JSON}}}', "variants"),
    (json.dumps({"variants": f"{RTL}evil"}), "variants"),
    (json.dumps({"variants": OVERSIZED}), "variants"),
    ('{"track": "helpfulness", "min_strength": "massive"}', "min_strength"),
]


@pytest.mark.parametrize(("body", "field"), EXPORT_BODIES)
def test_it_rejects_hostile_export_requests(client, world, body, field):
    before = _snapshot()
    response = client.post(
        "/api/exports/jobs/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {world['bob_key']}",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert _snapshot() == before


def test_it_rejects_another_users_batch_in_an_export(client, world):
    body = {"batches": str(world["batch"].pk)}  # created by boss, not bob
    response = client.post(
        "/api/exports/jobs/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {world['bob_key']}",
    )
    assert response.status_code == 400
    assert "batches" in response.json()
    assert ExportJob.objects.count() == 0


def test_it_rejects_malformed_json(client, world):
    response = client.post(
        "/api/exports/jobs/",
        '{"format": "trl",',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {world['key']}",
    )
    assert response.status_code == 400
    assert ExportJob.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        f"/api/batches/{HUGE_ID}/",
        f"/api/exports/jobs/{HUGE_ID}/",
        f"/api/exports/jobs/{HUGE_ID}/download/",
        "/api/batches/?cursor=not-a-cursor",
    ],
)
def test_it_answers_huge_ids_and_bad_cursors_with_a_404(client, world, url):
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {world['key']}")
    assert response.status_code == 404


PROMPTS = [
    ("x" * (settings.MAX_PROMPT_CHARS + 1), "text"),
    (OVERSIZED, "text"),
    ("   ", "text"),
    ("nul\x00byte", "text"),
]


@pytest.mark.parametrize(("text", "field"), PROMPTS)
def test_it_rejects_hostile_prompts(client, world, text, field):
    client.force_login(world["ann"])
    before = _snapshot()
    response = client.post(f"/batches/{world['batch'].pk}/dialogues/", {"text": text})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert _snapshot() == before


JUDGMENTS = [
    {"chosen_side": "middle", "strength": "better"},
    {"chosen_side": "left", "strength": "enormously"},
    {"chosen_side": "left", "strength": "better", "time_spent_ms": "-5"},
    {"chosen_side": "left", "strength": "better", "time_spent_ms": "1e99"},
    {"chosen_side": "left", "strength": "better", "left_is_safe": "maybe"},
    {"chosen_side": "left\x00", "strength": "better"},
    {"strength": "better"},
]


@pytest.mark.parametrize("data", JUDGMENTS)
def test_it_rejects_hostile_judgments(client, world, data):
    client.force_login(world["ann"])
    before = _snapshot()
    response = client.post(f"/pairs/{world['pair'].pk}/judge/", data)
    assert response.status_code == 400
    assert response.context["judgment_form"].errors
    assert _snapshot() == before


def test_it_answers_a_judgment_of_another_users_pair_with_a_404(client, world):
    client.force_login(world["bob"])
    response = client.post(
        f"/pairs/{world['pair'].pk}/judge/", {"chosen_side": "left", "strength": "better"}
    )
    assert response.status_code == 404
    assert Comparison.objects.count() == 0


@pytest.mark.parametrize(
    "url", [f"/batches/{HUGE_ID}/", f"/dialogues/{HUGE_ID}/", f"/pairs/{HUGE_ID}/status/"]
)
def test_it_answers_huge_ids_on_pages_with_a_404(client, world, url):
    client.force_login(world["ann"])
    assert client.get(url).status_code == 404


def _cursor(raw: str) -> str:
    """A cursor as DRF encodes one (base64 of a query string), with crafted contents."""
    return quote(base64.b64encode(raw.encode()).decode())


CRAFTED_CURSORS = [
    "p=abc",
    "p=",
    "p=1.5",
    f"p={2**63}",  # past a bigint
    f"p={10**30}",
    "o=5&r=1&p=%00",
    "o=-1",
    "r=maybe",
]


@pytest.mark.parametrize("url", ["/api/batches/", "/api/comparisons/"])
@pytest.mark.parametrize("raw", CRAFTED_CURSORS)
def test_it_answers_a_crafted_cursor_with_a_404(client, world, url, raw):
    response = client.get(
        f"{url}?cursor={_cursor(raw)}", HTTP_AUTHORIZATION=f"Token {world['key']}"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_it_refuses_a_deeply_nested_json_body_at_the_parser(client, world):
    pool_pair_ready(world["batch"])
    auth = f"Token {world['bob_key']}"
    lease = client.post(f"/api/queue/batches/{world['batch'].pk}/claim/", HTTP_AUTHORIZATION=auth)
    before = _snapshot()
    for url in ("/api/exports/jobs/", f"/api/queue/leases/{lease.json()['id']}/submit/"):
        response = client.post(
            url, DEEP_JSON, content_type="application/json", HTTP_AUTHORIZATION=auth
        )
        assert response.status_code == 400, url
        assert "nested deeper than" in response.json()["detail"]
    assert _snapshot() == before
