"""Reads for exports: what a requester may see, which comparisons an export selects, and the
rows themselves, fetched in keyset chunks (no server-side cursor, so poolers are fine)."""

from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apps.accounts.selectors import api_token_batch_scope, api_token_scope_apply
from apps.batches.models import AnnotatorFlag, Batch
from apps.catalog.models import ModelVariant
from apps.preferences.models import Comparison, GoldAnswer, SafetyLabel, Strength

from .models import ExportJob, ExportJobBatch
from .options import STRENGTH_ORDER, ExportOptions

SAFETY_CONDITIONS = {
    SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE: Q(chosen_is_safe=True, rejected_is_safe=False),
    SafetyLabel.BOTH_SAFE: Q(chosen_is_safe=True, rejected_is_safe=True),
    SafetyLabel.BOTH_UNSAFE: Q(chosen_is_safe=False, rejected_is_safe=False),
}

# Columns every format needs, then the ones only `raw` adds. Order matters: formats unpack them.
COLUMNS = (
    "pk",
    "pair__dialogue_id",
    "batch_id",
    "track",
    "annotator_id",
    "turn_index",
    "context",
    "chosen__text",
    "rejected__text",
    "chosen__variant_id",
    "rejected__variant_id",
    "strength",
    "chosen_is_safe",
    "rejected_is_safe",
    "created_at",
    "pair__pool_item_id",
    "pair__pool_item__category",
)
RAW_COLUMNS = (
    "pair_id",
    "pair__created_at",
    "left_id",
    "time_spent_ms",
    "chosen_id",
    "chosen__slot",
    "chosen__temperature",
    "chosen__top_p",
    "chosen__max_new_tokens",
    "chosen__seed",
    "rejected_id",
    "rejected__slot",
    "rejected__temperature",
    "rejected__top_p",
    "rejected__max_new_tokens",
    "rejected__seed",
    "pair__pool_item__metadata",
)
VOTE_COLUMNS = ("votes", "annotations")


def batches_visible_to(*, user, token=None) -> QuerySet[Batch]:
    """Staff read every batch, others the batches they created; a token can narrow that.
    An evaluation study's batches are never preference data: its ratings have their own export."""
    collection = Batch.objects.filter(purpose=Batch.Purpose.COLLECTION)
    batches = collection if user.is_staff else collection.filter(created_by=user)
    return api_token_scope_apply(queryset=batches, token=token, field="pk").order_by("pk")


def variant_names() -> dict[int, str]:
    return dict(ModelVariant.objects.values_list("pk", "name"))


def batch_names() -> dict[int, str]:
    return dict(Batch.objects.values_list("pk", "name"))


def export_batch_ids(*, options: ExportOptions, visible: QuerySet[Batch]) -> list[int]:
    """The ids of the batches an export reads: the visible ones, narrowed to `batches`."""
    batch_ids = list(visible.values_list("pk", flat=True))
    if options.batches:
        wanted = set(options.batches)
        batch_ids = [pk for pk in batch_ids if pk in wanted]
    return batch_ids


def _annotators_kept(comparisons: QuerySet, mode: str) -> QuerySet:
    """Leave out the judgments of annotators with an active flag on the judgment's batch
    (`flagged`, paused ones included) or with an active pause there (`paused`)."""
    if not mode:
        return comparisons
    flags = AnnotatorFlag.objects.filter(
        batch_id=OuterRef("batch_id"), annotator_id=OuterRef("annotator_id"), lifted_at=None
    )
    if mode == "paused":
        flags = flags.filter(pauses_work=True)
    return comparisons.filter(~Exists(flags))


def comparisons_selected(*, options: ExportOptions, visible: QuerySet[Batch]) -> QuerySet:
    """The comparisons an export with these options selects, before overlap is combined.

    Withdrawn judgments are never selected. Gold pairs (a GoldAnswer, qualification ones too)
    are left out unless `include_gold`; `exclude_annotators` leaves out flagged or paused
    annotators' judgments; `drop_disagreements` leaves out every judgment of a pair whose
    judgments disagree on the side, counting the ones that are not withdrawn and not left
    out by `exclude_annotators` (the other filters do not hide a disagreement).

    The visible batches are resolved to a list of ids first: `batch_id IN (1, 2)` is a plain
    filter on the primary-key scan that a keyset chunk walks, whereas a subquery made the
    planner join the batches first and sort every remaining row for each LIMITed chunk.
    """
    batch_ids = export_batch_ids(options=options, visible=visible)
    comparisons = Comparison.objects.filter(batch_id__in=batch_ids, withdrawn_at=None)
    if options.track:
        comparisons = comparisons.filter(track=options.track)
    if options.min_strength:
        strongest = STRENGTH_ORDER[: STRENGTH_ORDER.index(options.min_strength) + 1]
        comparisons = comparisons.filter(strength__in=strongest)
    if options.drop_negligible:
        comparisons = comparisons.exclude(strength=Strength.NEGLIGIBLY_BETTER_OR_UNSURE)
    if options.safety_labels:
        wanted = Q()
        for label in options.safety_labels:
            wanted |= SAFETY_CONDITIONS[label]
        comparisons = comparisons.filter(wanted)
    if options.variants:
        ids = ModelVariant.objects.filter(name__in=options.variants).values("pk")
        comparisons = comparisons.filter(chosen__variant__in=ids, rejected__variant__in=ids)
    if options.created_after:
        comparisons = comparisons.filter(created_at__gte=options.created_after)
    if options.created_before:
        comparisons = comparisons.filter(created_at__lt=options.created_before)
    # Only when the batches have gold pairs at all: the plain export keeps its plain plan.
    if not options.include_gold and GoldAnswer.objects.filter(batch_id__in=batch_ids).exists():
        gold = GoldAnswer.objects.filter(pair_id=OuterRef("pair_id"))
        comparisons = comparisons.filter(~Exists(gold))
    comparisons = _annotators_kept(comparisons, options.exclude_annotators)
    if options.drop_disagreements:
        other_side = Comparison.objects.filter(
            pair_id=OuterRef("pair_id"), withdrawn_at=None
        ).exclude(chosen_id=OuterRef("chosen_id"))
        other_side = _annotators_kept(other_side, options.exclude_annotators)
        comparisons = comparisons.filter(~Exists(other_side))
    return comparisons


