"""pool_import: all rows or none, one pair per row with its samples and slots, then the queue."""

import io
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.batches.models import Batch
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pools.models import PoolItem, PoolUpload
from apps.pools.parsing import PoolFileError
from apps.pools.services import pool_import

pytestmark = pytest.mark.django_db

ROWS = [
    {"prompt": "Write a haiku about tea.", "category": "poetry", "source": "seed"},
    {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Tell me a joke."},
        ],
        "metadata": {"id": "x-2", "tags": ["a", "b"]},
    },
]


def jsonl(rows) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def everything_count() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (PoolUpload, PoolItem, Pair, Sample, JudgmentSlot, AuditEvent)
    }


def test_it_imports_items_pairs_samples_and_slots(batch, staff, django_capture_on_commit_callbacks):
    batch.overlap = 3
    batch.save()
    with django_capture_on_commit_callbacks():
        upload = pool_import(
            batch=batch, uploaded_by=staff, filename="seed.jsonl", data=jsonl(ROWS)
        )
    assert (upload.rows, upload.file_format, upload.uploaded_by) == (2, "jsonl", staff)
    first, second = upload.items.order_by("line_number")
    assert first.context == [{"role": "user", "content": ROWS[0]["prompt"]}]
    assert (first.category, first.metadata) == ("poetry", {"source": "seed"})
    assert second.context == ROWS[1]["messages"]
    assert second.metadata == {"id": "x-2", "tags": ["a", "b"]}
    for item in (first, second):
        pair = item.pair
        assert (pair.batch, pair.dialogue, pair.user_turn) == (batch, None, None)
        assert pair.context == item.context and pair.ready_at is None
        samples = {s.slot: s for s in pair.samples.all()}
        assert samples["a"].variant == batch.sampling_a.variant
        assert samples["a"].temperature == pytest.approx(0.3)
        assert samples["b"].temperature == pytest.approx(1.0)
        assert {s.status for s in samples.values()} == {"pending"}
        slots = list(pair.slots.values_list("index", "status", "batch"))
        assert slots == [(0, "free", batch.pk), (1, "free", batch.pk), (2, "free", batch.pk)]


def test_it_draws_left_and_right_at_random(batch, staff):
    pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS * 20))
    assert set(Pair.objects.values_list("left_slot", flat=True)) == {"a", "b"}


def test_it_imports_nothing_when_one_line_is_bad(batch, staff):
    before = everything_count()
    bad = jsonl(ROWS[:1] * 50) + b'{"prompt": ""}\n' + jsonl(ROWS[1:])
    with pytest.raises(PoolFileError) as caught:
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=bad)
    assert [(e.line, e.message) for e in caught.value.lines] == [(51, '"prompt" is empty')]
    assert everything_count() == before


def test_it_rolls_back_everything_when_a_write_fails(batch, staff, monkeypatch):
    """A failure after the first bulk insert (here: the audit write) leaves nothing behind."""
    from apps.pools import services

    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    before = everything_count()
    with pytest.raises(RuntimeError):
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS))
    assert everything_count() == before


def test_it_records_an_audit_event(batch, staff):
    upload = pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS))
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.target) == (
        staff,
        "pool_uploaded",
        f"batch:{batch.pk}",
    )
    assert event.details == {
        "upload": upload.pk,
        "filename": "p.jsonl",
        "format": "jsonl",
        "rows": 2,
    }


def test_it_wakes_the_workers_only_after_commit(
    batch, staff, generation_queue, django_capture_on_commit_callbacks, settings
):
    settings.GENERATION_MAX_BATCH = 2  # a task claims one pair: one task per pair
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS))
    assert generation_queue() == 0, "nothing may be queued before the rows are committed"
    for callback in callbacks:
        callback()
    assert generation_queue() == 2


def test_it_sends_one_task_per_worker_batch_of_pairs(
    batch, staff, generation_queue, django_capture_on_commit_callbacks, settings
):
    """A task claims up to GENERATION_MAX_BATCH samples (two per pair), so 8 per 4 pairs."""
    settings.GENERATION_MAX_BATCH = 8
    with django_capture_on_commit_callbacks(execute=True):
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS * 5))
    assert generation_queue() == 3  # pairs 1, 5 and 9 of 10


def test_it_imports_csv_from_an_uploaded_file(batch, staff):
    data = 'prompt,category,origin\r\n"Bonjour, ça va ?",chat,fr\r\n'.encode()
    file = SimpleUploadedFile("prompts.CSV", data, content_type="text/csv")
    upload = pool_import(batch=batch, uploaded_by=staff, filename=file.name, data=file)
    item = upload.items.get()
    assert upload.file_format == "csv"
    assert item.context == [{"role": "user", "content": "Bonjour, ça va ?"}]
    assert (item.category, item.metadata, item.line_number) == ("chat", {"origin": "fr"}, 2)


