"""Uploads from the pool page, checked and imported by the job in a real Celery worker.

The worker shares the test database and the upload folder; it imports in chunks of 100 rows
here (POOL_IMPORT_CHUNK_ROWS) so that progress and cancellation happen between many chunks.
"""

import json
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pools.models import PoolItem, PoolUpload
from apps.preferences.models import GoldAnswer
from tests.factories import BatchFactory, UserFactory
from tests.worker_process import (
    WORKER_READY_TIMEOUT_S,
    CeleryWorker,
    purge_queues,
    shared_test_db_name,
    wait_until,
    worker_env,
)

pytestmark = [pytest.mark.worker]

CHUNK_ROWS = 100
JOB_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pool_uploads")


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, upload_dir, tmp_path_factory):
    env = worker_env(
        test_db_name=shared_test_db_name(django_db_blocker),
        POOL_UPLOAD_DIR=str(upload_dir),
        POOL_IMPORT_CHUNK_ROWS=str(CHUNK_ROWS),
        WORKER_PRELOAD_MODELS="0",  # imports need no model
    )
    purge_queues()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = CeleryWorker(env=env, log_path=log, node_name=f"pool-jobs-{os.getpid()}@%h")
    try:
        worker.wait_ready(WORKER_READY_TIMEOUT_S)
        yield worker
    finally:
        worker.stop()
        purge_queues()


@pytest.fixture
def staff_client(client, transactional_db, settings, upload_dir, worker):
    settings.POOL_UPLOAD_DIR = upload_dir
    client.force_login(UserFactory(username="boss", is_staff=True))
    return client


def rows_file(count: int, *, bad_line: int | None = None, gold_every: int = 0) -> bytes:
    """Rows with supplied responses (nothing for the worker to generate afterwards)."""
    lines = []
    for i in range(1, count + 1):
        row = {"prompt": f"Prompt {i}", "response_a": f"A {i}", "response_b": f"B {i}"}
        if gold_every and i % gold_every == 0:
            row["gold"] = "a"
        lines.append('{"prompt": ""}' if i == bad_line else json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


def upload_post(client, batch, data: bytes) -> PoolUpload:
    response = client.post(
        reverse("pools:upload", args=[batch.pk]), {"file": SimpleUploadedFile("big.jsonl", data)}
    )
    assert response.status_code == 302
    return PoolUpload.objects.get(batch=batch)


def upload_state(upload: PoolUpload) -> str:
    upload.refresh_from_db()
    return upload.state


def stored_nothing(batch) -> bool:
    return not any(
        model.objects.filter(**{lookup: batch}).exists()
        for model, lookup in (
            (PoolItem, "batch"),
            (Pair, "batch"),
            (Sample, "pair__batch"),
            (JudgmentSlot, "batch"),
            (GoldAnswer, "batch"),
        )
    )


def test_the_worker_imports_an_upload_and_the_page_shows_its_progress(
    staff_client, worker, upload_dir
):
    batch = BatchFactory(overlap=2)
    upload = upload_post(staff_client, batch, rows_file(3000, gold_every=1000))
    progress_url = reverse("pools:progress", args=[batch.pk])
    seen = []
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while upload_state(upload) not in ("done", "failed") and time.monotonic() < deadline:
        seen += staff_client.get(progress_url).json()["uploads"]
        time.sleep(0.05)
    assert upload.state == "done", f"{upload.message}\n{worker.log_tail()}"
    assert (upload.rows, upload.rows_checked, upload.rows_imported) == (3000, 3000, 3000)
    midway = [u["rows_imported"] for u in seen if u["state"] == "importing"]
    assert any(0 < n < 3000 for n in midway), f"no progress seen midway: {seen[-5:]}"
    assert midway == sorted(midway), "the progress only moves forward"
    assert PoolItem.objects.filter(upload=upload).count() == 3000
    assert Pair.objects.filter(batch=batch, ready_at__isnull=False).count() == 3000
    # Two free slots per pair, but gold pairs' slots are withdrawn.
    assert JudgmentSlot.objects.filter(batch=batch, status="free").count() == 2 * (3000 - 3)
    assert set(GoldAnswer.objects.filter(batch=batch).values_list("expected_slot", flat=True)) == {
        "a"
    }
    assert GoldAnswer.objects.filter(batch=batch).count() == 3
    assert AuditEvent.objects.filter(action="pool_uploaded", target=f"batch:{batch.pk}").exists()
    assert upload.stored_path == "" and not list(upload_dir.glob(f"{upload.pk}-*"))
    assert staff_client.get(progress_url).json()["uploads"] == []
    html = staff_client.get(reverse("pools:upload", args=[batch.pk])).content.decode()
    assert "<td>big.jsonl</td><td>JSON Lines</td><td>3000</td>" in html and "Done" in html


def test_a_bad_line_near_the_end_is_reported_and_nothing_is_stored(
    staff_client, worker, upload_dir
):
    batch = BatchFactory()
    upload = upload_post(staff_client, batch, rows_file(3000, bad_line=2990))
    wait_until(
        lambda: upload_state(upload) in ("done", "failed"),
        timeout_s=JOB_TIMEOUT_S,
        worker=worker,
        what="the job to end",
    )
    assert upload.state == "failed"
    assert upload.message == "1 line has errors; nothing was imported."
    assert upload.bad_lines == [{"line": 2990, "message": '"prompt" is empty'}]
    assert stored_nothing(batch)
    assert upload.stored_path == "" and not list(upload_dir.glob(f"{upload.pk}-*"))
    html = staff_client.get(reverse("pools:upload", args=[batch.pk])).content.decode()
    assert '<span class="pool-line">Line 2990:</span> &quot;prompt&quot; is empty' in html
    report = staff_client.get(reverse("pools:upload-report", args=[batch.pk, upload.pk]))
    assert report.content.decode().splitlines()[1] == '2990,"""prompt"" is empty"'


def test_cancelling_mid_import_rolls_everything_back(staff_client, worker):
    batch = BatchFactory(overlap=1)
    upload = upload_post(staff_client, batch, rows_file(20_000))

    def importing_a_while() -> bool:
        upload.refresh_from_db()
        assert upload.state in ("queued", "checking", "importing"), upload.message
        return upload.state == "importing" and upload.rows_imported >= 3 * CHUNK_ROWS

    wait_until(importing_a_while, timeout_s=JOB_TIMEOUT_S, worker=worker, what="the import")
    cancel_url = reverse("pools:upload-cancel", args=[batch.pk, upload.pk])
    page = staff_client.post(cancel_url, follow=True).content.decode()
    assert "Cancelling big.jsonl: nothing of it is kept." in page
    wait_until(
        lambda: upload_state(upload) != "importing",
        timeout_s=JOB_TIMEOUT_S,
        worker=worker,
        what="the job to stop",
    )
    assert (upload.state, upload.rows_imported) == ("cancelled", 0)
    assert stored_nothing(batch)
    assert not AuditEvent.objects.filter(target=f"batch:{batch.pk}").exists()
    again = staff_client.post(cancel_url, follow=True).content.decode()
    assert "big.jsonl has already ended; nothing was cancelled." in again
