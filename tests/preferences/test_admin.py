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


def test_adding_a_gold_answer_in_the_admin_goes_through_gold_mark(admin_client, admin_user):
    from apps.audit.models import AuditEvent
    from apps.preferences.models import GoldAnswer
    from tests.factories import BatchFactory, pool_pair_ready

    pair = pool_pair_ready(BatchFactory(overlap=2))
    answer = admin_client.post(
        "/admin/preferences/goldanswer/add/",
        {
            "pair": pair.pk,
            "expected_slot": "b",
            "min_strength": "slightly_better",
            "explanation": "B answers the question.",
        },
    )
    assert answer.status_code == 302
    gold = GoldAnswer.objects.get(pair=pair)
    assert (gold.expected_slot, gold.source, gold.created_by) == ("b", "admin", admin_user)
    assert set(pair.slots.values_list("status", flat=True)) == {"withdrawn"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.GOLD_MARKED)
    assert event.actor == admin_user and event.details["source"] == "admin"
    listing = admin_client.get("/admin/preferences/goldanswer/?for_qualification__exact=0")
    assert listing.status_code == 200 and f"Gold answer for pair {pair.pk}" in listing.text
    # Changing it re-marks (audited); deleting it unmarks (audited).
    admin_client.post(
        f"/admin/preferences/goldanswer/{gold.pk}/change/",
        {"expected_slot": "a", "min_strength": "better", "explanation": ""},
    )
    gold.refresh_from_db()
    assert (gold.expected_slot, gold.min_strength) == ("a", "better")
    admin_client.post(f"/admin/preferences/goldanswer/{gold.pk}/delete/", {"post": "yes"})
    assert not GoldAnswer.objects.exists()
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["gold_marked", "gold_marked", "gold_unmarked"]


def test_the_admin_refuses_gold_on_a_pair_not_generated_yet(admin_client):
    from apps.pairs.models import Sample
    from apps.preferences.models import GoldAnswer
    from tests.factories import BatchFactory, pool_pair_ready

    pair = pool_pair_ready(BatchFactory())
    Sample.objects.filter(pair=pair).update(status="pending")
    answer = admin_client.post(
        "/admin/preferences/goldanswer/add/",
        {"pair": pair.pk, "expected_slot": "a", "min_strength": "better", "explanation": ""},
    )
    assert answer.status_code == 200  # the form again, with the reason
    assert "0 of 2 ready" in answer.content.decode()
    assert not GoldAnswer.objects.exists()
