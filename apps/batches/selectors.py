"""Reads for batches."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.audit.models import AuditEvent
from apps.catalog.models import ModelVariant

from .models import AnnotatorFlag, Batch, Qualification


def batches_open_for(*, user) -> QuerySet[Batch]:
    """Open batches the user may annotate: staff see all of them; an annotator sees those open
    to every annotator, or that list them or one of their groups.

    Assignment is tested with EXISTS rather than joins, so a batch never comes back twice and
    the queryset still works with `select_for_update()` (PostgreSQL refuses FOR UPDATE with
    DISTINCT).
    """
    batches = Batch.objects.filter(
        status=Batch.Status.OPEN, purpose=Batch.Purpose.COLLECTION
    ).select_related("sampling_a__variant", "sampling_b__variant")
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


class AnnotatorPaused(BatchNotOpenToYou):
    """Quality control (or staff) paused the annotator's work in this batch."""


class QualificationNeeded(BatchNotOpenToYou):
    """The batch requires a passed qualification the annotator does not have (yet)."""


def _whom_to_ask(username: str | None) -> str:
    return f"{username}, who runs this batch" if username else "the staff who run this batch"


def _standing(*, user, batches: QuerySet[Batch]) -> QuerySet[Batch]:
    """Annotate each batch with the user's standing there: paused by an active flag, and the
    status of their qualification run (None before they start one)."""
    paused = AnnotatorFlag.objects.filter(
        batch=OuterRef("pk"), annotator=user, lifted_at__isnull=True, pauses_work=True
    )
    run = Qualification.objects.filter(batch=OuterRef("pk"), annotator=user).values("status")[:1]
    return batches.annotate(paused=Exists(paused), qualification_status=Subquery(run))


def batches_with_standing_for(*, user) -> QuerySet[Batch]:
    """The batches open to the user (as `batches_open_for`), each with `paused` and
    `qualification_status`, so a list can show a paused batch as paused rather than hide it."""
    return _standing(user=user, batches=batches_open_for(user=user).select_related("created_by"))


def batch_check_open_to(*, user, batch_id: int, qualifying: bool = False) -> None:
    """The one rule every entry point applies before handing out or starting work: the batch
    is open and assigned to the user, their work there is not paused, and, if the batch
    requires it, they passed its qualification. Raises BatchNotOpenToYou (or one of its
    kinds, whose message says why and whom to ask) otherwise.

    `qualifying`: the caller is the work queue, which hands an annotator who has not passed
    yet the qualification pairs themselves. Staff are never paused nor asked to qualify.
    """
    batches = batches_open_for(user=user).filter(pk=batch_id)
    if not user.is_authenticated or user.is_staff:
        if not batches.exists():
            raise BatchNotOpenToYou
        return
    # By relation name: gold answers belong to an app above this one.
    ready = Batch.objects.filter(pk=OuterRef("pk"), gold__for_qualification=True)
    row = (
        _standing(user=user, batches=batches)
        .annotate(qualification_ready=Exists(ready))
        .values(
            "name",
            "created_by__username",
            "paused",
            "qualification_required",
            "qualification_status",
            "qualification_ready",
        )
        .first()
    )
    if row is None:
        raise BatchNotOpenToYou
    ask = _whom_to_ask(row["created_by__username"])
    if row["paused"]:
        raise AnnotatorPaused(
            f"Your work on “{row['name']}” is paused after a quality check, so it hands you "
            f"nothing new. Ask {ask} to review it and lift the pause; a pair you already hold "
            "may still be submitted."
        )
    if not row["qualification_required"] or row["qualification_status"] == "passed":
        return
    if row["qualification_status"] == "failed":
        raise QualificationNeeded(
            f"You did not pass the qualification for “{row['name']}”, so it has no work for "
            f"you. Ask {ask} to reset your qualification if you should try again."
        )
    if not qualifying:
        raise QualificationNeeded(
            f"“{row['name']}” asks you to pass its qualification first: press Next in the "
            "work queue to take it."
        )
    if not row["qualification_ready"]:
        raise QualificationNeeded(
            f"“{row['name']}” requires a qualification, but its qualification set is not "
            f"ready yet. Ask {ask} to add it; there is nothing to do here until then."
        )


def annotator_flags_active(*, batch: Batch) -> QuerySet[AnnotatorFlag]:
    """The batch's flags not lifted yet, newest first, with who they flag."""
    return (
        AnnotatorFlag.objects.filter(batch=batch, lifted_at__isnull=True)
        .select_related("annotator", "flagged_by")
        .order_by("-flagged_at", "-pk")
    )


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
    """Every collection batch (not an evaluation study's), newest first, with its progress:
    comparisons stored, pairs, pool items."""
    return (
        Batch.objects.filter(purpose=Batch.Purpose.COLLECTION)
        .select_related("sampling_a__variant", "sampling_b__variant", "cloned_from")
        .annotate(
            comparisons_stored=_count_of("comparisons"),
            pairs_stored=_count_of("pairs"),
            pool_items_stored=_count_of("pool_items"),
        )
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
