"""Writes for prompt pools: import an uploaded file, all rows or none, and queue generation.

A file uploaded on the page is stored under POOL_UPLOAD_DIR and imported by a Celery job
(pool_upload_receive, then pool_upload_run in the worker); pool_import does the same work at
once for callers that hold the data (the demo, tests). Both read the file twice, in constant
memory: a check of every line (nothing stored), then the import in chunks, in one transaction.
"""

import io
import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import IO

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, reset_queries, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.batches.models import Batch
from apps.pairs.models import Pair
from apps.pairs.services import PairSpec, generation_enqueue, pairs_create
from apps.preferences.gold import gold_mark
from apps.preferences.models import GoldAnswer

from .models import PoolItem, PoolUpload
from .parsing import (
    PoolFileError,
    PoolRow,
    file_format_detect,
    pool_file_check,
    pool_file_rows,
)

ACCEPTING = (Batch.Status.DRAFT, Batch.Status.OPEN)
BULK_SIZE = 2000
State = PoolUpload.State


class UploadCancelled(Exception):
    """Staff cancelled the upload: everything imported so far is rolled back."""


class UploadBusy(Exception):
    """Another run may still be importing the upload; ask again after `retry_after_s`."""

    def __init__(self, *, retry_after_s: float) -> None:
        super().__init__(f"another run may still be importing; retry in {retry_after_s:.0f} s")
        self.retry_after_s = max(1.0, retry_after_s)


def pool_import(*, batch: Batch, uploaded_by, filename: str, data: bytes | IO[bytes]) -> PoolUpload:
    """Import a JSONL or CSV file into the batch's pool at once: every row, or none.

    Checks every row first (PoolFileError names each bad line); then, in one transaction,
    stores the upload, its items, one pair per item with its two pending samples and
    `batch.overlap` free judgment slots, and an audit event. A row with `response_a` and
    `response_b` brings its own texts (done samples, nothing generated); one with `gold`
    is marked gold (audited as the uploader's), which withdraws its slots. The workers are
    woken once the transaction has committed, one message per worker batch of pairs.
    """
    _refuse_unless_accepting(batch)
    stream = _binary_stream(data)
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    file_format = file_format_detect(filename=filename, head=_peek(stream))
    rows = pool_file_check(stream, file_format=file_format, max_messages=_max_messages(batch))
    stream.seek(0)
    with transaction.atomic():
        upload = PoolUpload.objects.create(
            batch=batch,
            uploaded_by=uploaded_by,
            filename=(filename or "upload")[:255],
            file_format=file_format,
            size_bytes=size,
            rows=rows,
            rows_checked=rows,
            state=State.IMPORTING,
            started_at=timezone.now(),
        )
        _import(upload=upload, stream=stream, between_chunks=lambda imported: None)
    upload.refresh_from_db()
    return upload


