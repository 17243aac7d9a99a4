"""Gold pairs are mixed into the queue unmarked: nothing on the page, in the API answer or in
the claim's statements tells them apart from a normal pair."""

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.assignments import services as queue
from apps.pairs.models import JudgmentSlot, Sample
from apps.preferences.gold import gold_mark
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", is_staff=True)


@pytest.fixture
def draw(monkeypatch):
    """Set what random.random() returns to the claim: 0.0 draws gold, 0.99 does not."""

    def set_draw(value: float) -> None:
        monkeypatch.setattr("apps.assignments.gold_mixing.random.random", lambda: value)

    return set_draw


def _batch_with_gold_and_normal(lead):
    batch = BatchFactory(gold_rate=0.3)
    gold = pool_pair_ready(batch, prompt="Gold prompt", texts=("Gold A", "Gold B"))
    gold_mark(pair=gold, expected_slot="a", source="review", actor=lead)
    normal = pool_pair_ready(batch, prompt="Normal prompt", texts=("Norm A", "Norm B"))
    return batch, gold, normal


def test_a_drawn_claim_gets_the_gold_pair_on_a_slot_of_its_own(lead, annotator, draw):
    batch, gold, _ = _batch_with_gold_and_normal(lead)
    draw(0.0)
    lease = queue.lease_claim(batch=batch, annotator=annotator)
    assert lease.pair_id == gold.pk and lease.left_slot in ("a", "b")
    slot = lease.slot
    assert (slot.status, slot.annotator, slot.index) == ("leased", annotator, batch.overlap)
    assert slot.lease_expires_at == lease.expires_at


def test_a_claim_not_drawn_never_gets_a_gold_pair(lead, annotator, other_annotator, draw):
    batch, _, normal = _batch_with_gold_and_normal(lead)
    draw(0.99)
    assert queue.lease_claim(batch=batch, annotator=annotator).pair_id == normal.pk
    assert queue.lease_claim(batch=batch, annotator=annotator) is None


def test_a_gold_pair_is_never_given_twice_to_one_person(lead, annotator, draw):
    batch, _gold, normal = _batch_with_gold_and_normal(lead)
    draw(0.0)
    first = queue.lease_claim(batch=batch, annotator=annotator)
    queue.lease_release(lease_id=first.pk, annotator=annotator)
    # Released, it still counts as had: the next drawn claim falls back to normal work.
    assert queue.lease_claim(batch=batch, annotator=annotator).pair_id == normal.pk
    # The slot it freed is on a gold pair: never handed out as normal work either (the
    # normal pair's one slot is taken, so there is nothing for someone else).
    draw(0.99)
    other = UserFactory(username="someone")
    assert queue.lease_claim(batch=batch, annotator=other) is None


def test_the_database_refuses_a_second_slot_for_one_person_on_a_pair(lead, annotator, draw):
    batch, gold, _ = _batch_with_gold_and_normal(lead)
    draw(0.0)
    lease = queue.lease_claim(batch=batch, annotator=annotator)
    with pytest.raises(IntegrityError), transaction.atomic():
        JudgmentSlot.objects.create(
            batch=batch,
            pair=gold,
            index=99,
            status="leased",
            annotator=annotator,
            lease_expires_at=lease.expires_at,
        )


def test_every_annotator_gets_the_gold_pair_once(lead, draw):
    batch, gold, _ = _batch_with_gold_and_normal(lead)
    draw(0.0)
    users = [UserFactory(username=f"u{i}") for i in range(4)]
    leases = [queue.lease_claim(batch=batch, annotator=user) for user in users]
    assert {lease.pair_id for lease in leases} == {gold.pk}
    indexes = sorted(
        JudgmentSlot.objects.filter(pair=gold, annotator__isnull=False).values_list(
            "index", flat=True
        )
    )
    assert indexes == [1, 2, 3, 4]


def _claim_statements(batch, user):
    with CaptureQueriesContext(connection) as queries:
        lease = queue.lease_claim(batch=batch, annotator=user)
    return lease, len(queries)


def test_a_gold_claim_takes_as_many_statements_as_a_normal_one(lead, annotator, draw):
    batch, gold, normal = _batch_with_gold_and_normal(lead)
    draw(0.0)
    gold_lease, gold_count = _claim_statements(batch, annotator)
    draw(0.99)
    normal_lease, normal_count = _claim_statements(batch, annotator)
    assert (gold_lease.pair_id, normal_lease.pair_id) == (gold.pk, normal.pk)
    assert gold_count == normal_count


def _shape(value):
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def test_the_api_lease_of_a_gold_pair_looks_like_any_other(lead, annotator, draw):
    batch, _gold, _normal = _batch_with_gold_and_normal(lead)
    _, key = api_token_create(user=annotator, name="q", read_only=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    draw(0.0)
    gold_answer = client.post(f"/api/queue/batches/{batch.pk}/claim/").json()
    draw(0.99)
    normal_answer = client.post(f"/api/queue/batches/{batch.pk}/claim/").json()
    assert _shape(gold_answer) == _shape(normal_answer)
    assert gold_answer["qualification"] is False and normal_answer["qualification"] is False
    assert "gold" not in str(gold_answer).lower().replace("gold a", "").replace(
        "gold b", ""
    ).replace("gold prompt", "")


def _page_without_texts(client, lease, texts):
    page = client.get(f"/leases/{lease.pk}/").content.decode()
    for text in texts:
        page = page.replace(text, "TEXT")
    page = re.sub(r"\b\d+\b", "N", page)  # ids, times, seconds left
    page = re.sub(r'value="[0-9a-f]{32}"', 'value="KEY"', page)  # idempotency key
    page = re.sub(r'(csrfmiddlewaretoken" value=|nonce=)"[^"]*"', r'\1"X"', page)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", page)


def test_the_queue_page_of_a_gold_pair_differs_only_in_its_texts(client, lead, annotator, draw):
    batch, _gold, _normal = _batch_with_gold_and_normal(lead)
    draw(0.0)
    gold_lease = queue.lease_claim(batch=batch, annotator=annotator)
    draw(0.99)
    normal_lease = queue.lease_claim(batch=batch, annotator=annotator)
    # Same display order on both, so the pages can be compared line for line.
    type(gold_lease).objects.filter(pk__in=[gold_lease.pk, normal_lease.pk]).update(left_slot="a")
    client.force_login(annotator)
    gold_page = _page_without_texts(client, gold_lease, ["Gold prompt", "Gold A", "Gold B"])
    normal_page = _page_without_texts(client, normal_lease, ["Normal prompt", "Norm A", "Norm B"])
    assert gold_page == normal_page
    assert "gold" not in gold_page.lower()


def test_a_supplied_response_shows_like_a_generated_one(lead, annotator, draw):
    batch, gold, _ = _batch_with_gold_and_normal(lead)
    Sample.objects.filter(pair=gold).update(supplied=True, finish_reason="stop")
    draw(0.0)
    _, key = api_token_create(user=annotator, name="q", read_only=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answer = client.post(f"/api/queue/batches/{batch.pk}/claim/").json()
    assert answer["left"]["finish_reason"] == "stop" and answer["right"]["finish_reason"] == "stop"
    assert "supplied" not in str(answer)
