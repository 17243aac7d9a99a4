import orjson
import pytest

from apps.accounts.services import api_token_create
from tests.exports.conftest import judge
from tests.factories import BatchFactory

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_requires_authentication(client):
    assert client.get("/api/batches/").status_code in (401, 403)
    response = client.get("/api/batches/", HTTP_AUTHORIZATION="Token pw_nope")
    assert response.status_code == 401


def test_it_lists_batches_with_comparison_counts(api, batch, annotator):
    judge(batch=batch, annotator=annotator)
    data = api.get("/api/batches/").json()
    assert data["results"][0]["name"] == batch.name
    assert data["results"][0]["comparisons"] == 1
    assert data["results"][0]["sampling_a"]["variant"] == batch.sampling_a.variant.name
    assert api.get(f"/api/batches/{batch.pk}/").json()["id"] == batch.pk


def test_it_pages_comparisons_with_a_cursor(api, batch, annotator):
    made = [judge(batch=batch, annotator=annotator).pk for _ in range(5)]
    first = api.get("/api/comparisons/", {"page_size": 2}).json()
    assert [c["id"] for c in first["results"]] == made[:2]
    second = api.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == made[2:4]
    assert first["results"][0]["chosen"]["text"] == "Response A"
    assert first["results"][0]["annotator"].startswith("ann_")


def test_it_filters_comparisons(api, batch, annotator):
    judge(batch=batch, annotator=annotator, strength="better")
    weak = judge(batch=batch, annotator=annotator, strength="slightly_better")
    data = api.get(
        "/api/comparisons/", {"min_strength": "slightly_better", "created_after": "2000-01-01"}
    ).json()
    assert len(data["results"]) == 2
    data = api.get("/api/comparisons/", {"drop_negligible": "true", "overlap": "first"}).json()
    assert weak.pk in [c["id"] for c in data["results"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "csv"}, "format"),
        ({"file_type": "xlsx"}, "file_type"),
        ({"margin": "huge"}, "margin"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "2026-02-30"}, "created_after"),
        ({"track": "fun"}, "track"),
        ({"min_strength": "much_better"}, "min_strength"),
        ({"safety_labels": "both_safe,maybe_safe"}, "safety_labels"),
        ({"variants": "no-such-model"}, "variants"),
        ({"batches": "999999"}, "batches"),
        ({"batches": "one"}, "batches"),
        ({"overlap": "loudest"}, "overlap"),
        ({"test_fraction": "1.5"}, "test_fraction"),
        ({"split": "test"}, "split"),
        ({"colour": "blue"}, "unknown_parameters"),
        ({"created_after": "2026-02-01", "created_before": "2026-01-01"}, "created_before"),
    ],
)
def test_export_rejects_bad_options_with_field_errors(api, batch, params, field):
    response = api.get("/api/exports/stream/", params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("page_size", ["100000", "-1", "0", "many"])
def test_listing_rejects_a_bad_page_size(api, page_size):
    response = api.get("/api/comparisons/", {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_it_streams_an_export_with_its_card_link(api, batch, annotator):
    judge(batch=batch, annotator=annotator, prompt="Ça va?")
    response = api.get("/api/exports/stream/", {"format": "trl", "margin": "large"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/jsonl"
    assert 'filename="pairwise-trl.jsonl"' in response["Content-Disposition"]
    record = orjson.loads(body(response).splitlines()[0])
    assert record["prompt"] == [{"role": "user", "content": "Ça va?"}]
    assert record["margin"] == 2.0
    card_url = response["Link"].split(">")[0].lstrip("<")
    card = api.get(card_url).json()
    assert card["rows"] == 1
    assert card["margin_scheme"] == "large"
    assert card["counts"]["strength"] == {"better": 1}


def test_it_streams_parquet(api, batch, annotator):
    judge(batch=batch, annotator=annotator)
    response = api.get("/api/exports/stream/", {"file_type": "parquet"})
    data = body(response)
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"


def test_the_card_counts_levels_labels_batches_and_variants(api, batch, safety_batch, annotator):
    judge(batch=batch, annotator=annotator, strength="better")
    judge(
        batch=safety_batch,
        annotator=annotator,
        left_is_safe=True,
        right_is_safe=True,
        strength="slightly_better",
    )
    card = api.get("/api/exports/card/", {"test_fraction": "0.5"}).json()
    assert card["rows"] == 2
    assert card["counts"]["strength"] == {"better": 1, "slightly_better": 1}
    assert card["counts"]["safety_label"] == {"both_safe": 1, "none (helpfulness)": 1}
    assert card["counts"]["batch"] == {batch.name: 1, safety_batch.name: 1}
    assert sum(card["counts"]["chosen_variant"].values()) == 2
    assert sum(card["counts"]["split"].values()) == 2
    assert card["filters"]["batches"] == []
    assert card["exported_at"]


def test_a_token_limited_to_one_batch_cannot_export_another(client, staff, batch, annotator):
    other = BatchFactory()
    judge(batch=batch, annotator=annotator)
    judge(batch=other, annotator=annotator)
    _, key = api_token_create(user=staff, name="scoped", batch_ids=[other.pk])
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    assert client.get("/api/exports/stream/", {"batches": batch.pk}).status_code == 400
    assert client.get(f"/api/batches/{batch.pk}/").status_code == 404
    records = body(client.get("/api/exports/stream/")).splitlines()
    assert [orjson.loads(r)["batch"] for r in records] == [other.name]
    listed = client.get("/api/comparisons/").json()["results"]
    assert [c["batch_id"] for c in listed] == [other.pk]


def test_a_non_staff_user_sees_only_batches_they_created(client, annotator, batch):
    own = BatchFactory(created_by=annotator)
    _, key = api_token_create(user=annotator, name="mine")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    assert [b["id"] for b in client.get("/api/batches/").json()["results"]] == [own.pk]


def test_only_staff_export_raw_user_ids(client, annotator):
    _, key = api_token_create(user=annotator, name="mine")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    response = client.get("/api/exports/stream/", {"annotator_ids": "raw"})
    assert response.status_code == 400


def test_the_schema_and_docs_are_served(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/exports/stream/" in schema.content
    assert b"tokenAuth" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_a_hidden_batch_and_a_missing_one_get_the_same_answer(client, staff, batch, annotator):
    """Nobody can tell from the answer that a batch they may not read exists."""
    hidden = BatchFactory(created_by=staff)
    missing = hidden.pk + 1000
    _, key = api_token_create(user=annotator, name="mine", read_only=False)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    for url in ("/api/comparisons/", "/api/exports/stream/", "/api/exports/card/"):
        answers = [client.get(url, {"batches": pk}) for pk in (hidden.pk, missing)]
        assert [a.status_code for a in answers] == [400, 400], url
        assert [a.json() for a in answers] == [
            {"batches": [f"No batch you may read has the id {pk}."]} for pk in (hidden.pk, missing)
        ]
    posts = [
        client.post("/api/exports/jobs/", {"batches": [pk]}, content_type="application/json")
        for pk in (hidden.pk, missing)
    ]
    assert [p.status_code for p in posts] == [400, 400]