def pool_upload_receive(*, batch: Batch, uploaded_by, file) -> PoolUpload:
    """Store an uploaded file (in chunks) and queue its import job; nothing is parsed here."""
    _refuse_unless_accepting(batch)
    limit = settings.POOL_UPLOAD_MAX_BYTES
    if file.size > limit:
        raise PoolFileError(
            f"The file is {_size(file.size)}; the limit is {_size(limit)}. Split it into "
            "smaller files."
        )
    file.seek(0)
    head = file.read(256)
    file.seek(0)
    directory = Path(settings.POOL_UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        upload = PoolUpload.objects.create(
            batch=batch,
            uploaded_by=uploaded_by,
            filename=(file.name or "upload")[:255],
            file_format=file_format_detect(filename=file.name, head=head),
            size_bytes=file.size,
            state=State.QUEUED,
        )
        # The name is ours, never the uploader's: a filename cannot reach outside the folder.
        path = directory / f"{upload.pk}-{secrets.token_hex(8)}.{upload.file_format}"
        with open(path, "wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        upload.stored_path = str(path)
        upload.save(update_fields=["stored_path"])
        from .tasks import pool_upload_import_task

        pool_upload_import_task.delay_on_commit(upload.pk)
    return upload


def pool_upload_run(*, upload_id: int) -> str:
    """The import job: check the stored file, then import it; return the upload's state.

    Safe to run twice: a queued upload is taken, and so is one left checking or importing by
    a run past the task's hard time limit (its worker died: PostgreSQL rolled it back). One
    started more recently may still be running: UploadBusy says when to try again. A bad
    line, a closed batch or a cancellation leaves nothing stored and says why on the upload;
    the file is deleted.
    """
    now = timezone.now()
    dead_before = now - timedelta(seconds=settings.POOL_IMPORT_SOFT_TIME_LIMIT_S + 60)
    taken = (
        PoolUpload.objects.filter(pk=upload_id)
        .filter(
            Q(state=State.QUEUED)
            | Q(state__in=[State.CHECKING, State.IMPORTING], started_at__lt=dead_before)
        )
        .update(state=State.CHECKING, started_at=now, rows_checked=0, rows_imported=0)
    )
    upload = PoolUpload.objects.select_related("batch").get(pk=upload_id)
    if not taken:
        if upload.state in (State.CHECKING, State.IMPORTING):
            raise UploadBusy(retry_after_s=(upload.started_at - dead_before).total_seconds())
        return upload.state
    side = connections.create_connection(DEFAULT_DB_ALIAS)  # progress seen during the import
    try:
        with open(upload.stored_path, "rb") as stream:
            _refuse_unless_accepting(upload.batch)
            rows = pool_file_check(
                stream,
                file_format=upload.file_format,
                max_messages=_max_messages(upload.batch),
                on_progress=lambda checked: _checked(upload_id, checked),
            )
            _checked(upload_id, rows)
            PoolUpload.objects.filter(pk=upload_id).update(
                rows=rows, rows_checked=rows, state=State.IMPORTING
            )
            stream.seek(0)
            with transaction.atomic():
                _import(
                    upload=upload,
                    stream=stream,
                    between_chunks=lambda imported: _imported(side, upload_id, imported),
                )
    except PoolFileError as exc:
        _end(
            upload_id,
            State.FAILED,
            message=exc.message,
            bad_lines=[{"line": e.line, "message": e.message} for e in exc.lines],
            bad_line_count=exc.error_count,
        )
    except UploadCancelled:
        _end(upload_id, State.CANCELLED, rows_imported=0)
    except SoftTimeLimitExceeded:
        limit = settings.POOL_IMPORT_SOFT_TIME_LIMIT_S
        message = (
            f"The import took longer than {limit} s; nothing was imported. Split the file, "
            "or raise POOL_IMPORT_SOFT_TIME_LIMIT_S."
        )
        _end(upload_id, State.FAILED, message=message)
    except Exception as exc:
        # Rolled back; say so on the upload rather than leave it "importing" for ever.
        _end(
            upload_id,
            State.FAILED,
            message=f"The import stopped on an error ({type(exc).__name__}); nothing was "
            "imported. The worker's log has the details.",
        )
        raise
    finally:
        side.close()
        Path(upload.stored_path).unlink(missing_ok=True)
    return PoolUpload.objects.values_list("state", flat=True).get(pk=upload_id)


def pool_upload_cancel(*, upload: PoolUpload) -> bool:
    """Ask the import job to stop (it rolls back at its next chunk); a queued upload is
    cancelled at once. False when the upload has already ended."""
    now = timezone.now()
    if PoolUpload.objects.filter(pk=upload.pk, state=State.QUEUED).update(
        state=State.CANCELLED, cancel_requested=True, finished_at=now
    ):
        Path(upload.stored_path).unlink(missing_ok=True)
        return True
    return bool(
        PoolUpload.objects.filter(pk=upload.pk, state__in=[State.CHECKING, State.IMPORTING]).update(
            cancel_requested=True
        )
    )


def _import(*, upload: PoolUpload, stream: IO[bytes], between_chunks: Callable[[int], None]):
    """Inside the caller's transaction: every row in chunks, then the batch re-checked under
    its lock, the upload done and audited, and generation queued once committed."""
    batch = upload.batch
    imported = 0
    rows = pool_file_rows(stream, file_format=upload.file_format, max_messages=_max_messages(batch))
    for chunk in _chunks(rows, settings.POOL_IMPORT_CHUNK_ROWS):
        _pool_pairs_create(batch=batch, upload=upload, rows=chunk, uploaded_by=upload.uploaded_by)
        imported += len(chunk)
        reset_queries()  # with DEBUG on, Django would keep every INSERT in memory
        if PoolUpload.objects.filter(pk=upload.pk, cancel_requested=True).exists():
            raise UploadCancelled
        between_chunks(imported)
    # Lock the batch: a close committed meanwhile is seen here, and waits for us otherwise.
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in ACCEPTING:
        raise PoolFileError("This batch was closed meanwhile; nothing was imported.")
    if PoolUpload.objects.select_for_update().filter(pk=upload.pk, cancel_requested=True):
        raise UploadCancelled
    PoolUpload.objects.filter(pk=upload.pk).update(
        state=State.DONE, rows_imported=imported, finished_at=timezone.now(), stored_path=""
    )
    audit_record(
        actor=upload.uploaded_by,
        action=AuditEvent.Action.POOL_UPLOADED,
        target=f"batch:{batch.pk}",
        details={
            "upload": upload.pk,
            "filename": upload.filename,
            "format": upload.file_format,
            "rows": imported,
        },
    )
    transaction.on_commit(lambda: pool_generation_enqueue(upload_id=upload.pk))


def pool_generation_enqueue(*, upload_id: int) -> int:
    """Wake the workers for an imported upload's pairs, reading their ids in chunks (one
    message per worker batch of pairs, see generation_enqueue); return the messages sent."""
    stride = max(1, settings.GENERATION_MAX_BATCH // 2)
    ids = (
        Pair.objects.filter(pool_item__upload_id=upload_id, ready_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=stride * 500)
    )
    return sum(generation_enqueue(pair_ids=chunk) for chunk in _chunks(ids, stride * 500))


def _pool_pairs_create(
    *, batch: Batch, upload: PoolUpload, rows: list[PoolRow], uploaded_by
) -> None:
    items = PoolItem.objects.bulk_create(
        [
            PoolItem(
                batch=batch,
                upload=upload,
                line_number=row.line_number,
                context=row.context,
                category=row.category,
                metadata=row.metadata,
            )
            for row in rows
        ],
        batch_size=BULK_SIZE,
    )
    specs = [
        PairSpec(context=item.context, pool_item=item, responses=row.responses)
        for item, row in zip(items, rows, strict=True)
    ]
    pairs = pairs_create(batch=batch, specs=specs, judgments=batch.overlap, enqueue=False)
    for pair, row in zip(pairs, rows, strict=True):
        if row.gold is not None:
            gold_mark(
                pair=pair,
                expected_slot=row.gold.expected_slot,
                min_strength=row.gold.min_strength,
                for_qualification=row.gold.for_qualification,
                explanation=row.gold.explanation,
                source=GoldAnswer.Source.POOL_FILE,
                actor=uploaded_by,
            )


def _checked(upload_id: int, checked: int) -> None:
    """Progress of the check (committed at once: no transaction is open), and the flag."""
    PoolUpload.objects.filter(pk=upload_id).update(rows_checked=checked)
    if PoolUpload.objects.filter(pk=upload_id, cancel_requested=True).exists():
        raise UploadCancelled


def _imported(side, upload_id: int, imported: int) -> None:
    """Progress of the import, written on a second connection so that it is seen while the
    import's own transaction is still open."""
    with side.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PoolUpload._meta.db_table} SET rows_imported = %s WHERE id = %s",
            [imported, upload_id],
        )


def _end(upload_id: int, state: str, **fields) -> None:
    PoolUpload.objects.filter(pk=upload_id).update(
        state=state, finished_at=timezone.now(), stored_path="", **fields
    )


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _refuse_unless_accepting(batch: Batch) -> None:
    if batch.status not in ACCEPTING:
        raise PoolFileError(
            f"This batch is {batch.get_status_display().lower()}: only draft or open batches "
            "take uploads."
        )


def _max_messages(batch: Batch) -> int:
    return 2 * batch.max_turns - 1


def _binary_stream(data: bytes | IO[bytes]) -> IO[bytes]:
    """A binary stream at its start, refused when larger than POOL_UPLOAD_MAX_BYTES."""
    limit = settings.POOL_UPLOAD_MAX_BYTES
    if isinstance(data, bytes | bytearray | memoryview):
        size, stream = len(data), io.BytesIO(data)
    else:
        stream = getattr(data, "file", data)  # Django's UploadedFile wraps a binary file
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        stream.seek(0)
    if size > limit:
        raise PoolFileError(
            f"The file is {_size(size)}; the limit is {_size(limit)}. Split it into smaller files."
        )
    return stream


def _peek(stream: IO[bytes]) -> bytes:
    head = stream.read(256)
    stream.seek(0)
    return head


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")
