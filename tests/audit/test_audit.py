"""The audit log: who created, closed or exported what, when, with which filters."""

from apps.accounts.services import api_token_create
from apps.audit.models import AuditEvent
from apps.batches.models import Batch
from tests.factories import BatchFactory, SamplingConfigFactory, UserFactory

CLOSED = {"status": "closed"}


def test_it_records_an_export_job_with_its_filters_and_token(client, db):
    boss = UserFactory(username="boss", is_staff=True)
    token, key = api_token_create(user=boss, name="ci", read_only=False)
    response = client.post(
        "/api/exports/jobs/",
        {"format": "hh", "track": "safety"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get()
    assert event.actor == boss
    assert event.token == token
    assert event.action == AuditEvent.Action.EXPORT_JOB_CREATED
    assert event.target == f"export_job:{response.json()['id']}"
    assert event.details["options"]["format"] == "hh"
    assert event.details["options"]["track"] == "safety"


def test_it_records_a_streamed_export(client, db):
    boss = UserFactory(username="boss", is_staff=True)
    client.force_login(boss)
    response = client.get("/api/exports/stream/", {"format": "trl", "track": "helpfulness"})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT_STREAMED)
    assert event.actor == boss
    assert event.details["options"]["track"] == "helpfulness"


def test_it_records_a_batch_created_and_closed_in_the_admin(admin_client, admin_user):
    sampling_a, sampling_b = SamplingConfigFactory(), SamplingConfigFactory()
    form = {
        "name": "Round 2",
        "track": "helpfulness",
        "guidelines": "Be helpful.",
        "sampling_a": sampling_a.pk,
        "sampling_b": sampling_b.pk,
        "status": "open",
        "iteration": 1,
        "max_turns": 3,
        "target_comparisons": 500,
        "overlap": 1,
        "allow_written_prompts": "on",
        "lease_minutes": 30,
        "max_open_leases": 3,
        "open_to_all_annotators": "on",
        "gold_rate": 0.1,
        "gold_min_count": 10,
        "gold_min_accuracy": 0.7,
        "qualification_pass_share": 0.8,
        "min_seconds_per_judgment": 5,
    }
    response = admin_client.post("/admin/batches/batch/add/", form)
    assert response.status_code == 302, response.context["adminform"].errors
    batch = Batch.objects.get(name="Round 2")
    created = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_CREATED)
    assert (created.actor, created.target) == (admin_user, f"batch:{batch.pk}")
    response = admin_client.post(f"/admin/batches/batch/{batch.pk}/change/", form | CLOSED)
    assert response.status_code == 302
    closed = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_STATUS_CHANGED)
    assert closed.details == {"from": "open", "to": CLOSED["status"]}


def test_it_shows_the_log_to_staff_only(client, admin_client, db):
    boss = UserFactory(username="boss", is_staff=True)
    batch = BatchFactory()
    AuditEvent.objects.create(
        actor=boss, action=AuditEvent.Action.BATCH_STATUS_CHANGED, target=f"batch:{batch.pk}"
    )
    page = admin_client.get("/admin/audit/auditevent/?action=batch_status_changed")
    assert page.status_code == 200
    assert f"batch:{batch.pk}".encode() in page.content
    client.force_login(UserFactory(username="ann"))
    assert client.get("/admin/audit/auditevent/").status_code == 302
