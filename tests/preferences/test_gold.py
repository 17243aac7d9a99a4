import pytest
from django.core.exceptions import ValidationError

from apps.assignments import services as queue
from apps.audit.models import AuditEvent
from apps.batches.models import AnnotatorFlag
from apps.pairs.models import JudgmentSlot, Sample
from apps.preferences.gold import gold_mark, gold_unmark
from apps.preferences.models import Comparison, GoldAnswer
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="lead", is_staff=True)


@pytest.fixture
def gold_always(monkeypatch):
    """Every claim draws gold (random.random() < gold_rate)."""
    monkeypatch.setattr("apps.assignments.gold_mixing.random.random", lambda: 0.0)


def _judge(pair, user, *, chosen_slot, strength="better"):
    lease = queue.lease_claim(batch=pair.batch, annotator=user)
    assert lease.pair_id == pair.pk
    side = "left" if lease.left_slot == chosen_slot else "right"
    return queue.lease_submit(
        lease_id=lease.pk,
        annotator=user,
        idempotency_key="k",
        chosen_side=side,
        strength=strength,
        time_spent_ms=4000,
    ).comparison


def test_it_marks_a_pool_pair_gold_and_withdraws_its_free_slots(staff):
    batch = BatchFactory(overlap=3)
    pair = pool_pair_ready(batch)
    gold = gold_mark(
        pair=pair, expected_slot="b", min_strength="better", source="review", actor=staff
    )
    assert (gold.expected_slot, gold.min_strength, gold.batch_id) == ("b", "better", batch.pk)
    assert set(pair.slots.values_list("status", flat=True)) == {JudgmentSlot.Status.WITHDRAWN}
    event = AuditEvent.objects.get(action=AuditEvent.Action.GOLD_MARKED)
    assert event.target == f"batch:{batch.pk}" and event.actor == staff
    assert event.details["slots_withdrawn"] == 3


def test_it_leaves_judgments_already_made_ungraded(staff, annotator):
    batch = BatchFactory(overlap=2)
    pair = pool_pair_ready(batch)
    comparison = _judge(pair, annotator, chosen_slot="a")
    gold_mark(pair=pair, expected_slot="b", source="review", actor=staff)
    comparison.refresh_from_db()
    assert comparison.gold_correct is None
    # The one slot still leasable was free: withdrawn; the judged one stays done.
    assert sorted(pair.slots.values_list("status", flat=True)) == ["done", "withdrawn"]


def test_remarking_updates_the_answer_and_unmarking_removes_it(staff):
    pair = pool_pair_ready(BatchFactory())
    gold_mark(pair=pair, expected_slot="a", source="admin", actor=staff)
    gold_mark(
        pair=pair, expected_slot="b", explanation="B cites a source.", source="admin", actor=staff
    )
    gold = GoldAnswer.objects.get(pair=pair)
    assert (gold.expected_slot, gold.explanation) == ("b", "B cites a source.")
    gold_unmark(pair=pair, actor=staff)
    assert not GoldAnswer.objects.filter(pair=pair).exists()
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["gold_marked", "gold_marked", "gold_unmarked"]


def test_it_refuses_a_pair_without_two_generated_responses(staff):
    pair = pool_pair_ready(BatchFactory())
    Sample.objects.filter(pair=pair, slot="b").update(status="pending")
    with pytest.raises(ValidationError, match="1 of 2 ready"):
        gold_mark(pair=pair, expected_slot="a", source="review", actor=staff)
    assert not GoldAnswer.objects.exists()


@pytest.mark.parametrize("slot", ["", "c", "left"])
def test_it_refuses_an_unknown_side(staff, slot):
    pair = pool_pair_ready(BatchFactory())
    with pytest.raises(ValidationError, match="a or b"):
        gold_mark(pair=pair, expected_slot=slot, source="review", actor=staff)