def test_it_detects_jsonl_by_content_when_the_extension_says_nothing(batch, staff):
    upload = pool_import(
        batch=batch, uploaded_by=staff, filename="prompts", data=io.BytesIO(jsonl(ROWS))
    )
    assert upload.file_format == "jsonl" and upload.rows == 2


def test_it_keeps_hostile_and_non_ascii_text_verbatim_in_the_database(batch, staff):
    hostile = '<script>alert(1)</script>\u202e 🙂 "quoted" \' \\ %s {{ x }}'
    pool_import(
        batch=batch,
        uploaded_by=staff,
        filename="h.jsonl",
        data=jsonl([{"prompt": hostile, "category": "<b>", "meta": {"k": hostile}}]),
    )
    item = PoolItem.objects.get()
    assert item.context[0]["content"] == hostile == item.pair.context[0]["content"]
    assert item.metadata == {"meta": {"k": hostile}} and item.category == "<b>"


def test_it_refuses_a_file_over_the_size_limit(batch, staff, settings):
    settings.POOL_UPLOAD_MAX_BYTES = 100
    data = jsonl([{"prompt": "x" * 200}])
    with pytest.raises(PoolFileError) as caught:
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=data)
    assert caught.value.message.startswith("The file is 215 bytes; the limit is 100 bytes.")
    with pytest.raises(PoolFileError):
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=io.BytesIO(data))
    assert PoolUpload.objects.count() == 0


def test_it_refuses_a_file_over_the_row_limit(batch, staff, settings):
    settings.POOL_UPLOAD_MAX_ROWS = 3
    with pytest.raises(PoolFileError, match="more than 3 rows"):
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS * 2))
    assert PoolUpload.objects.count() == 0


def test_it_limits_turns_by_the_batch(batch, staff):
    batch.max_turns = 1
    batch.save()
    with pytest.raises(PoolFileError) as caught:
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS))
    assert caught.value.lines[0].line == 2
    assert "at most 1" in caught.value.lines[0].message


@pytest.mark.parametrize("status", [Batch.Status.DRAFT, Batch.Status.OPEN])
def test_it_accepts_uploads_into_draft_and_open_batches(batch, staff, status):
    batch.status = status
    batch.save()
    assert (
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS)).rows == 2
    )


def test_it_refuses_uploads_into_a_closed_batch(batch, staff):
    batch.status = Batch.Status.CLOSED
    batch.save()
    with pytest.raises(PoolFileError, match="closed"):
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS))
    assert PoolUpload.objects.count() == 0


def test_it_refuses_when_the_batch_was_closed_after_it_was_read(batch, staff):
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CLOSED)
    with pytest.raises(PoolFileError, match="closed meanwhile"):
        pool_import(batch=batch, uploaded_by=staff, filename="p.jsonl", data=jsonl(ROWS))
    assert PoolUpload.objects.count() == 0


def test_an_import_job_that_stops_on_an_error_says_so_on_the_upload(
    batch, staff, settings, tmp_path
):
    from apps.pools.upload_jobs import pool_upload_receive, pool_upload_run

    settings.POOL_UPLOAD_DIR = tmp_path
    upload = pool_upload_receive(
        batch=batch, uploaded_by=staff, file=SimpleUploadedFile("p.jsonl", jsonl(ROWS))
    )
    os.remove(upload.stored_path)  # the folder is not shared with the worker, say
    with pytest.raises(FileNotFoundError):
        pool_upload_run(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.state == "failed"
    assert upload.message.startswith("The import stopped on an error (FileNotFoundError)")
    assert not Pair.objects.exists()


def test_an_import_left_by_a_dead_worker_is_taken_over_and_a_recent_one_is_waited_for(
    batch, staff, settings, tmp_path
):
    from datetime import timedelta

    from django.utils import timezone

    from apps.pools.upload_jobs import UploadBusy, pool_upload_receive, pool_upload_run

    settings.POOL_UPLOAD_DIR = tmp_path
    upload = pool_upload_receive(
        batch=batch, uploaded_by=staff, file=SimpleUploadedFile("p.jsonl", jsonl(ROWS))
    )
    hard_limit_s = settings.POOL_IMPORT_SOFT_TIME_LIMIT_S + 60
    recent = timezone.now() - timedelta(seconds=60)
    PoolUpload.objects.filter(pk=upload.pk).update(state="importing", started_at=recent)
    with pytest.raises(UploadBusy) as busy:
        pool_upload_run(upload_id=upload.pk)
    assert hard_limit_s - 70 < busy.value.retry_after_s <= hard_limit_s - 60
    assert not Pair.objects.exists()

    dead = timezone.now() - timedelta(seconds=hard_limit_s + 1)
    PoolUpload.objects.filter(pk=upload.pk).update(started_at=dead, rows_imported=1234)
    assert pool_upload_run(upload_id=upload.pk) == "done"
    upload.refresh_from_db()
    assert (upload.rows, upload.rows_imported) == (2, 2)
    assert Pair.objects.filter(pool_item__upload=upload).count() == 2
