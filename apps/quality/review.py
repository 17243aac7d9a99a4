"""Reads for a batch's review page: its pairs with both responses, every judgment and who made
it, disagreements first, with the filters staff narrow them by.

A page is a fixed number of queries whatever it holds (samples, judgments, queue flags and gold
answers are prefetched), and ordering 20,000 pairs by "disagrees" is two index probes per pair
(about 0.1 s at 100,000 judgments).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from apps.assignments.models import Lease
from apps.batches.models import Batch
from apps.pairs.models import Pair, Sample
from apps.pools.models import PoolItem
from apps.preferences.models import Comparison, GoldAnswer

REVIEW_PAGE_SIZE = 25


@dataclass(frozen=True)
class ReviewJudgment:
    """A comparison with the slots (a or b) of the chosen response and of the one on the left."""

    comparison: Comparison
    chosen_slot: str
    left_slot: str

    @property
    def seconds(self) -> float:
        return self.comparison.time_spent_ms / 1000

    @property
    def withdrawn(self) -> bool:
        return self.comparison.withdrawn_at is not None


@dataclass(frozen=True)
class ReviewRow:
    pair: Pair
    samples: list[Sample]
    judgments: list[ReviewJudgment]
    flags: list[Lease]
    gold: GoldAnswer | None
    disagrees: bool

    @property
    def markable(self) -> bool:
        """Both responses generated: the only pairs that can be gold."""
        return len(self.samples) == 2 and all(s.status == Sample.Status.DONE for s in self.samples)


@dataclass(frozen=True)
class ReviewFilters:
    annotator_id: int | None = None
    category: str = ""
    strength: str = ""
    flagged: bool = False


def review_annotators(*, batch: Batch) -> list[tuple[int, str]]:
    """Who judged in the batch, (id, username) A to Z."""
    judged = Comparison.objects.filter(batch=batch).values("annotator_id")
    users = get_user_model().objects.filter(pk__in=judged).order_by("username")
    return list(users.values_list("pk", "username"))


def review_categories(*, batch: Batch) -> list[str]:
    """The categories of the batch's pool items, A to Z."""
    return list(
        PoolItem.objects.filter(batch=batch)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def _counted() -> QuerySet[Comparison]:
    """The pair's judgments that count: not withdrawn."""
    return Comparison.objects.filter(pair_id=OuterRef("pk"), withdrawn_at=None).order_by()


def review_pairs(*, batch: Batch, filters: ReviewFilters) -> QuerySet[Pair]:
    """The batch's pairs with both responses, filtered, pairs whose judgments (those not
    withdrawn) split on the side first, then the rest; newest first within each."""
    # A judgment that chose otherwise than one of the pair's judgments (any one): a probe of
    # the comparisons' pair index per pair, nothing joined, so the planner keeps it cheap.
    one_choice = Comparison.objects.filter(
        pair_id=OuterRef(OuterRef("pk")), withdrawn_at=None
    ).order_by()
    other_choice = _counted().exclude(chosen_id=Subquery(one_choice.values("chosen_id")[:1]))
    # Only pairs with both responses: the others are on the dashboard's pairs page.
    pairs = Pair.objects.filter(batch=batch, ready_at__isnull=False)
    pairs = pairs.annotate(disagrees=Exists(other_choice))
    judged = Comparison.objects.filter(pair_id=OuterRef("pk"))
    if filters.annotator_id:
        pairs = pairs.filter(Exists(judged.filter(annotator_id=filters.annotator_id)))
    if filters.strength:
        pairs = pairs.filter(Exists(judged.filter(strength=filters.strength)))
    if filters.category:
        pairs = pairs.filter(pool_item__category=filters.category)
    if filters.flagged:
        flagged = Lease.objects.filter(pair_id=OuterRef("pk"), status=Lease.Status.FLAGGED)
        pairs = pairs.filter(Exists(flagged))
    return pairs.order_by("-disagrees", "-created_at", "-pk")


def _row(pair: Pair) -> ReviewRow:
    samples = list(pair.samples.all())
    slot_of = {sample.pk: sample.slot for sample in samples}
    judgments = [
        ReviewJudgment(
            comparison=c, chosen_slot=slot_of.get(c.chosen_id, "?"), left_slot=slot_of[c.left_id]
        )
        for c in pair.comparisons.all()
    ]
    return ReviewRow(
        pair=pair,
        samples=samples,
        judgments=judgments,
        flags=pair.queue_flags,
        gold=getattr(pair, "gold", None),
        disagrees=pair.disagrees,
    )


def review_page(
    *, batch: Batch, filters: ReviewFilters, number, per_page: int = REVIEW_PAGE_SIZE
) -> Page:
    """One page of `review_pairs` as `ReviewRow`s, in a fixed number of queries."""
    pairs = (
        review_pairs(batch=batch, filters=filters)
        .select_related("pool_item", "dialogue__annotator", "gold")
        .prefetch_related(
            Prefetch("samples", queryset=Sample.objects.select_related("variant").order_by("slot")),
            Prefetch(
                "comparisons",
                queryset=Comparison.objects.select_related("annotator", "withdrawn_by").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch(
                "leases",
                queryset=Lease.objects.filter(status=Lease.Status.FLAGGED)
                .select_related("annotator")
                .order_by("ended_at", "pk"),
                to_attr="queue_flags",
            ),
        )
    )
    page = Paginator(pairs, per_page).get_page(number)
    page.object_list = [_row(pair) for pair in page.object_list]
    return page
