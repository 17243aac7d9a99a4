"""Reads for batches."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.audit.models import AuditEvent
from apps.catalog.models import ModelVariant

from .models import Batch


def batches_open_for(*, user) -> QuerySet[Batch]:
    """Open batches the user may annotate: staff see all of them; an annotator sees those open
    to every annotator, or that list them or one of their groups.

    Assignment is tested with EXISTS rather than joins, so a batch never comes back twice and
    the queryset still works with `select_for_update()` (PostgreSQL refuses FOR UPDATE with
    DISTINCT).
    """
    batches = Batch.objects.filter(status=Batch.Status.OPEN).select_related(
        "sampling_a__variant", "sampling_b__variant"
    )
    if not user.is_authenticated:
        return batches.none()
    if user.is_staff:
        return batches
    listed = Batch.annotators.through.objects.filter(batch=OuterRef("pk"), user=user)
    via_group = Batch.groups.through.objects.filter(batch=OuterRef("pk"), group__user=user)
    return batches.filter(Q(open_to_all_annotators=True) | Exists(listed) | Exists(via_group))


class BatchNotOpenToYou(Exception):
    """The batch is closed, or not assigned to this annotator: nothing new may start in it."""

    def __init__(self, message: str = "This batch is closed or no longer assigned to you."):
        super().__init__(message)


def batch_check_open_to(*, user, batch_id: int) -> None:
    """The one rule every entry point applies before handing out or starting work: the batch
    is open and assigned to the user. Raises BatchNotOpenToYou otherwise."""
    if not batches_open_for(user=user).filter(pk=batch_id).exists():
        raise BatchNotOpenToYou


def batch_get_open(*, user, batch_id: int) -> Batch:
    return batches_open_for(user=user).get(pk=batch_id)


def _count_of(relation: str) -> Coalesce:
    """A per-batch count of the rows of a reverse relation, as a subquery (joins would
    multiply each other's rows). By relation name: the counted apps sit above this one."""
    counted = (
        Batch.objects.filter(pk=OuterRef("pk")).order_by().annotate(n=Count(relation)).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def batches_for_management() -> QuerySet[Batch]:
    """Every batch, newest first, with its progress: comparisons stored, pairs, pool items."""
    return Batch.objects.select_related(
        "sampling_a__variant", "sampling_b__variant", "cloned_from"
    ).annotate(
        comparisons_stored=_count_of("comparisons"),
        pairs_stored=_count_of("pairs"),
        pool_items_stored=_count_of("pool_items"),
    )


def batch_get_for_management(*, batch_id: int) -> Batch:
    return batches_for_management().get(pk=batch_id)


def batch_has_pool_items(*, batch: Batch) -> bool:
    return batch.pk is not None and batch.pool_items.exists()


def variants_for_sampling() -> QuerySet[ModelVariant]:
    """Variants an admin may pick for a side: newest first."""
    return ModelVariant.objects.order_by("-created_at", "-pk")


def variant_latest() -> ModelVariant | None:
    """The most recently created active variant (what a weekly clone swaps in)."""
    return ModelVariant.objects.filter(is_active=True).order_by("-created_at", "-pk").first()


def batch_audit_events(*, batch: Batch, limit: int = 20) -> QuerySet[AuditEvent]:
    """The batch's latest audit events: who did what, when."""
    return AuditEvent.objects.filter(target=f"batch:{batch.pk}").select_related("actor")[:limit]
