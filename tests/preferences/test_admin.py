"""Judgments are evidence: the admin lists and shows them, and changes nothing."""

import pytest

from apps.dialogues.services import dialogue_judge, dialogue_start
from tests.factories import samples_finish
from tests.read_only_admin import assert_admin_read_only

pytestmark = pytest.mark.django_db


def test_a_comparison_is_read_only_in_the_admin(admin_client, batch, annotator):
    pair = samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    comparison = dialogue_judge(
        pair=pair, annotator=annotator, chosen_side="left", strength="better", time_spent_ms=9
    )
    assert_admin_read_only(
        admin_client, comparison, field="strength", new_value="significantly_better"
    )
