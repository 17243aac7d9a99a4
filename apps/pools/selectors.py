"""Reads for prompt pools: past uploads and how far pre-generation has come."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from apps.batches.models import Batch
from apps.dialogues.models import Pair, Sample

from .models import PoolUpload

RECENT_UPLOADS = 50


def pool_uploads_recent(*, batch: Batch, limit: int = RECENT_UPLOADS) -> QuerySet[PoolUpload]:
    return PoolUpload.objects.filter(batch=batch).select_related("uploaded_by")[:limit]


def pool_progress(*, batch: Batch) -> dict[str, int]:
    """Pool pairs of the batch: total, ready (both responses done), failed (a response failed
    for good), pending (still generating), and the number of failed samples."""
    failed = Sample.objects.filter(pair=OuterRef("pk"), status=Sample.Status.FAILED)
    counts = (
        Pair.objects.filter(batch=batch, pool_item__isnull=False)
        .annotate(has_failed=Exists(failed))
        .aggregate(
            total=Count("pk"),
            ready=Count("pk", filter=Q(ready_at__isnull=False)),
            failed=Count("pk", filter=Q(ready_at__isnull=True, has_failed=True)),
        )
    )
    failed_samples = Sample.objects.filter(
        pair__batch=batch, pair__pool_item__isnull=False, status=Sample.Status.FAILED
    ).count()
    return {
        "total": counts["total"],
        "ready": counts["ready"],
        "failed": counts["failed"],
        "pending": counts["total"] - counts["ready"] - counts["failed"],
        "failed_samples": failed_samples,
    }
