"""The pool import job: a file from the page is stored under POOL_UPLOAD_DIR, then checked and
imported by a Celery task in the worker (apps.pools.tasks), with progress and cancellation on
the PoolUpload row."""

import secrets
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone

from apps.batches.models import Batch

from .models import PoolUpload
from .parsing import PoolFileError, file_format_detect, pool_file_check
from .services import (
    UploadCancelled,
    batch_accepting_check,
    max_messages_for,
    size_text,
    upload_rows_import,
)

State = PoolUpload.State


class UploadBusy(Exception):
    """Another run may still be importing the upload; ask again after `retry_after_s`."""

    def __init__(self, *, retry_after_s: float) -> None:
        super().__init__(f"another run may still be importing; retry in {retry_after_s:.0f} s")
        self.retry_after_s = max(1.0, retry_after_s)


def pool_upload_receive(*, batch: Batch, uploaded_by, file) -> PoolUpload:
    """Store an uploaded file (in chunks) and queue its import job; nothing is parsed here."""
    batch_accepting_check(batch)
    limit = settings.POOL_UPLOAD_MAX_BYTES
    if file.size > limit:
        raise PoolFileError(
            f"The file is {size_text(file.size)}; the limit is {size_text(limit)}. Split it into "
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
            batch_accepting_check(upload.batch)
            rows = pool_file_check(
                stream,
                file_format=upload.file_format,
                max_messages=max_messages_for(upload.batch),
                on_progress=lambda checked: _checked(upload_id, checked),
            )
            _checked(upload_id, rows)
            PoolUpload.objects.filter(pk=upload_id).update(
                rows=rows, rows_checked=rows, state=State.IMPORTING
            )
            stream.seek(0)
            with transaction.atomic():
                upload_rows_import(
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
