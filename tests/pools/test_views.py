"""The staff pool page: upload form, line report, past uploads, progress bar and its JSON.

A file posted here is stored and imported by a job; `jobs_run` runs that job's service here,
in the test's transaction (tests/pools/test_upload_jobs.py runs it in a real Celery worker).
"""

import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.batches.models import Batch
from apps.pairs.models import Pair, Sample
from apps.pools.models import PoolItem, PoolUpload
from apps.pools.services import pool_import
from apps.pools.upload_jobs import pool_upload_run

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


def upload_url(batch) -> str:
    return reverse("pools:upload", args=[batch.pk])


def progress_url(batch) -> str:
    return reverse("pools:progress", args=[batch.pk])


def jsonl_file(rows, name="pool.jsonl") -> SimpleUploadedFile:
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return SimpleUploadedFile(name, data, content_type="application/json")


def jobs_run() -> None:
    for upload in PoolUpload.objects.filter(state="queued"):
        pool_upload_run(upload_id=upload.pk)


@pytest.fixture
def client_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.mark.parametrize("url", [upload_url, progress_url])
def test_it_sends_anonymous_users_to_the_login_page(client, batch, url):
    response = client.get(url(batch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", [upload_url, progress_url])
def test_it_refuses_annotators(client, annotator, batch, url):
    client.force_login(annotator)
    assert client.get(url(batch)).status_code == 403


def test_it_refuses_an_annotators_upload_and_stores_nothing(client, annotator, batch):
    client.force_login(annotator)
    response = client.post(upload_url(batch), {"file": jsonl_file([{"prompt": "x"}])})
    assert response.status_code == 403
    assert not PoolUpload.objects.exists()


def test_it_answers_404_for_a_missing_batch(client_staff):
    assert client_staff.get(reverse("pools:upload", args=[999_999])).status_code == 404
    assert client_staff.get(reverse("pools:progress", args=[999_999])).status_code == 404


def test_it_shows_the_form_limits_and_an_empty_progress_bar(client_staff, batch):
    response = client_staff.get(upload_url(batch))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert '<progress id="pool-progress" max="1" value="0">0 / 0</progress>' in html
    assert "Nothing uploaded yet." in html
    assert "js/pool_progress.js" in html
    assert "style=" not in html and "onerror=" not in html


def test_it_imports_an_upload_and_redirects_to_the_page(client_staff, batch, staff):
    rows = [{"prompt": "Tell me about tea."}, {"prompt": "And coffee?", "category": "drinks"}]
    response = client_staff.post(upload_url(batch), {"file": jsonl_file(rows)})
    assert response.status_code == 302
    assert response["Location"] == upload_url(batch)
    upload = PoolUpload.objects.get()
    assert (upload.batch, upload.state, upload.uploaded_by) == (batch, "queued", staff)
    assert not Pair.objects.exists(), "nothing is parsed in the request"
    html = client_staff.get(upload_url(batch)).content.decode()
    assert "Received pool.jsonl (" in html and "the progress shows below" in html
    assert f'id="upload-{upload.pk}-cancel"' in html
    jobs_run()
    upload.refresh_from_db()
    assert (upload.state, upload.rows, upload.rows_imported, upload.stored_path) == (
        "done",
        2,
        2,
        "",
    )
    html = client_staff.get(upload_url(batch)).content.decode()
    assert "<td>pool.jsonl</td><td>JSON Lines</td><td>2</td>" in html
    # Two responses per pair.
    assert '<progress id="pool-progress" max="4" value="0">0 / 4</progress>' in html


def test_it_reports_each_bad_line_and_imports_nothing(client_staff, batch):
    data = b'{"prompt": "ok"}\n{"prompt": ""}\n\n{bad json\n{"prompt": "ok"}\n'
    file = SimpleUploadedFile("pool.jsonl", data)
    assert client_staff.post(upload_url(batch), {"file": file}).status_code == 302
    jobs_run()
    html = client_staff.get(upload_url(batch)).content.decode()
    assert "2 lines have errors; nothing was imported." in html
    assert '<span class="pool-line">Line 2:</span> &quot;prompt&quot; is empty' in html
    assert '<span class="pool-line">Line 4:</span> malformed JSON in line' in html
    upload = PoolUpload.objects.get()
    assert (upload.state, upload.bad_line_count) == ("failed", 2)
    assert not upload.items.exists() and not Pair.objects.exists()
    report = client_staff.get(reverse("pools:upload-report", args=[batch.pk, upload.pk]))
    assert report["Content-Type"].startswith("text/csv")
    assert report.content.decode().splitlines() == [
        "line,message",
        '2,"""prompt"" is empty"',
        "4,malformed JSON in line: Expecting property name enclosed in double quotes (column 2)",
    ]


def test_it_caps_the_report_and_counts_the_lines_not_listed(client_staff, batch):
    file = SimpleUploadedFile("pool.jsonl", b'{"prompt": 1}\n' * 230)
    client_staff.post(upload_url(batch), {"file": file})
    jobs_run()
    html = client_staff.get(upload_url(batch)).content.decode()
    assert html.count('<span class="pool-line">') == 200
    assert "… and 30 more bad lines not listed." in html


def test_it_refuses_a_file_over_the_size_limit_with_a_form_error(client_staff, batch, settings):
    settings.POOL_UPLOAD_MAX_BYTES = 50
    file = SimpleUploadedFile("pool.jsonl", b'{"prompt": "%s"}\n' % (b"x" * 60))
    response = client_staff.post(upload_url(batch), {"file": file})
    assert response.status_code == 400
    assert "the limit is 50 bytes" in response.content.decode()
    assert not PoolUpload.objects.exists()


def test_it_refuses_a_file_over_the_row_limit_with_a_clear_error(client_staff, batch, settings):
    settings.POOL_UPLOAD_MAX_ROWS = 2
    file = jsonl_file([{"prompt": "p"}] * 3)
    assert client_staff.post(upload_url(batch), {"file": file}).status_code == 302
    jobs_run()
    assert "The file has more than 2 rows" in client_staff.get(upload_url(batch)).content.decode()
    assert PoolUpload.objects.get().state == "failed" and not Pair.objects.exists()


def test_it_asks_for_a_file_when_none_is_sent(client_staff, batch):
    response = client_staff.post(upload_url(batch), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    empty = client_staff.post(upload_url(batch), {"file": SimpleUploadedFile("e.csv", b"")})
    assert "The submitted file is empty." in empty.content.decode()


def test_cancelling_a_queued_upload_ends_it_at_once_and_deletes_its_file(client_staff, batch):
    client_staff.post(upload_url(batch), {"file": jsonl_file([{"prompt": "x"}])})
    upload = PoolUpload.objects.get()
    stored = upload.stored_path
    cancel = reverse("pools:upload-cancel", args=[batch.pk, upload.pk])
    html = client_staff.post(cancel, follow=True).content.decode()
    assert "Cancelling pool.jsonl: nothing of it is kept." in html
    upload.refresh_from_db()
    assert upload.state == "cancelled" and not Pair.objects.exists()
    assert not os.path.exists(stored)
    jobs_run()  # a job delivered afterwards leaves it cancelled
    assert pool_upload_run(upload_id=upload.pk) == "cancelled"
    assert not PoolItem.objects.exists()


def test_it_accepts_csv_uploads(client_staff, batch):
    file = SimpleUploadedFile("pool.csv", b"prompt,category\nHi,greeting\n", "text/csv")
    assert client_staff.post(upload_url(batch), {"file": file}).status_code == 302
    jobs_run()
    assert PoolUpload.objects.get().file_format == "csv"
    assert PoolUpload.objects.get().state == "done"


def test_it_shows_no_form_for_a_closed_batch_and_refuses_posts(client_staff, batch):
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CLOSED)
    html = client_staff.get(upload_url(batch)).content.decode()
    assert "pool-upload-form" not in html
    assert "only draft or open batches take uploads" in html
    response = client_staff.post(upload_url(batch), {"file": jsonl_file([{"prompt": "x"}])})
    assert response.status_code == 400
    assert not PoolUpload.objects.exists()


def test_it_escapes_hostile_text_in_the_report_and_the_upload_list(client_staff, batch, staff):
    pool_import(
        batch=batch,
        uploaded_by=staff,
        filename=f"{HOSTILE}.jsonl",
        data=json.dumps({"prompt": HOSTILE, "category": HOSTILE}).encode(),
    )
    bad = json.dumps({"messages": [{"role": HOSTILE, "content": "x"}]}).encode()
    file = SimpleUploadedFile(f"{HOSTILE}.csv.jsonl", b"\n" + bad + b"\n")
    client_staff.post(upload_url(batch), {"file": file})
    jobs_run()
    html = client_staff.get(upload_url(batch)).content.decode()
    assert "Line 2:" in html and "unknown role" in html
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # the upload's filename


def test_it_keeps_non_ascii_filenames_and_shows_them(client_staff, batch):
    file = jsonl_file([{"prompt": "Grüß Gott 🙂"}], name="prömpts 中文.jsonl")
    assert client_staff.post(upload_url(batch), {"file": file}).status_code == 302
    assert "<td>prömpts 中文.jsonl</td>" in client_staff.get(upload_url(batch)).content.decode()


def test_the_progress_endpoint_counts_ready_failed_and_pending_pool_pairs(
    client_staff, batch, staff
):
    data = "".join(json.dumps({"prompt": f"p{i}"}) + "\n" for i in range(4)).encode()
    pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=data)
    ready, failed, half, _ = Pair.objects.filter(batch=batch).order_by("pk")
    Sample.objects.filter(pair=ready).update(status="done", completion_tokens=1, text="x")
    Pair.objects.filter(pk=ready.pk).update(ready_at=timezone.now())
    Sample.objects.filter(pair=failed).update(status="failed", error="model exploded")
    Sample.objects.filter(pair=half, slot="a").update(status="done", completion_tokens=1)
    response = client_staff.get(progress_url(batch))
    assert response.status_code == 200
    assert response.json() == {
        "total": 4,
        "ready": 1,
        "failed": 1,
        "pending": 2,
        "samples_total": 8,
        "samples_done": 3,
        "failed_samples": 2,
        "uploads": [],
    }
    html = client_staff.get(upload_url(batch)).content.decode()
    assert '<progress id="pool-progress" max="8" value="3">' in html


def test_the_progress_bar_moves_with_each_finished_response_before_any_pair_is_ready(
    client_staff, batch, staff
):
    # A worker batches by model variant: every side-A response may finish before any side B.
    data = "".join(json.dumps({"prompt": f"p{i}"}) + "\n" for i in range(3)).encode()
    pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=data)
    Sample.objects.filter(pair__batch=batch, slot="a").update(status="done", completion_tokens=1)
    progress = client_staff.get(progress_url(batch)).json()
    assert (progress["ready"], progress["samples_done"], progress["samples_total"]) == (0, 3, 6)
    html = client_staff.get(upload_url(batch)).content.decode()
    assert '<progress id="pool-progress" max="6" value="3">3 / 6</progress>' in html
    assert '<span id="pool-samples-done">3</span> / <span id="pool-samples-total">6</span>' in html


def test_the_progress_counts_only_this_batchs_pool_pairs(client_staff, batch, staff, annotator):
    from apps.dialogues.services import dialogue_start
    from tests.factories import BatchFactory

    other = BatchFactory()
    pool_import(batch=other, uploaded_by=staff, filename="p.jsonl", data=b'{"prompt": "x"}')
    dialogue_start(batch=batch, annotator=annotator, text="written by hand")
    assert client_staff.get(progress_url(batch)).json()["total"] == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("big.jsonl", b'{"prompt": "from disk"}\n{"prompt": "too"}\n'),
        ("big.csv", b"prompt,category\r\nfrom disk,c\r\ntoo,c\r\n"),
    ],
)
def test_it_reads_uploads_django_spooled_to_a_temporary_file(
    client_staff, batch, settings, name, data
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # anything larger goes to a temporary file
    response = client_staff.post(upload_url(batch), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302
    jobs_run()
    assert PoolUpload.objects.get().rows == 2
