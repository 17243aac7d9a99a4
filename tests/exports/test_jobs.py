from datetime import timedelta

import orjson
import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from apps.accounts.services import api_token_create
from apps.exports.models import ExportJob
from apps.exports.tasks import export_job_run_task
from tests.exports.conftest import judge, user_make
from tests.factories import BatchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


@pytest.fixture
def judged(batch, annotator):
    return [
        judge(batch=batch, annotator=annotator, strength=s)
        for s in ("better", "slightly_better", "better")
    ]


def create(api, **options) -> dict:
    response = api.post("/api/exports/jobs/", options, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_job_goes_from_queued_to_done_with_progress_card_and_files(api, judged):
    job = create(api, format="trl", file_type="parquet", margin="small", test_fraction=0.5)
    assert job["state"] == "queued" and job["files"] == {}
    export_job_run_task(job["id"])
    done = api.get(f"/api/exports/jobs/{job['id']}/").json()
    assert done["state"] == "done"
    assert (done["rows_written"], done["rows_total"], done["progress"]) == (3, 3, 1.0)
    assert done["card"]["counts"]["strength"] == {"better": 2, "slightly_better": 1}
    assert done["heartbeat_at"] and done["finished_at"]
    data = api.get(done["files"]["data"])
    assert data.status_code == 200
    path = ExportJob.objects.get(pk=job["id"]).directory + "/data.parquet"
    assert pq.ParquetFile(path).metadata.num_rows == 3
    card = orjson.loads(b"".join(api.get(done["files"]["card"]).streaming_content))
    assert card["rows"] == 3 and card["margin_scheme"] == "small"
    readme = b"".join(api.get(done["files"]["readme"]).streaming_content).decode()
    assert "## Rows per strength" in readme and "| better | 2 |" in readme


def test_a_job_that_runs_twice_does_the_work_once(api, judged):
    job = create(api)
    export_job_run_task(job["id"])
    export_job_run_task(job["id"])
    assert ExportJob.objects.get(pk=job["id"]).attempts == 1


def test_a_failing_job_records_its_reason(api, judged, export_dir):
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    export_dir.write_text("a file where the export folder should be")
    job = create(api)
    export_job_run_task(job["id"])
    failed = api.get(f"/api/exports/jobs/{job['id']}/").json()
    assert failed["state"] == "failed"
    assert "Error" in failed["error"]
    assert api.get(f"/api/exports/jobs/{job['id']}/download/").status_code == 409


def test_a_running_job_whose_worker_stopped_shows_as_stalled_and_can_be_taken_over(api, judged):
    job = create(api)
    long_ago = timezone.now() - timedelta(minutes=30)
    ExportJob.objects.filter(pk=job["id"]).update(
        state="running", started_at=long_ago, heartbeat_at=long_ago, rows_written=1
    )
    assert api.get(f"/api/exports/jobs/{job['id']}/").json()["state"] == "stalled"
    export_job_run_task(job["id"])  # the redelivered task claims the abandoned job
    assert api.get(f"/api/exports/jobs/{job['id']}/").json()["state"] == "done"


def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(api, judged):
    job = create(api)
    ExportJob.objects.filter(pk=job["id"]).update(state="running", heartbeat_at=timezone.now())
    export_job_run_task(job["id"])
    assert api.get(f"/api/exports/jobs/{job['id']}/").json()["state"] == "running"


def test_a_job_no_worker_picks_up_shows_as_stalled(api, judged):
    job = create(api)
    ExportJob.objects.filter(pk=job["id"]).update(created_at=timezone.now() - timedelta(hours=2))
    assert api.get(f"/api/exports/jobs/{job['id']}/").json()["state"] == "stalled"


def test_another_user_gets_404_for_a_job_and_its_file(api, client, judged):
    job = create(api)
    export_job_run_task(job["id"])
    _, key = api_token_create(user=user_make("nosy", is_staff=True), name="nosy")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    assert client.get(f"/api/exports/jobs/{job['id']}/").status_code == 404
    assert client.get(f"/api/exports/jobs/{job['id']}/download/").status_code == 404
    assert client.get("/api/exports/jobs/").json() == []


def test_a_token_out_of_the_jobs_scope_gets_404(api, client, staff, judged):
    job = create(api)
    export_job_run_task(job["id"])
    _, key = api_token_create(user=staff, name="narrow", batch_ids=[BatchFactory().pk])
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    assert client.get(f"/api/exports/jobs/{job['id']}/download/").status_code == 404


def test_a_scoped_token_exports_only_its_batches(client, staff, batch, annotator):
    other = BatchFactory()
    judge(batch=batch, annotator=annotator)
    judge(batch=other, annotator=annotator)
    _, key = api_token_create(user=staff, name="w", read_only=False, batch_ids=[other.pk])
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    job = create(client)
    export_job_run_task(job["id"])
    done = client.get(f"/api/exports/jobs/{job['id']}/").json()
    assert done["card"]["counts"]["batch"] == {other.name: 1}
    assert client.get(done["files"]["data"]).status_code == 200


def test_a_read_only_token_cannot_start_a_job(client, staff):
    _, key = api_token_create(user=staff, name="ro", read_only=True)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    response = client.post("/api/exports/jobs/", {}, content_type="application/json")
    assert response.status_code == 403
    assert client.get("/api/exports/jobs/").status_code == 200


def test_job_options_are_validated_like_stream_options(api):
    response = api.post(
        "/api/exports/jobs/", {"format": "csv", "batches": [-1]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"format", "batches"}


def test_a_scoped_token_lists_and_reads_only_jobs_within_its_scope(api, client, staff, batch):
    other = BatchFactory()
    judge(batch=other, annotator=user_make("ann2"))
    everything = create(api)
    only_other = create(api, batches=[other.pk])
    only_batch = create(api, batches=[batch.pk])
    _, key = api_token_create(user=staff, name="other only", batch_ids=[other.pk])
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    assert [job["id"] for job in client.get("/api/exports/jobs/").json()] == [only_other["id"]]
    for hidden in (everything, only_batch):
        assert client.get(f"/api/exports/jobs/{hidden['id']}/").status_code == 404
        assert client.get(f"/api/exports/jobs/{hidden['id']}/download/").status_code == 404
    assert client.get(f"/api/exports/jobs/{only_other['id']}/").status_code == 200
