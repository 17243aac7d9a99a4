from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.assignments import services
from apps.assignments.models import Lease
from apps.batches.models import Batch
from apps.batches.selectors import BatchNotOpenToYou
from apps.pairs.models import JudgmentSlot
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = pytest.mark.django_db


def _submit(lease, user, key="k1", side="left", **extra):
    return services.lease_submit(
        lease_id=lease.pk,
        annotator=user,
        idempotency_key=key,
        chosen_side=side,
        strength="better",
        time_spent_ms=1200,
        **extra,
    )


def _expire(lease):
    past = timezone.now() - timedelta(seconds=1)
    Lease.objects.filter(pk=lease.pk).update(expires_at=past)
    JudgmentSlot.objects.filter(pk=lease.slot_id).update(lease_expires_at=past)


def test_a_claim_leases_a_ready_pair_with_a_recorded_order(annotator):
    batch = BatchFactory(lease_minutes=30)
    pair = pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    assert lease.pair_id == pair.pk and lease.left_slot in ("a", "b")
    assert timedelta(minutes=29) < lease.expires_at - timezone.now() <= timedelta(minutes=30)
    slot = JudgmentSlot.objects.get(pair=pair)
    assert (slot.status, slot.annotator_id) == ("leased", annotator.pk)


def test_the_left_right_order_is_drawn_per_annotator(annotator):
    batch = BatchFactory(overlap=10)
    pool_pair_ready(batch)
    users = [annotator] + [UserFactory() for _ in range(9)]
    orders = {services.lease_claim(batch=batch, annotator=u).left_slot for u in users}
    assert orders == {"a", "b"}  # 10 fair coin flips all equal: 1 in 512


def test_pairs_still_generating_are_not_handed_out(annotator):
    batch = BatchFactory()
    pair = pool_pair_ready(batch)
    type(pair).objects.filter(pk=pair.pk).update(ready_at=None)
    assert services.lease_claim(batch=batch, annotator=annotator) is None


def test_nobody_is_offered_a_pair_twice_and_overlap_means_distinct_people(annotator):
    batch = BatchFactory(overlap=2)
    pair = pool_pair_ready(batch)
    first = services.lease_claim(batch=batch, annotator=annotator)
    assert services.lease_claim(batch=batch, annotator=annotator) is None
    _submit(first, annotator)
    assert services.lease_claim(batch=batch, annotator=annotator) is None
    other = UserFactory()
    second = services.lease_claim(batch=batch, annotator=other)
    assert second.pair_id == pair.pk
    _submit(second, other)
    assert services.lease_claim(batch=batch, annotator=UserFactory()) is None
    assert Comparison.objects.filter(pair=pair).count() == 2


def test_the_open_lease_limit_is_enforced(annotator):
    batch = BatchFactory(max_open_leases=2)
    for _ in range(3):
        pool_pair_ready(batch)
    services.lease_claim(batch=batch, annotator=annotator)
    services.lease_claim(batch=batch, annotator=annotator)
    with pytest.raises(services.LeaseLimitReached, match="most allowed is 2"):
        services.lease_claim(batch=batch, annotator=annotator)


