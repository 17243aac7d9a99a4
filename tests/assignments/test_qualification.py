import pytest
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.assignments import services as queue
from apps.audit.models import AuditEvent
from apps.batches.flags import qualification_reset
from apps.batches.models import Qualification
from apps.batches.selectors import QualificationNeeded
from apps.dialogues import services as dialogues
from apps.preferences.gold import gold_mark
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, UserFactory, pool_pair_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", is_staff=True)


def _qualifying_batch(lead, n=3, pass_share=0.6):
    batch = BatchFactory(
        qualification_required=True, qualification_pass_share=pass_share, created_by=lead
    )
    pairs = []
    for i in range(n):
        pair = pool_pair_ready(batch, prompt=f"Qualify {i}")
        gold_mark(
            pair=pair,
            expected_slot="a",
            min_strength="slightly_better",
            for_qualification=True,
            explanation=f"A is right <b>{i}</b>",
            source="pool_file",
            actor=lead,
        )
        pairs.append(pair)
    work = pool_pair_ready(batch, prompt="Real work")
    return batch, pairs, work


def _answer(lease, user, *, right: bool, key="k"):
    want = "a" if right else "b"
    return queue.lease_submit(
        lease_id=lease.pk,
        annotator=user,
        idempotency_key=key,
        chosen_side="left" if lease.left_slot == want else "right",
        strength="better",
        time_spent_ms=3000,
    )


def test_qualification_pairs_come_first_in_a_fixed_order_one_at_a_time(lead, annotator):
    batch, pairs, _work = _qualifying_batch(lead)
    first = queue.lease_next(batch=batch, annotator=annotator)
    assert first.pair_id == pairs[0].pk
    assert Qualification.objects.get(annotator=annotator).status == "in_progress"
    # Next again, or a claim: the same pair until it is answered.
    assert queue.lease_next(batch=batch, annotator=annotator).pk == first.pk
    assert queue.lease_claim(batch=batch, annotator=annotator).pk == first.pk
    _answer(first, annotator, right=True)
    assert queue.lease_next(batch=batch, annotator=annotator).pair_id == pairs[1].pk


def test_passing_the_set_opens_real_work(lead, annotator):
    batch, pairs, work = _qualifying_batch(lead)
    for i, right in enumerate([True, False, True]):
        _answer(
            queue.lease_next(batch=batch, annotator=annotator), annotator, right=right, key=f"{i}"
        )
    qualification = Qualification.objects.get(annotator=annotator)
    assert (qualification.status, qualification.answered, qualification.correct) == ("passed", 3, 2)
    assert queue.lease_next(batch=batch, annotator=annotator).pair_id == work.pk
    event = AuditEvent.objects.get(action=AuditEvent.Action.QUALIFICATION_FINISHED)
    assert event.actor is None and event.details["status"] == "passed"
    graded = Comparison.objects.filter(pair__in=pairs).values_list("gold_correct", flat=True)
    assert sorted(graded) == [False, True, True]


def test_failing_the_set_means_no_work_until_staff_reset_it(lead, annotator):
    batch, pairs, _work = _qualifying_batch(lead)
    for i in range(3):
        _answer(
            queue.lease_next(batch=batch, annotator=annotator), annotator, right=False, key=f"{i}"
        )
    assert Qualification.objects.get(annotator=annotator).status == "failed"
    with pytest.raises(QualificationNeeded, match=r"did not pass.*Ask lead"):
        queue.lease_next(batch=batch, annotator=annotator)
    qualification_reset(batch=batch, annotator=annotator, actor=lead)
    event = AuditEvent.objects.get(action=AuditEvent.Action.QUALIFICATION_RESET)
    assert event.actor == lead and event.details["correct"] == 0
    # Afresh: the first qualification pair again.
    again = queue.lease_next(batch=batch, annotator=annotator)
    assert again.pair_id == pairs[0].pk
    for i in range(3):
        lease = again if i == 0 else queue.lease_next(batch=batch, annotator=annotator)
        _answer(lease, annotator, right=True, key=f"again{i}")
    assert Qualification.objects.get(annotator=annotator).status == "passed"


