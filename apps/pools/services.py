"""Writes for prompt pools: import an uploaded file, all rows or none, and queue generation."""

import io
import logging
import random
from typing import IO

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.batches.models import Batch
from apps.dialogues.services import sample_draw
from apps.pairs.models import JudgmentSlot, Pair, Sample

from .models import PoolItem, PoolUpload
from .parsing import PoolFileError, PoolRow, file_format_detect, pool_file_parse

logger = logging.getLogger(__name__)

ACCEPTING = (Batch.Status.DRAFT, Batch.Status.OPEN)
BULK_SIZE = 2000


def pool_import(*, batch: Batch, uploaded_by, filename: str, data: bytes | IO[bytes]) -> PoolUpload:
    """Import a JSONL or CSV file into the batch's pool: every row, or none.

    Checks every row first (PoolFileError names each bad line); then, in one transaction,
    stores the upload, its items, one pair per item with its two pending samples and
    `batch.overlap` free judgment slots, and an audit event. The workers are woken once the
    transaction has committed (see generation_enqueue).
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
        pair_ids = _pool_pairs_create(batch=locked, upload=upload, rows=rows)
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
        transaction.on_commit(lambda: generation_enqueue(pair_ids=pair_ids))
    return upload


def _pool_pairs_create(*, batch: Batch, upload: PoolUpload, rows: list[PoolRow]) -> list[int]:
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
    pairs = Pair.objects.bulk_create(
        [
            Pair(
                batch=batch,
                pool_item=item,
                context=item.context,
                left_slot=random.choice(Pair.Slot.values),
            )
            for item in items
        ],
        batch_size=BULK_SIZE,
    )
    Sample.objects.bulk_create(
        [
            sample
            for pair in pairs
            for sample in (
                sample_draw(pair=pair, slot=Pair.Slot.A, config=batch.sampling_a),
                sample_draw(pair=pair, slot=Pair.Slot.B, config=batch.sampling_b),
            )
        ],
        batch_size=BULK_SIZE,
    )
    JudgmentSlot.objects.bulk_create(
        [
            JudgmentSlot(batch=batch, pair=pair, index=index)
            for pair in pairs
            for index in range(batch.overlap)
        ],
        batch_size=BULK_SIZE,
    )
    return [pair.pk for pair in pairs]


def generation_enqueue(*, pair_ids: list[int]) -> int:
    """Wake the workers for the new pairs; return how many tasks were sent.

    A task claims its own pair's samples and then the oldest waiting ones, up to
    GENERATION_MAX_BATCH samples (two per pair), so one task per that many pairs claims
    every sample in full batches: a 5,000-row upload sends about 300 messages, not 5,000.
    Whatever a task leaves (a worker died, a claim raced) stays pending in the database and
    the reconciler re-enqueues it. The rows are already committed when this runs: if the
    broker is down, this only logs, and the reconciler catches up too.
    """
    from model_worker.tasks import generate_pair

    stride = max(1, settings.GENERATION_MAX_BATCH // 2)
    wake = pair_ids[::stride]
    try:
        with generate_pair.app.producer_or_acquire() as producer:
            for pair_id in wake:
                generate_pair.apply_async((pair_id,), producer=producer)
    except Exception:
        logger.exception("Could not queue pool pairs; the reconciler will pick them up.")
    return len(wake)


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