def test_next_resumes_the_lease_already_held(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    pool_pair_ready(batch)
    first = services.lease_next(batch=batch, annotator=annotator)
    assert services.lease_next(batch=batch, annotator=annotator).pk == first.pk


def test_next_renews_an_expired_lease_nobody_took(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _expire(lease)
    resumed = services.lease_next(batch=batch, annotator=annotator)
    assert resumed.pk == lease.pk and resumed.expires_at > timezone.now()


def test_an_expired_lease_goes_back_to_the_pool(annotator, other_annotator):
    batch = BatchFactory()
    pair = pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    assert services.lease_claim(batch=batch, annotator=other_annotator) is None
    _expire(lease)
    taken = services.lease_claim(batch=batch, annotator=other_annotator)
    assert taken.pair_id == pair.pk
    assert Lease.objects.get(pk=lease.pk).status == "expired"


def test_the_sweeper_frees_expired_slots(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _expire(lease)
    assert services.leases_expire() == 1
    assert JudgmentSlot.objects.get(pk=lease.slot_id).status == "free"
    assert Lease.objects.get(pk=lease.pk).status == "expired"


def test_submit_stores_the_choice_in_the_annotators_own_order(annotator):
    batch = BatchFactory()
    pair = pool_pair_ready(batch, texts=("from a", "from b"))
    lease = services.lease_claim(batch=batch, annotator=annotator)
    outcome = _submit(lease, annotator, side="left")
    comparison = outcome.comparison
    assert comparison.chosen.slot == lease.left_slot
    assert comparison.left_id == comparison.chosen_id
    assert comparison.context == pair.context and comparison.turn_index == 0
    assert not outcome.replayed and not outcome.late
    lease.refresh_from_db()
    assert (lease.status, lease.comparison_id) == ("submitted", comparison.pk)
    assert JudgmentSlot.objects.get(pk=lease.slot_id).status == "done"


def test_a_retried_submit_is_stored_once_and_answers_the_same(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    first = _submit(lease, annotator, key="retry-me")
    again = _submit(lease, annotator, key="retry-me", side="right")
    assert again.replayed and again.comparison.pk == first.comparison.pk
    assert Comparison.objects.filter(annotator=annotator).count() == 1
    with pytest.raises(services.LeaseConflict):
        _submit(lease, annotator, key="another-key")


def test_bad_input_changes_nothing(annotator):
    batch = BatchFactory(track="safety")
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    with pytest.raises(ValidationError) as error:
        _submit(lease, annotator, left_is_safe=False, right_is_safe=True)
    assert "chosen_side" in error.value.message_dict
    with pytest.raises(ValidationError):
        _submit(lease, annotator, key="")
    lease.refresh_from_db()
    assert lease.status == "open" and not Comparison.objects.exists()
    assert JudgmentSlot.objects.get(pk=lease.slot_id).status == "leased"


def test_a_late_submit_is_kept_while_the_pair_needs_judgments(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _expire(lease)
    services.leases_expire()
    outcome = _submit(lease, annotator)
    assert outcome.late and Comparison.objects.count() == 1


def test_a_late_submit_is_refused_when_someone_else_judged_the_pair(annotator, other_annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _expire(lease)
    taken = services.lease_claim(batch=batch, annotator=other_annotator)
    _submit(taken, other_annotator)
    with pytest.raises(services.LateSubmitRejected, match="not stored"):
        _submit(lease, annotator)
    assert Lease.objects.get(pk=lease.pk).status == "late_rejected"
    assert Comparison.objects.count() == 1


def test_skip_and_flag_end_the_lease_and_the_pair_is_not_offered_again(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    with pytest.raises(ValidationError):
        services.lease_skip(lease_id=lease.pk, annotator=annotator, reason="  ")
    services.lease_skip(lease_id=lease.pk, annotator=annotator, reason="I don't read Welsh")
    assert Lease.objects.get(pk=lease.pk).skip_reason == "I don't read Welsh"
    assert services.lease_claim(batch=batch, annotator=annotator) is None
    with pytest.raises(services.LeaseConflict):
        _submit(lease, annotator)


def test_two_flags_take_a_pair_out_of_the_queue(annotator, other_annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    for user in (annotator, other_annotator):
        lease = services.lease_claim(batch=batch, annotator=user)
        services.lease_flag(lease_id=lease.pk, annotator=user, reason="broken", note="cut off")
    assert JudgmentSlot.objects.get().status == "withdrawn"
    assert services.lease_claim(batch=batch, annotator=UserFactory()) is None


def test_release_gives_the_pair_back(annotator, other_annotator):
    batch = BatchFactory()
    pair = pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    services.lease_release(lease_id=lease.pk, annotator=annotator)
    assert services.lease_claim(batch=batch, annotator=other_annotator).pair_id == pair.pk


def test_only_assigned_annotators_may_claim(annotator, other_annotator):
    group = Group.objects.create(name="raters")
    other_annotator.groups.add(group)
    batch = BatchFactory(open_to_all_annotators=False)
    batch.groups.add(group)
    pool_pair_ready(batch)
    with pytest.raises(BatchNotOpenToYou):
        services.lease_claim(batch=batch, annotator=annotator)
    assert services.lease_claim(batch=batch, annotator=other_annotator) is not None


def test_another_annotators_lease_cannot_be_used(annotator, other_annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    with pytest.raises(Lease.DoesNotExist):
        _submit(lease, other_annotator)
    with pytest.raises(Lease.DoesNotExist):
        services.lease_release(lease_id=lease.pk, annotator=other_annotator)


@pytest.mark.parametrize("pool_size", [5, 60])
def test_a_claim_costs_the_same_few_queries_whatever_the_pool_size(pool_size):
    batch = BatchFactory()
    for _ in range(pool_size):
        pool_pair_ready(batch)
    users = [UserFactory() for _ in range(3)]
    for user in users[:2]:  # others' leases and judgments in the pool
        _submit(services.lease_claim(batch=batch, annotator=user), user)
    with CaptureQueriesContext(connection) as queries:
        assert services.lease_claim(batch=batch, annotator=users[2]) is not None
    assert len(queries) <= 8, [q["sql"] for q in queries]


# --- A re-claim after the lease ran out ------------------------------------------------------


def _ran_out_and_swept(lease) -> None:
    _expire(lease)
    assert services.leases_expire() == 1


def test_a_reclaim_after_expiry_reopens_the_same_lease(annotator):
    batch = BatchFactory(overlap=2, lease_minutes=30)
    pair = pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _ran_out_and_swept(lease)
    again = services.lease_claim(batch=batch, annotator=annotator)
    assert (again.pk, again.pair_id, again.left_slot) == (lease.pk, pair.pk, lease.left_slot)
    assert again.status == "open" and again.ended_at is None
    assert timedelta(minutes=29) < again.expires_at - timezone.now()
    assert Lease.objects.filter(annotator=annotator).count() == 1
    slot = JudgmentSlot.objects.get(pk=again.slot_id)
    assert (slot.status, slot.annotator_id) == ("leased", annotator.pk)


@pytest.mark.parametrize("first", ["old page", "new claim"])
def test_two_submits_after_a_reclaim_store_one_judgment_and_close_the_lease(annotator, first):
    batch = BatchFactory(overlap=2)
    pair = pool_pair_ready(batch)
    old = services.lease_claim(batch=batch, annotator=annotator)
    _ran_out_and_swept(old)
    new = services.lease_claim(batch=batch, annotator=annotator)
    earlier, later = (old, new) if first == "old page" else (new, old)
    outcome = _submit(earlier, annotator, key="first-tab")
    with pytest.raises(services.LeaseConflict, match="already submitted"):
        _submit(later, annotator, key="second-tab", side="right")
    assert Comparison.objects.get(pair=pair).pk == outcome.comparison.pk
    assert not Lease.objects.filter(annotator=annotator, status="open").exists()
    slots = dict(JudgmentSlot.objects.filter(pair=pair).values_list("status", "annotator_id"))
    assert slots == {"done": annotator.pk, "free": None}
    assert not outcome.late  # the re-claim renewed the lease


def test_next_after_the_sweep_resumes_the_same_lease(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_next(batch=batch, annotator=annotator)
    _ran_out_and_swept(lease)
    assert services.lease_next(batch=batch, annotator=annotator).pk == lease.pk
    assert services.leases_expire() == 0  # live again: the sweep leaves it alone


def test_a_late_submit_after_another_took_the_slot_still_fills_a_free_one(
    annotator, other_annotator
):
    batch = BatchFactory(overlap=2)
    pair = pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _ran_out_and_swept(lease)
    taken = services.lease_claim(batch=batch, annotator=other_annotator)
    assert taken.slot_id == lease.slot_id
    assert _submit(lease, annotator).late
    assert _submit(taken, other_annotator).comparison.pair_id == pair.pk
    assert Comparison.objects.filter(pair=pair).count() == 2


def test_the_database_allows_one_lease_per_annotator_and_pair_unless_released(annotator):
    batch = BatchFactory(overlap=2)
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    Lease.objects.filter(pk=lease.pk).update(status=Lease.Status.EXPIRED)
    second = Lease(
        slot=lease.slot,
        pair=lease.pair,
        batch=batch,
        annotator=annotator,
        left_slot="a",
        expires_at=timezone.now(),
        status=Lease.Status.RELEASED,
    )
    second.save()  # a released lease does not count
    second.status = Lease.Status.OPEN
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


# --- A closed batch --------------------------------------------------------------------------


def _close(batch) -> None:
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CLOSED)


def test_a_closed_batch_hands_out_no_claim_and_no_next(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    pool_pair_ready(batch)
    held = services.lease_claim(batch=batch, annotator=annotator)
    _close(batch)
    with pytest.raises(BatchNotOpenToYou):
        services.lease_claim(batch=batch, annotator=annotator)
    with pytest.raises(BatchNotOpenToYou):
        services.lease_next(batch=batch, annotator=annotator)
    assert list(Lease.objects.values_list("pk", flat=True)) == [held.pk]


def test_a_closed_batch_takes_a_judgment_while_its_lease_lasts(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _close(batch)
    outcome = _submit(lease, annotator)
    assert not outcome.late and Comparison.objects.count() == 1


@pytest.mark.parametrize("swept", [False, True])
def test_a_closed_batch_refuses_a_judgment_after_the_lease_ran_out(annotator, swept):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = services.lease_claim(batch=batch, annotator=annotator)
    _expire(lease)
    if swept:
        services.leases_expire()
    _close(batch)
    with pytest.raises(services.LateSubmitRejected, match="batch is closed"):
        _submit(lease, annotator)
    assert Lease.objects.get(pk=lease.pk).status == "late_rejected"
    assert not Comparison.objects.exists()
