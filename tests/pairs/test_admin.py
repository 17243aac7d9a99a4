"""Pairs, samples and judgment slots are evidence: the admin shows them, changes nothing."""

import pytest

from apps.dialogues.services import dialogue_start
from apps.pairs.models import JudgmentSlot, Sample
from tests.factories import pool_pair_ready, samples_finish
from tests.read_only_admin import assert_admin_read_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(batch, annotator):
    return samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi there"))


def test_a_pair_is_read_only_in_the_admin(admin_client, pair):
    assert_admin_read_only(admin_client, pair, field="left_slot", new_value="b")
    html = admin_client.get(f"/admin/pairs/pair/{pair.pk}/change/").content.decode()
    assert "Response A" in html and 'name="samples-0-text"' not in html


def test_a_sample_is_read_only_in_the_admin(admin_client, pair):
    sample = Sample.objects.filter(pair=pair).first()
    assert_admin_read_only(admin_client, sample, field="text", new_value="rewritten")


def test_a_judgment_slot_is_read_only_in_the_admin(admin_client, batch):
    slot = JudgmentSlot.objects.get(pair=pool_pair_ready(batch))
    assert_admin_read_only(admin_client, slot, field="status", new_value="withdrawn")
