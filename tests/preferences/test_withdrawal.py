"""Withdrawing judgments from export and restoring them: set and cleared, audited, never
deleted, and the pair's judgment slots stay as they were."""

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.pairs.models import JudgmentSlot
from apps.preferences.models import Comparison
from apps.preferences.withdrawal import comparisons_restore, comparisons_withdraw
from tests.exports.conftest import judge, judge_again, pool_judge
from tests.factories import BatchFactory, UserFactory, pool_pair_ready


@pytest.fixture
def staff(db):
    return UserFactory(username="lead", is_staff=True)


def test_it_withdraws_all_of_an_annotators_judgments_in_the_batch(batch, staff):
    clicker, careful = UserFactory(), UserFactory()
    mine = [judge(batch=batch, annotator=clicker) for _ in range(3)]
    theirs = judge_again(comparison=mine[0], annotator=careful, chose_same=False)
    elsewhere = judge(batch=BatchFactory(), annotator=clicker)

    n = comparisons_withdraw(batch=batch, actor=staff, reason="  Always left  ", annotator=clicker)

    assert n == 3
    withdrawn = Comparison.objects.filter(withdrawn_at__isnull=False)
    assert sorted(withdrawn.values_list("pk", flat=True)) == sorted(c.pk for c in mine)
    first = withdrawn.get(pk=mine[0].pk)
    assert first.withdrawn_by == staff
    assert first.withdrawn_reason == "Always left"
    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert theirs.withdrawn_at is None and elsewhere.withdrawn_at is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.JUDGMENTS_WITHDRAWN)
    assert event.actor == staff
    assert event.target == f"batch:{batch.pk}"
    assert event.details["count"] == 3
    assert event.details["annotator_id"] == clicker.pk
    assert event.details["comparison_ids"] == sorted(c.pk for c in mine)
    assert event.details["reason"] == "Always left"


def test_it_withdraws_one_judgment_by_id(batch, staff, annotator):
    keep, drop = judge(batch=batch, annotator=annotator), judge(batch=batch, annotator=annotator)

    assert comparisons_withdraw(batch=batch, actor=staff, reason="typo", comparison_ids=[drop.pk])

    keep.refresh_from_db()
    drop.refresh_from_db()
    assert keep.withdrawn_at is None
    assert drop.withdrawn_at is not None


def test_it_ignores_ids_of_another_batch(batch, staff, annotator):
    other = judge(batch=BatchFactory(), annotator=annotator)

    n = comparisons_withdraw(batch=batch, actor=staff, reason="x", comparison_ids=[other.pk])

    assert n == 0
    other.refresh_from_db()
    assert other.withdrawn_at is None
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.JUDGMENTS_WITHDRAWN).exists()


def test_it_requires_a_reason(batch, staff, annotator):
    comparison = judge(batch=batch, annotator=annotator)

    with pytest.raises(ValidationError) as error:
        comparisons_withdraw(batch=batch, actor=staff, reason="   ", annotator=annotator)

    assert "reason" in error.value.message_dict
    comparison.refresh_from_db()
    assert comparison.withdrawn_at is None


def test_it_requires_an_annotator_or_ids(batch, staff):
    with pytest.raises(ValidationError, match="annotator"):
        comparisons_withdraw(batch=batch, actor=staff, reason="why")


def test_withdrawing_twice_keeps_the_first_reason_and_counts_nothing_new(batch, staff, annotator):
    comparison = judge(batch=batch, annotator=annotator)
    comparisons_withdraw(batch=batch, actor=staff, reason="first", annotator=annotator)

    again = comparisons_withdraw(batch=batch, actor=staff, reason="second", annotator=annotator)

    assert again == 0
    comparison.refresh_from_db()
    assert comparison.withdrawn_reason == "first"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.JUDGMENTS_WITHDRAWN).count() == 1


def test_it_restores_withdrawn_judgments_and_audits_it(batch, staff, annotator):
    comparisons = [judge(batch=batch, annotator=annotator) for _ in range(2)]
    comparisons_withdraw(batch=batch, actor=staff, reason="suspect", annotator=annotator)

    n = comparisons_restore(batch=batch, actor=staff, annotator=annotator)

    assert n == 2
    for comparison in comparisons:
        comparison.refresh_from_db()
        assert comparison.withdrawn_at is None
        assert comparison.withdrawn_by is None
        assert comparison.withdrawn_reason == ""
    event = AuditEvent.objects.get(action=AuditEvent.Action.JUDGMENTS_RESTORED)
    assert event.details["count"] == 2
    assert event.details["comparison_ids"] == sorted(c.pk for c in comparisons)


def test_restoring_nothing_withdrawn_is_a_no_op(batch, staff, annotator):
    judge(batch=batch, annotator=annotator)

    assert comparisons_restore(batch=batch, actor=staff, annotator=annotator) == 0
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.JUDGMENTS_RESTORED).exists()


def test_withdrawing_never_deletes_and_does_not_reopen_judgment_slots(staff):
    batch = BatchFactory(overlap=2)
    pair = pool_pair_ready(batch)
    first, second = UserFactory(), UserFactory()
    for slot, annotator, chosen in zip(
        pair.slots.order_by("index"), (first, second), "ab", strict=True
    ):
        pool_judge(pair=pair, annotator=annotator, chosen_slot=chosen)
        JudgmentSlot.objects.filter(pk=slot.pk).update(status="done", annotator=annotator)
    slots_before = list(pair.slots.order_by("index").values_list("status", "annotator"))

    comparisons_withdraw(batch=batch, actor=staff, reason="rushed", annotator=first)

    assert Comparison.objects.filter(pair=pair).count() == 2
    slots_after = list(pair.slots.order_by("index").values_list("status", "annotator"))
    assert slots_after == slots_before == [("done", first.pk), ("done", second.pk)]
