"""Dialogues, their turns, pairs and samples are evidence: the admin shows them, changes nothing."""

import pytest

from apps.dialogues.models import Turn
from apps.dialogues.services import dialogue_start
from tests.factories import samples_finish
from tests.read_only_admin import assert_admin_read_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(batch, annotator):
    return samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi there"))


def test_a_turn_is_read_only_in_the_admin(admin_client, pair):
    turn = Turn.objects.get(dialogue=pair.dialogue)
    assert_admin_read_only(admin_client, turn, field="text", new_value="rewritten")


def test_a_dialogue_and_its_turns_are_read_only_in_the_admin(admin_client, pair):
    assert_admin_read_only(admin_client, pair.dialogue, field="status", new_value="finished")
    html = admin_client.get(f"/admin/dialogues/dialogue/{pair.dialogue_id}/change/").content
    assert b"Hi there" in html and b'name="turns-0-text"' not in html
