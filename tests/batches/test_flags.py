import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.assignments import services as queue
from apps.audit.models import AuditEvent
from apps.batches.flags import annotator_flag_lift, annotator_flag_raise
from apps.batches.models import AnnotatorFlag
from apps.batches.selectors import AnnotatorPaused, annotator_flags_active
from apps.dialogues import services as dialogues
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", is_staff=True)


def _pause(batch, annotator, actor=None):
    return annotator_flag_raise(
        batch=batch,
        annotator=annotator,
        reason="Gold accuracy 1 of 10 (10%, 95% CI 2%-40%) is under 70%",
        details={"gold_n": 10},
        pauses_work=True,
        actor=actor,
    )


def test_raising_is_audited_and_a_second_raise_returns_the_active_flag(annotator):
    batch = BatchFactory()
    flag = _pause(batch, annotator)
    again = annotator_flag_raise(
        batch=batch, annotator=annotator, reason="Other", details={}, pauses_work=False
    )
    assert again.pk == flag.pk and again.pauses_work
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.ANNOTATOR_PAUSED and event.actor is None
    assert list(annotator_flags_active(batch=batch)) == [flag]


def test_a_flag_that_does_not_pause_is_audited_as_a_flag(annotator, lead):
    flag = annotator_flag_raise(
        batch=BatchFactory(),
        annotator=annotator,
        reason="Rushed",
        details={},
        pauses_work=False,
        actor=lead,
    )
    assert flag.flagged_by == lead
    assert AuditEvent.objects.get().action == AuditEvent.Action.ANNOTATOR_FLAGGED


def test_a_paused_annotator_gets_no_new_pair_and_is_told_why_and_whom_to_ask(annotator, lead):
    batch = BatchFactory(created_by=lead)
    pool_pair_ready(batch)
    _pause(batch, annotator)
    with pytest.raises(AnnotatorPaused, match=r"paused.*Ask lead"):
        queue.lease_next(batch=batch, annotator=annotator)
    with pytest.raises(AnnotatorPaused):
        queue.lease_claim(batch=batch, annotator=annotator)


def test_a_paused_annotator_cannot_write_prompts(annotator):
    batch = BatchFactory()
    _pause(batch, annotator)
    with pytest.raises(AnnotatorPaused):
        dialogues.dialogue_start(batch=batch, annotator=annotator, text="Hello there")


def test_the_lease_held_when_paused_may_still_be_submitted(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    lease = queue.lease_claim(batch=batch, annotator=annotator)
    _pause(batch, annotator)
    outcome = queue.lease_submit(
        lease_id=lease.pk,
        annotator=annotator,
        idempotency_key="k",
        chosen_side="left",
        strength="better",
        time_spent_ms=2000,
    )
    assert outcome.comparison.pk is not None


def test_the_pause_is_only_in_its_batch_and_never_for_other_annotators(annotator, other_annotator):
    batch, elsewhere = BatchFactory(), BatchFactory()
    pool_pair_ready(batch)
    pool_pair_ready(elsewhere)
    _pause(batch, annotator)
    assert queue.lease_claim(batch=elsewhere, annotator=annotator) is not None
    assert queue.lease_claim(batch=batch, annotator=other_annotator) is not None


def test_lifting_restores_work_and_is_audited(annotator, lead):
    batch = BatchFactory()
    pool_pair_ready(batch)
    flag = _pause(batch, annotator)
    lifted = annotator_flag_lift(flag_id=flag.pk, actor=lead, note="Talked it through")
    assert lifted.lifted_by == lead and lifted.lifted_at is not None
    assert queue.lease_claim(batch=batch, annotator=annotator) is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.FLAG_LIFTED)
    assert event.actor == lead and event.details["note"] == "Talked it through"
    assert not annotator_flags_active(batch=batch).exists()
    with pytest.raises(ValidationError, match="already lifted"):
        annotator_flag_lift(flag_id=flag.pk, actor=lead)
    assert AnnotatorFlag.objects.count() == 1  # never deleted


def test_the_api_answers_403_with_the_reason(annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    _pause(batch, annotator)
    _, key = api_token_create(user=annotator, name="q", read_only=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answer = client.post(f"/api/queue/batches/{batch.pk}/claim/")
    assert answer.status_code == 403
    assert "paused" in answer.json()["detail"]


def test_the_batch_list_shows_a_paused_batch_as_paused(client, annotator):
    batch = BatchFactory(name="Week 3")
    _pause(batch, annotator)
    client.force_login(annotator)
    page = client.get("/batches/").content.decode()
    assert "Week 3" in page and "Paused for you" in page


def test_next_on_a_paused_batch_lands_on_the_overview_saying_why(client, annotator):
    batch = BatchFactory()
    pool_pair_ready(batch)
    _pause(batch, annotator)
    client.force_login(annotator)
    answer = client.post(f"/batches/{batch.pk}/next/", follow=True)
    page = answer.content.decode()
    assert 'id="refusal"' in page and "paused" in page
    assert 'id="next-pair"' not in page


def test_staff_are_never_paused(lead):
    batch = BatchFactory()
    pool_pair_ready(batch)
    _pause(batch, lead)
    assert queue.lease_claim(batch=batch, annotator=lead) is not None


def test_the_batch_page_says_the_work_is_paused(client, annotator):
    batch = BatchFactory()
    _pause(batch, annotator)
    client.force_login(annotator)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert 'id="standing"' in page and "is paused" in page
