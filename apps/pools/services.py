"""Writes for prompt pools: import an uploaded file, all rows or none, and queue generation."""

import io
from typing import IO

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.batches.models import Batch
from apps.pairs.services import PairSpec, pairs_create
from apps.preferences.gold import gold_mark
from apps.preferences.models import GoldAnswer

from .models import PoolItem, PoolUpload
from .parsing import PoolFileError, PoolRow, file_format_detect, pool_file_parse

ACCEPTING = (Batch.Status.DRAFT, Batch.Status.OPEN)
BULK_SIZE = 2000


def pool_import(*, batch: Batch, uploaded_by, filename: str, data: bytes | IO[bytes]) -> PoolUpload:
    """Import a JSONL or CSV file into the batch's pool: every row, or none.

    Checks every row first (PoolFileError names each bad line); then, in one transaction,
    stores the upload, its items, one pair per item with its two pending samples and
    `batch.overlap` free judgment slots, and an audit event. A row with `response_a` and
    `response_b` brings its own texts (done samples, nothing generated); one with `gold`
    is marked gold (audited as the uploader's), which withdraws its slots. The workers are
    woken once the transaction has committed (see apps.pairs.services.generation_enqueue).
    """
    if batch.status not in ACCEPTING:
        raise PoolFileError(
            f"This batch is {batch.get_status_display().lower()}: only draft or open batches "
            "take uploads."
        )
    stream = _binary_stream(data)
    file_format = file_format_detect(filename=filename, head=_peek(stream))
    rows = pool_file_parse(stream, file_format=file_format, max_messages=2 * batch.max_turns - 1)
    with transaction.atomic():
        # Lock the batch: a close committed meanwhile is seen here, and waits for us otherwise.
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in ACCEPTING:
            raise PoolFileError("This batch was closed meanwhile; nothing was imported.")
        upload = PoolUpload.objects.create(
            batch=batch,
            uploaded_by=uploaded_by,
            filename=(filename or "upload")[:255],
            file_format=file_format,
            rows=len(rows),
        )
        _pool_pairs_create(batch=locked, upload=upload, rows=rows, uploaded_by=uploaded_by)
        audit_record(
            actor=uploaded_by,
            action=AuditEvent.Action.POOL_UPLOADED,
            target=f"batch:{batch.pk}",
            details={
                "upload": upload.pk,
                "filename": upload.filename,
                "format": file_format,
                "rows": len(rows),
            },
        )
    return upload


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
    pairs = pairs_create(batch=batch, specs=specs, judgments=batch.overlap)
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
