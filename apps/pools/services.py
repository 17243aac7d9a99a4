"""Writes for prompt pools: import a file, all rows or none, and queue generation.

pool_import imports at once, for callers that hold the data (the demo, tests); a file from the
page goes through the import job (apps.pools.upload_jobs), which shares the import below. Both
read the file twice, in constant memory: a check of every line (nothing stored), then the
import in chunks, in one transaction.
"""

import io
from collections.abc import Callable, Iterator
from itertools import islice
from typing import IO

from django.conf import settings
from django.db import reset_queries, transaction
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


def pool_import(*, batch: Batch, uploaded_by, filename: str, data: bytes | IO[bytes]) -> PoolUpload:
    """Import a JSONL or CSV file into the batch's pool at once: every row, or none.

    Checks every row first (PoolFileError names each bad line); then, in one transaction,
    stores the upload, its items, one pair per item with its two pending samples and
    `batch.overlap` free judgment slots, and an audit event. A row with `response_a` and
    `response_b` brings its own texts (done samples, nothing generated); one with `gold`
    is marked gold (audited as the uploader's), which withdraws its slots. The workers are
    woken once the transaction has committed, one message per worker batch of pairs.
    """
    batch_accepting_check(batch)
    stream = _binary_stream(data)
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    file_format = file_format_detect(filename=filename, head=_peek(stream))
    rows = pool_file_check(stream, file_format=file_format, max_messages=max_messages_for(batch))
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
        upload_rows_import(upload=upload, stream=stream, between_chunks=lambda imported: None)
    upload.refresh_from_db()
    return upload


def upload_rows_import(
    *, upload: PoolUpload, stream: IO[bytes], between_chunks: Callable[[int], None]
) -> None:
    """Inside the caller's transaction: every row in chunks, then the batch re-checked under
    its lock, the upload done and audited, and generation queued once committed."""
    batch = upload.batch
    imported = 0
    rows = pool_file_rows(
        stream, file_format=upload.file_format, max_messages=max_messages_for(batch)
    )
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


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def batch_accepting_check(batch: Batch) -> None:
    if batch.status not in ACCEPTING:
        raise PoolFileError(
            f"This batch is {batch.get_status_display().lower()}: only draft or open batches "
            "take uploads."
        )


def max_messages_for(batch: Batch) -> int:
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
            f"The file is {size_text(size)}; the limit is {size_text(limit)}. Split it into "
            "smaller files."
        )
    return stream


def _peek(stream: IO[bytes]) -> bytes:
    head = stream.read(256)
    stream.seek(0)
    return head


def size_text(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")