@pytest.mark.parametrize(
    ("chosen_slot", "strength", "correct"),
    [
        ("b", "better", True),
        ("b", "significantly_better", True),
        ("b", "slightly_better", False),
        ("a", "significantly_better", False),
    ],
)
def test_a_judgment_of_a_gold_pair_is_graded(
    staff, annotator, gold_always, chosen_slot, strength, correct
):
    batch = BatchFactory(gold_rate=0.5)
    pair = pool_pair_ready(batch)
    gold_mark(pair=pair, expected_slot="b", min_strength="better", source="review", actor=staff)
    lease = queue.lease_next(batch=batch, annotator=annotator)
    assert lease is not None and lease.pair_id == pair.pk
    side = "left" if lease.left_slot == chosen_slot else "right"
    queue.lease_submit(
        lease_id=lease.pk,
        annotator=annotator,
        idempotency_key="k",
        chosen_side=side,
        strength=strength,
        time_spent_ms=3000,
    )
    assert Comparison.objects.get(pair=pair).gold_correct is correct


def test_a_normal_judgment_is_not_graded(annotator):
    pair = pool_pair_ready(BatchFactory(gold_rate=0.2))
    comparison = _judge(pair, annotator, chosen_slot="a")
    assert comparison.gold_correct is None


def _gold_pairs(batch, staff, n):
    pairs = [pool_pair_ready(batch, prompt=f"Gold {i}") for i in range(n)]
    for pair in pairs:
        gold_mark(pair=pair, expected_slot="a", source="pool_file", actor=staff)
    return pairs


def _answer_gold(batch, user, wrong: int, right: int):
    """Answer the batch's gold pairs (gold_rate 0.5 and a fixed draw hand them out first)."""
    for i in range(wrong + right):
        lease = queue.lease_next(batch=batch, annotator=user)
        want = "b" if i < wrong else "a"
        side = "left" if lease.left_slot == want else "right"
        queue.lease_submit(
            lease_id=lease.pk,
            annotator=user,
            idempotency_key=f"k{i}",
            chosen_side=side,
            strength="better",
            time_spent_ms=3000,
        )


def test_an_annotator_under_the_threshold_is_flagged_and_paused(staff, annotator, gold_always):
    batch = BatchFactory(gold_rate=0.5, gold_min_count=5, gold_min_accuracy=0.8, gold_pause=True)
    _gold_pairs(batch, staff, 6)
    _answer_gold(batch, annotator, wrong=4, right=0)
    assert not AnnotatorFlag.objects.exists()  # under the minimum count: not judged yet
    _answer_gold(batch, annotator, wrong=1, right=0)
    flag = AnnotatorFlag.objects.get()
    assert flag.annotator == annotator and flag.pauses_work and flag.flagged_by is None
    assert flag.reason == "Gold accuracy 0 of 5 (0%, 95% CI 0%-43%) is under 80%"
    assert flag.details["gold_n"] == 5 and flag.details["gold_correct"] == 0
    event = AuditEvent.objects.get(action=AuditEvent.Action.ANNOTATOR_PAUSED)
    assert event.actor is None


def test_an_accurate_annotator_is_not_flagged(staff, annotator, gold_always):
    batch = BatchFactory(gold_rate=0.5, gold_min_count=5, gold_min_accuracy=0.7)
    _gold_pairs(batch, staff, 6)
    _answer_gold(batch, annotator, wrong=1, right=5)
    assert not AnnotatorFlag.objects.exists()


def test_after_a_lift_only_new_gold_judgments_count(staff, annotator, gold_always):
    from apps.batches.flags import annotator_flag_lift

    batch = BatchFactory(gold_rate=0.5, gold_min_count=3, gold_min_accuracy=0.9, gold_pause=True)
    _gold_pairs(batch, staff, 5)
    _answer_gold(batch, annotator, wrong=3, right=0)
    flag = AnnotatorFlag.objects.get()
    annotator_flag_lift(flag_id=flag.pk, actor=staff)
    _answer_gold(batch, annotator, wrong=2, right=0)  # 2 since the lift: under the minimum
    assert not AnnotatorFlag.objects.filter(lifted_at__isnull=True).exists()
