"""Export files are deleted EXPORT_RETENTION_DAYS after the job ends; the job reads expired."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.exports.models import ExportJob
from apps.exports.services import export_job_directory
from apps.exports.tasks import export_job_run_task, export_jobs_expire_task
from tests.exports.conftest import judge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.EXPORT_RETENTION_DAYS = 7
    return settings.EXPORT_DIR


def finished_job(api, *, days_ago: float) -> ExportJob:
    response = api.post("/api/exports/jobs/", {"format": "trl"}, content_type="application/json")
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    export_job_run_task(job_id)
    ended = timezone.now() - timedelta(days=days_ago)
    ExportJob.objects.filter(pk=job_id).update(finished_at=ended)
    return ExportJob.objects.get(pk=job_id)


def test_old_done_jobs_lose_their_files_and_read_expired(api, batch, annotator):
    judge(batch=batch, annotator=annotator)
    old = finished_job(api, days_ago=8)
    recent = finished_job(api, days_ago=6)
    assert old.state == "done" and export_job_directory(job_id=old.pk).is_dir()

    assert export_jobs_expire_task() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.state == "expired" and not export_job_directory(job_id=old.pk).exists()
    assert (
        recent.state == "done" and (export_job_directory(job_id=recent.pk) / "data.jsonl").is_file()
    )
    detail = api.get(f"/api/exports/jobs/{old.pk}/").json()
    assert detail["state"] == "expired" and detail["files"] == {}
    assert api.get(f"/api/exports/jobs/{old.pk}/download/").status_code == 410
    assert api.get(f"/api/exports/jobs/{recent.pk}/download/").status_code == 200
    # Running it again changes nothing.
    assert export_jobs_expire_task() == 0


def test_old_failed_jobs_keep_their_reason_and_lose_partial_files(api, staff):
    job = ExportJob.objects.create(
        created_by=staff,
        options={"format": "trl"},
        state=ExportJob.State.FAILED,
        error="OSError: disk full",
        finished_at=timezone.now() - timedelta(days=30),
    )
    partial = export_job_directory(job_id=job.pk)
    partial.mkdir(parents=True)
    (partial / "data.jsonl").write_bytes(b"{}\n")
    out = io.StringIO()
    call_command("expire_exports", stdout=out)
    assert out.getvalue().strip() == "0 export job(s) expired."
    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", "OSError: disk full")
    assert not partial.exists()


def test_running_and_queued_jobs_are_never_touched(staff, export_dir):
    long_ago = timezone.now() - timedelta(days=60)
    running = ExportJob.objects.create(
        created_by=staff, options={}, state=ExportJob.State.RUNNING, started_at=long_ago
    )
    (export_job_directory(job_id=running.pk)).mkdir(parents=True)
    ExportJob.objects.filter(pk=running.pk).update(created_at=long_ago)
    assert export_jobs_expire_task() == 0
    assert export_job_directory(job_id=running.pk).is_dir()