def comparisons_combined(*, options: ExportOptions, visible: QuerySet[Batch]) -> QuerySet:
    """Apply the overlap mode: several annotators may judge one pair.

    `all` keeps every judgment; `first` keeps the earliest per pair; `majority` keeps, per pair,
    the earliest judgment of the side most annotators chose, and drops pairs that tie.
    """
    selected = comparisons_selected(options=options, visible=visible)
    if options.overlap == "all":
        return selected
    same_pair = comparisons_selected(options=options, visible=visible).filter(
        pair_id=OuterRef("pair_id")
    )
    if options.overlap == "first":
        return selected.filter(~Exists(same_pair.filter(pk__lt=OuterRef("pk"))))

    def count(queryset):
        return Subquery(
            queryset.order_by().values("pair_id").annotate(n=Count("pk")).values("n")[:1]
        )

    return (
        selected.annotate(
            votes=count(same_pair.filter(chosen_id=OuterRef("chosen_id"))),
            annotations=count(same_pair),
        )
        .filter(votes__gt=F("annotations") / 2.0)
        .filter(~Exists(same_pair.filter(chosen_id=OuterRef("chosen_id"), pk__lt=OuterRef("pk"))))
    )


def annotator_weights(*, batch_ids: list[int]) -> dict[int, float]:
    """Each annotator's reliability weight over these batches, for an export's `weight`
    column: looked up once per export. An annotator without one yet is left out (weight 1)."""
    # Quality's figures bring numpy, pandas and scipy: loaded only by an export that asks.
    from apps.quality.selectors import annotator_standing_for

    standing = annotator_standing_for(batch_ids=batch_ids)
    return {pk: float(s.weight) for pk, s in standing.items() if s.weight is not None}


def export_selection_quality(*, options: ExportOptions, visible: QuerySet[Batch]) -> dict:
    """Agreement and gold accuracy of what an export selects, for its card.

    Agreement is over the selected judgments before overlap combines them (a pair's several
    judgments are what agree or not). Gold pairs are usually left out of the selection, so
    gold accuracy is that of the selected annotators on the gold pairs of the same batches
    (not withdrawn, the same annotators left out).
    """
    from apps.quality.selectors import selection_quality  # heavy: see annotator_weights

    selected = comparisons_selected(options=options, visible=visible)
    figures = selection_quality(comparisons_qs=selected)
    batch_ids = export_batch_ids(options=options, visible=visible)
    gold = Comparison.objects.filter(
        Exists(GoldAnswer.objects.filter(pair_id=OuterRef("pair_id"))),
        batch_id__in=batch_ids,
        withdrawn_at=None,
        annotator_id__in=selected.order_by().values("annotator_id"),
    )
    gold = _annotators_kept(gold, options.exclude_annotators)
    if not GoldAnswer.objects.filter(batch_id__in=batch_ids).exists():
        gold = gold.none()
    figures["gold_accuracy"] = selection_quality(comparisons_qs=gold)["gold_accuracy"]
    return figures


def columns_for(*, options: ExportOptions) -> tuple[str, ...]:
    columns = COLUMNS
    if options.format == "raw":
        columns += RAW_COLUMNS
        if options.overlap == "majority":
            columns += VOTE_COLUMNS
    return columns


def _fast_loaders(cursor) -> None:
    """Load timestamptz and jsonb (as text) with psycopg's C loaders on this cursor.

    Django registers pure-Python subclasses for both; per row that is most of the fetch cost.
    The values are the same: aware datetimes in the connection's time zone (Django sets it to
    UTC) and the jsonb text as PostgreSQL prints it.
    """
    try:
        import psycopg
        from psycopg.postgres import types
    except ImportError:  # psycopg2: nothing to tune
        return
    adapters = getattr(cursor, "adapters", None)
    if adapters is None:
        return
    text = psycopg.pq.Format.TEXT
    for name, loaded_as in (("timestamptz", "timestamptz"), ("jsonb", "text")):
        loader = psycopg.adapters.get_loader(types[loaded_as].oid, text)
        if loader is not None:
            adapters.register_loader(name, loader)


