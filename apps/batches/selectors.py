"""Reads for batches."""

from django.db.models import QuerySet

from .models import Batch


def batches_open_for(*, user) -> QuerySet[Batch]:
    """Batches the user may annotate now (assignment per annotator comes with the queue)."""
    return Batch.objects.filter(status=Batch.Status.OPEN).select_related(
        "sampling_a__variant", "sampling_b__variant"
    )


def batch_get_open(*, user, batch_id: int) -> Batch:
    return batches_open_for(user=user).get(pk=batch_id)
