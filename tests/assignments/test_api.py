from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.assignments.models import Lease
from apps.assignments.services import leases_expire
from apps.batches.models import Batch
from apps.pairs.models import JudgmentSlot
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, pool_pair_ready

pytestmark = pytest.mark.django_db


def _client(user, **token_options) -> APIClient:
    _, key = api_token_create(user=user, name="queue", read_only=False, **token_options)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _claim(client, batch):
    return client.post(f"/api/queue/batches/{batch.pk}/claim/")


def test_claim_judge_and_replay_over_the_api(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch, prompt="Name a <b>bold</b> colour", texts=("Red", "Blue"))
    client = _client(annotator)
    claimed = _claim(client, batch)
    assert claimed.status_code == 201
    body = claimed.json()
    assert body["context"] == [{"role": "user", "content": "Name a <b>bold</b> colour"}]
    assert {body["left"]["text"], body["right"]["text"]} == {"Red", "Blue"}
    assert "variant" not in str(body)  # judging is blind

    answer = {"chosen_side": "right", "strength": "slightly_better", "time_spent_ms": 4000}
    url = f"/api/queue/leases/{body['id']}/submit/"
    first = client.post(url, answer, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201 and first.json()["late"] is False
    again = client.post(url, answer, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 200 and again.json() == first.json()
    other_key = client.post(url, answer, format="json", HTTP_IDEMPOTENCY_KEY="xyz")
    assert other_key.status_code == 409
    comparison = Comparison.objects.get()
    assert comparison.chosen.text == body["right"]["text"]
    assert _claim(client, batch).status_code == 204


def test_field_errors_come_back_as_400_and_store_nothing(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    client = _client(annotator)
    lease_id = _claim(client, batch).json()["id"]
    url = f"/api/queue/leases/{lease_id}/submit/"
    bad = client.post(url, {"chosen_side": "middle", "strength": "meh"}, format="json")
    assert bad.status_code == 400
    assert {"chosen_side", "strength", "time_spent_ms"} <= set(bad.json())
    no_key = client.post(
        url, {"chosen_side": "left", "strength": "better", "time_spent_ms": 1}, format="json"
    )
    assert no_key.status_code == 400 and "idempotency_key" in no_key.json()
    assert not Comparison.objects.exists()


def test_skip_flag_release_and_the_lease_list(annotator):
    batch = BatchFactory()
    for _ in range(3):
        pool_pair_ready(batch)
    client = _client(annotator)
    ids = [_claim(client, batch).json()["id"] for _ in range(3)]
    listed = client.get("/api/queue/leases/").json()
    assert sorted(x["id"] for x in listed) == sorted(ids)
    assert client.post(f"/api/queue/leases/{ids[0]}/skip/", {}).status_code == 400
    skipped = client.post(f"/api/queue/leases/{ids[0]}/skip/", {"reason": "off topic"})
    assert skipped.json() == {"id": ids[0], "status": "skipped"}
    flag = client.post(f"/api/queue/leases/{ids[1]}/flag/", {"reason": "harmful", "note": "x"})
    assert flag.json()["status"] == "flagged"
    assert client.post(f"/api/queue/leases/{ids[1]}/flag/", {"reason": "no"}).status_code == 400
    assert client.post(f"/api/queue/leases/{ids[2]}/release/").json()["status"] == "released"
    assert client.post(f"/api/queue/leases/{ids[2]}/release/").status_code == 409


def test_the_lease_limit_answers_409(annotator):
    batch = BatchFactory(max_open_leases=1)
    pool_pair_ready(batch)
    pool_pair_ready(batch)
    client = _client(annotator)
    assert _claim(client, batch).status_code == 201
    limited = _claim(client, batch)
    assert limited.status_code == 409 and "most allowed is 1" in limited.json()["detail"]


def test_others_leases_scopes_and_read_only_tokens_are_refused(annotator, other_annotator):
    batch = BatchFactory()
    elsewhere = BatchFactory()
    pool_pair_ready(batch)
    lease_id = _claim(_client(annotator), batch).json()["id"]
    intruder = _client(other_annotator)
    assert intruder.get(f"/api/queue/leases/{lease_id}/").status_code == 404
    assert intruder.post(f"/api/queue/leases/{lease_id}/release/").status_code == 404
    scoped = _client(other_annotator, batch_ids=[elsewhere.pk])
    assert _claim(scoped, batch).status_code == 404
    _, key = api_token_create(user=other_annotator, name="ro", read_only=True)
    read_only = APIClient()
    read_only.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert _claim(read_only, batch).status_code == 403
    assert APIClient().post(f"/api/queue/batches/{batch.pk}/claim/").status_code == 401
    assert _claim(intruder, BatchFactory(status="closed")).status_code == 404


def _ran_out_and_swept(lease_id: int) -> None:
    past = timezone.now() - timedelta(seconds=1)
    Lease.objects.filter(pk=lease_id).update(expires_at=past)
    JudgmentSlot.objects.filter(leases__pk=lease_id).update(lease_expires_at=past)
    assert leases_expire() == 1


ANSWER = {"chosen_side": "left", "strength": "better", "time_spent_ms": 3000}


@pytest.mark.parametrize("first", ["old", "new"])
def test_a_reclaim_after_expiry_resolves_to_one_judgment_over_the_api(annotator, first):
    batch = BatchFactory(overlap=2)
    pair = pool_pair_ready(batch)
    client = _client(annotator)
    old_id = _claim(client, batch).json()["id"]
    _ran_out_and_swept(old_id)
    reclaimed = _claim(client, batch)
    assert reclaimed.status_code == 201
    ids = {"old": old_id, "new": reclaimed.json()["id"]}
    later = "new" if first == "old" else "old"
    url = "/api/queue/leases/{}/submit/"
    stored = client.post(url.format(ids[first]), ANSWER, format="json", HTTP_IDEMPOTENCY_KEY="a")
    again = client.post(url.format(ids[later]), ANSWER, format="json", HTTP_IDEMPOTENCY_KEY="b")
    assert (stored.status_code, again.status_code) == (201, 409)
    assert "already submitted" in again.json()["detail"]
    assert Comparison.objects.filter(pair=pair).count() == 1
    assert client.get("/api/queue/leases/").json() == []
    assert ids["new"] == ids["old"]  # the re-claim reopened the lease that ran out


def test_a_closed_batch_takes_judgments_only_on_leases_that_have_not_run_out(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    pool_pair_ready(batch)
    client = _client(annotator)
    live_id, ran_out_id = (_claim(client, batch).json()["id"] for _ in range(2))
    _ran_out_and_swept(ran_out_id)
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CLOSED)
    assert _claim(client, batch).status_code == 404
    url = "/api/queue/leases/{}/submit/"
    kept = client.post(url.format(live_id), ANSWER, format="json", HTTP_IDEMPOTENCY_KEY="a")
    assert kept.status_code == 201 and kept.json()["late"] is False
    late = client.post(url.format(ran_out_id), ANSWER, format="json", HTTP_IDEMPOTENCY_KEY="b")
    assert late.status_code == 409 and "batch is closed" in late.json()["detail"]
    assert Comparison.objects.count() == 1


def test_the_lease_answer_gives_each_response_as_html_and_says_when_it_was_cut(annotator):
    batch = BatchFactory()
    pair = pool_pair_ready(batch, texts=("*Red*", "*Red*"))
    pair.samples.update(finish_reason="length")
    body = _claim(_client(annotator), batch).json()
    for side in ("left", "right"):
        assert body[side] == {
            "text": "*Red*",
            "html": "<p><em>Red</em></p>",
            "finish_reason": "length",
        }
