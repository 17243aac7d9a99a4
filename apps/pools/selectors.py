"""Reads for prompt pools: past uploads and how far pre-generation has come."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from apps.batches.models import Batch
from apps.pairs.models import Pair, Sample

from .models import PoolUpload

RECENT_UPLOADS = 50


def pool_uploads_recent(*, batch: Batch, limit: int = RECENT_UPLOADS) -> QuerySet[PoolUpload]:
    return PoolUpload.objects.filter(batch=batch).select_related("uploaded_by")[:limit]


def pool_uploads_active(*, batch: Batch) -> list[dict]:
    """The batch's uploads still queued, checking or importing, with their row counts."""
    return list(
        PoolUpload.objects.filter(batch=batch, state__in=PoolUpload.ACTIVE)
        .order_by("pk")
        .values("id", "state", "rows", "rows_checked", "rows_imported")
    )


def pool_progress(*, batch: Batch) -> dict[str, int]:
    """Pool pairs of the batch: total, ready (both responses done), failed (a response failed
    for good), pending (still generating); and their responses (samples): total, done, failed.

    Responses are counted as each one finishes: a worker batches by model variant, so every
    side-A response of a pool may be done before the first pair is ready.
    """
    failed = Sample.objects.filter(pair=OuterRef("pk"), status=Sample.Status.FAILED)
    pairs = (
        Pair.objects.filter(batch=batch, pool_item__isnull=False)
        .annotate(has_failed=Exists(failed))
        .aggregate(
            total=Count("pk"),
            ready=Count("pk", filter=Q(ready_at__isnull=False)),
            failed=Count("pk", filter=Q(ready_at__isnull=True, has_failed=True)),
        )
    )
    samples = Sample.objects.filter(pair__batch=batch, pair__pool_item__isnull=False).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=Sample.Status.DONE)),
        failed=Count("pk", filter=Q(status=Sample.Status.FAILED)),
    )
    return {
        "total": pairs["total"],
        "ready": pairs["ready"],
        "failed": pairs["failed"],
        "pending": pairs["total"] - pairs["ready"] - pairs["failed"],
        "samples_total": samples["total"],
        "samples_done": samples["done"],
        "failed_samples": samples["failed"],
    }
