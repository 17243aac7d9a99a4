"""Reads for the staff page of a batch's pairs: both responses, every judgment and flag."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q

from apps.assignments.models import Lease
from apps.batches.models import Batch
from apps.pairs.models import Pair, Sample
from apps.pools.models import PoolItem
from apps.preferences.models import Comparison

# A pair is pending, failed or ready while it has no judgment; judged once it has one; and
# flagged, besides, once an annotator flagged it from the queue.
PAIR_STATES: dict[str, str] = {
    "pending": "Generating",
    "failed": "Generation failed",
    "ready": "Ready, not judged yet",
    "judged": "Judged",
    "flagged": "Flagged",
}
_STATE_FILTERS: dict[str, Q] = {
    "pending": Q(ready_at__isnull=True, has_failed=False),
    "failed": Q(ready_at__isnull=True, has_failed=True),
    "ready": Q(ready_at__isnull=False, is_judged=False, is_flagged=False),
    "judged": Q(is_judged=True),
    "flagged": Q(is_flagged=True),
}


@dataclass(frozen=True)
class Judgment:
    """A comparison with the slots (a or b) of the chosen response and of the one on the left."""

    comparison: Comparison
    chosen_slot: str
    left_slot: str


@dataclass(frozen=True)
class PairRow:
    pair: Pair
    states: list[tuple[str, str]]  # (PAIR_STATES key, its label)
    samples: list[Sample]
    judgments: list[Judgment]
    flags: list[Lease]


def batch_pair_categories(*, batch: Batch) -> list[str]:
    """The categories the batch's pool items have, A to Z."""
    return list(
        PoolItem.objects.filter(batch=batch)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def _states_of(pair: Pair) -> list[str]:
    """The `PAIR_STATES` the pair is in, as `_STATE_FILTERS` decide them."""
    if pair.ready_at is None:
        states = ["failed" if pair.has_failed else "pending"]
    elif pair.is_judged:
        states = ["judged"]
    else:
        states = [] if pair.is_flagged else ["ready"]
    return states + (["flagged"] if pair.is_flagged else [])


def _row(pair: Pair) -> PairRow:
    samples = list(pair.samples.all())
    slot_of = {sample.pk: sample.slot for sample in samples}
    judgments = [
        Judgment(comparison=c, chosen_slot=slot_of[c.chosen_id], left_slot=slot_of[c.left_id])
        for c in pair.comparisons.all()
    ]
    return PairRow(
        pair=pair,
        states=[(state, PAIR_STATES[state]) for state in _states_of(pair)],
        samples=samples,
        judgments=judgments,
        flags=pair.flags,
    )


def batch_pairs_page(
    *, batch: Batch, state: str = "", category: str = "", number, per_page: int
) -> Page:
    """One page of the batch's pairs, newest first, optionally of one state (a `PAIR_STATES`
    key) and one pool category: a fixed number of queries whatever the page holds."""
    pairs = Pair.objects.filter(batch=batch).annotate(
        has_failed=Exists(Sample.objects.filter(pair=OuterRef("pk"), status=Sample.Status.FAILED)),
        is_judged=Exists(Comparison.objects.filter(pair=OuterRef("pk"))),
        is_flagged=Exists(Lease.objects.filter(pair=OuterRef("pk"), status=Lease.Status.FLAGGED)),
    )
    if state:
        pairs = pairs.filter(_STATE_FILTERS[state])
    if category:
        pairs = pairs.filter(pool_item__category=category)
    pairs = (
        pairs.select_related("pool_item", "dialogue__annotator")
        .prefetch_related(
            Prefetch("samples", queryset=Sample.objects.select_related("variant").order_by("slot")),
            Prefetch(
                "comparisons",
                queryset=Comparison.objects.select_related("annotator").order_by("created_at"),
            ),
            Prefetch(
                "leases",
                queryset=Lease.objects.filter(status=Lease.Status.FLAGGED)
                .select_related("annotator")
                .order_by("ended_at", "pk"),
                to_attr="flags",
            ),
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(pairs, per_page).get_page(number)
    page.object_list = [_row(pair) for pair in page.object_list]
    return page