# Stands for the keyset bound while a chunk query is compiled; swapped for the real bound.
_KEYSET_MARK = -(2**62) + 7919


def _chunk_query(rows_qs: QuerySet, size: int) -> tuple[str, list, int | None]:
    """The SQL of one chunk (`pk > bound ... LIMIT size`), compiled once per size, and where the
    bound sits among its parameters (None: recompile per chunk; it never happens in practice)."""
    sql, params = rows_qs.filter(pk__gt=_KEYSET_MARK)[:size].query.sql_with_params()
    marks = [i for i, value in enumerate(params) if value == _KEYSET_MARK]
    return sql, list(params), marks[0] if len(marks) == 1 else None


def comparison_row_chunks(
    *,
    queryset: QuerySet,
    columns: tuple[str, ...],
    chunk_rows: int | None = None,
    first_chunk_rows: int | None = None,
) -> Iterator[list[tuple]]:
    """Yield the rows as tuples, in primary-key order, one LIMITed keyset query per chunk.

    Each chunk is a plain query fetched whole, so memory is bounded by the chunk and nothing
    relies on a server-side cursor (DISABLE_SERVER_SIDE_CURSORS / transaction poolers work).
    The raw driver cursor skips per-row ORM conversion; jsonb arrives as text. On PostgreSQL
    each chunk runs in its own short transaction without parallel workers: starting them for
    every 1,000-row LIMIT costs more than they save (a driver's single cursor query never
    uses them either).
    """
    chunk_rows = chunk_rows or settings.EXPORT_CHUNK_ROWS
    size = first_chunk_rows or settings.EXPORT_FIRST_CHUNK_ROWS
    rows_qs = queryset.order_by("pk").values_list(*columns)
    connection = connections[rows_qs.db]
    postgres = connection.vendor == "postgresql"
    compiled: dict[int, tuple[str, list, int | None]] = {}
    last_pk = 0
    while True:
        if size not in compiled:
            try:
                compiled[size] = _chunk_query(rows_qs, size)
            except EmptyResultSet:  # the filters rule out every row (no visible batch)
                return
        sql, params, mark = compiled[size]
        if mark is None:
            sql, params = rows_qs.filter(pk__gt=last_pk)[:size].query.sql_with_params()
        else:
            params[mark] = last_pk
        with transaction.atomic(using=rows_qs.db), connection.cursor() as cursor:
            if postgres:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            _fast_loaders(cursor.cursor)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows:
            yield rows
        if len(rows) < size:
            return
        last_pk = rows[-1][0]
        size = chunk_rows


CARD_GROUP = (
    "strength",
    "chosen_is_safe",
    "rejected_is_safe",
    "track",
    "batch_id",
    "chosen__variant_id",
    "rejected__variant_id",
    "pair__pool_item__category",
)
SPLIT_KEY = ("pair__dialogue_id", "pair__pool_item_id")


def comparison_card_groups(*, queryset: QuerySet, by_split_key: bool) -> Iterator[tuple]:
    """What a dataset card counts, as one GROUP BY: `CARD_GROUP` values (then the dialogue and
    pool item when a split needs them) and the number of comparisons, no text read."""
    fields = CARD_GROUP + (SPLIT_KEY if by_split_key else ())
    return queryset.order_by().values_list(*fields).annotate(n=Count("pk")).iterator()


def export_jobs_for(*, user, token=None) -> QuerySet[ExportJob]:
    """The jobs this user made whose batches all lie in the token's scope, newest first."""
    jobs = ExportJob.objects.filter(created_by=user)
    scope = api_token_batch_scope(token=token)
    if scope is not None:
        outside = ExportJobBatch.objects.filter(job=OuterRef("pk")).exclude(batch_id__in=scope)
        jobs = jobs.filter(~Exists(outside))
    return jobs.order_by("-created_at")


def export_job_get_for(*, user, token=None, job_id: int) -> ExportJob:
    """The job, if this user made it and this token may read all of its batches; else
    DoesNotExist (a 404)."""
    return export_jobs_for(user=user, token=token).get(pk=job_id)


def export_job_state(*, job: ExportJob) -> str:
    """The state to show: a running job whose worker stopped beating reads as `stalled`."""
    now = timezone.now()
    if job.state == ExportJob.State.RUNNING:
        beat = job.heartbeat_at or job.started_at or job.created_at
        if (now - beat).total_seconds() > settings.EXPORT_STALL_AFTER_S:
            return "stalled"
    if job.state == ExportJob.State.QUEUED:
        if (now - job.created_at).total_seconds() > settings.EXPORT_QUEUED_STALL_AFTER_S:
            return "stalled"
    return job.state
