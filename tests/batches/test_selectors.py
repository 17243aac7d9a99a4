"""Which open batches an annotator sees: open to all, listed, or through a group."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from apps.batches.models import Batch
from apps.batches.selectors import batch_get_open, batches_open_for
from apps.dialogues.models import Dialogue
from tests.factories import BatchFactory, UserFactory


@pytest.fixture
def restricted(db):
    return BatchFactory(name="Restricted", open_to_all_annotators=False)


def test_it_shows_batches_open_to_all_to_every_annotator(annotator, batch):
    assert list(batches_open_for(user=annotator)) == [batch]


def test_it_hides_a_restricted_batch_from_an_unassigned_annotator(annotator, restricted):
    assert list(batches_open_for(user=annotator)) == []
    with pytest.raises(Batch.DoesNotExist):
        batch_get_open(user=annotator, batch_id=restricted.pk)


def test_it_shows_a_restricted_batch_to_a_listed_annotator(annotator, restricted):
    restricted.annotators.add(annotator)
    assert batch_get_open(user=annotator, batch_id=restricted.pk) == restricted


def test_it_shows_a_restricted_batch_through_a_group(annotator, restricted):
    team = Group.objects.create(name="team")
    annotator.groups.add(team)
    restricted.groups.add(team)
    assert list(batches_open_for(user=annotator)) == [restricted]


def test_it_returns_a_batch_once_however_many_ways_the_annotator_is_assigned(annotator, restricted):
    teams = [Group.objects.create(name=f"team {i}") for i in range(3)]
    annotator.groups.add(*teams)
    restricted.groups.add(*teams)
    restricted.annotators.add(annotator, UserFactory(username="someone"))
    assert list(batches_open_for(user=annotator)) == [restricted]
    assert batches_open_for(user=annotator).count() == 1
    assert batch_get_open(user=annotator, batch_id=restricted.pk) == restricted


def test_it_does_not_count_another_users_group(annotator, restricted):
    team = Group.objects.create(name="team")
    UserFactory(username="member").groups.add(team)
    restricted.groups.add(team)
    assert list(batches_open_for(user=annotator)) == []


def test_it_shows_staff_every_open_batch_and_nobody_a_draft_or_closed_one(restricted):
    staff = UserFactory(username="boss", is_staff=True)
    BatchFactory(name="Draft", status=Batch.Status.DRAFT)
    BatchFactory(name="Closed", status=Batch.Status.CLOSED, open_to_all_annotators=True)
    assert list(batches_open_for(user=staff)) == [restricted]


def test_it_can_lock_the_rows_it_returns(annotator, restricted):
    restricted.annotators.add(annotator)
    with transaction.atomic():
        locked = list(batches_open_for(user=annotator).select_for_update(of=("self",)))
    assert locked == [restricted]


def test_it_answers_404_on_the_batch_page_to_an_unassigned_annotator(client, annotator, restricted):
    client.force_login(annotator)
    assert client.get(f"/batches/{restricted.pk}/").status_code == 404
    assert b"Restricted" not in client.get("/batches/").content
    restricted.annotators.add(annotator)
    assert client.get(f"/batches/{restricted.pk}/").status_code == 200


def test_it_refuses_a_dialogue_in_a_batch_the_annotator_is_not_assigned(
    client, annotator, restricted
):
    client.force_login(annotator)
    response = client.post(f"/batches/{restricted.pk}/dialogues/", {"text": "Hello there"})
    assert response.status_code == 404
    assert not Dialogue.objects.exists()


def test_it_lets_staff_open_any_open_batch_page(client, restricted):
    client.force_login(UserFactory(username="boss", is_staff=True))
    assert client.get(f"/batches/{restricted.pk}/").status_code == 200