def test_written_prompts_wait_for_a_passed_qualification(lead, annotator):
    batch, _, _ = _qualifying_batch(lead)
    with pytest.raises(QualificationNeeded, match="pass its qualification first"):
        dialogues.dialogue_start(batch=batch, annotator=annotator, text="My own prompt")


def test_an_empty_qualification_set_is_said_plainly(lead, annotator):
    batch = BatchFactory(qualification_required=True)
    pool_pair_ready(batch)
    with pytest.raises(QualificationNeeded, match="qualification set is not ready"):
        queue.lease_next(batch=batch, annotator=annotator)


def test_staff_skip_the_qualification(lead):
    batch, _, work = _qualifying_batch(lead)
    assert queue.lease_next(batch=batch, annotator=lead).pair_id == work.pk


def test_the_page_shows_feedback_after_each_answer_escaped(client, lead, annotator):
    batch, pairs, _ = _qualifying_batch(lead)
    client.force_login(annotator)
    lease = queue.lease_next(batch=batch, annotator=annotator)
    wrong = "right" if lease.left_slot == "a" else "left"
    answer = client.post(
        f"/leases/{lease.pk}/",
        {"idempotency_key": "k1", "chosen_side": wrong, "strength": "better", "time_spent_ms": 900},
    )
    assert answer.status_code == 302 and answer.url == f"/leases/{lease.pk}/feedback/"
    page = client.get(answer.url).content.decode()
    assert "differs from the expected one" in page
    expected = "left" if lease.left_slot == "a" else "right"
    assert f"the <strong>{expected}</strong> response, slightly better or stronger" in page
    assert "A is right &lt;b&gt;0&lt;/b&gt;" in page
    assert "1 of 3 qualification pairs answered" in page
    assert 'id="continue"' in page and "qualification_feedback.js" in page
    # Continue hands out the next qualification pair.
    after = client.post(f"/batches/{batch.pk}/next/")
    next_lease = queue.lease_next(batch=batch, annotator=annotator)
    assert after.url == f"/leases/{next_lease.pk}/" and next_lease.pair_id == pairs[1].pk


def test_the_api_marks_qualification_pairs_and_returns_feedback(lead, annotator):
    batch, _pairs, _work = _qualifying_batch(lead, n=1, pass_share=1.0)
    _, key = api_token_create(user=annotator, name="q", read_only=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    claimed = client.post(f"/api/queue/batches/{batch.pk}/claim/").json()
    assert claimed["qualification"] is True
    left_is_a = claimed["left"]["text"] == "Response A"
    submit = client.post(
        f"/api/queue/leases/{claimed['id']}/submit/",
        {"chosen_side": "left" if left_is_a else "right", "strength": "better", "time_spent_ms": 5},
        format="json",
        HTTP_IDEMPOTENCY_KEY="q1",
    ).json()
    feedback = submit["feedback"]
    assert feedback["matched"] is True and feedback["status"] == "passed"
    assert feedback["expected_side"] == ("left" if left_is_a else "right")
    assert (feedback["answered"], feedback["total"]) == (1, 1)
    real = client.post(f"/api/queue/batches/{batch.pk}/claim/").json()
    assert real["qualification"] is False
    done = client.post(
        f"/api/queue/leases/{real['id']}/submit/",
        {"chosen_side": "left", "strength": "better", "time_spent_ms": 5},
        format="json",
        HTTP_IDEMPOTENCY_KEY="w1",
    ).json()
    assert done["feedback"] is None


def test_the_openapi_schema_documents_the_qualification_fields(client, annotator):
    client.force_login(annotator)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert "qualification" in components["LeaseOutput"]["properties"]
    assert "feedback" in components["SubmitOutput"]["properties"]
    assert set(components["QualificationFeedback"]["properties"]) >= {
        "expected_side",
        "min_strength",
        "explanation",
        "matched",
    }
