"""Reads for the work queue."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.accounts.selectors import api_token_scope_apply
from apps.pairs.models import Sample
from apps.pairs.selectors import sample_shown
from apps.preferences.models import Comparison

from .models import Lease


def lease_get_for(*, user, lease_id: int, token=None) -> Lease:
    """The user's own lease, within the token's batches if a token is given; another
    annotator's, or one outside the scope, raises DoesNotExist (so a 404)."""
    leases = Lease.objects.select_related("pair", "batch").filter(annotator=user)
    return api_token_scope_apply(queryset=leases, token=token, field="batch_id").get(pk=lease_id)


def lease_view(*, lease: Lease) -> dict:
    """What an annotator sees of a leased pair, in their own left/right order."""
    # One query for the pair and its samples (the lease may come straight from a claim).
    samples = {
        s.slot: s for s in Sample.objects.filter(pair_id=lease.pair_id).select_related("pair__gold")
    }
    right_slot = "b" if lease.left_slot == "a" else "a"
    pair = samples[right_slot].pair
    try:
        qualification = pair.gold.for_qualification
    except ObjectDoesNotExist:
        qualification = False
    return {
        "lease": lease,
        "batch": lease.batch,
        "track": lease.batch.track,
        "context": samples[right_slot].pair.context,
        "left": sample_shown(sample=samples[lease.left_slot]),
        "right": sample_shown(sample=samples[right_slot]),
        "expires_at": lease.expires_at,
        "expired": lease.expires_at <= timezone.now(),
        "status": lease.status,
        # Only qualification pairs say what they are; work gold looks like any pair.
        "qualification": qualification,
    }


def leases_open_for(*, user, batch=None) -> QuerySet[Lease]:
    leases = Lease.objects.filter(annotator=user, status=Lease.Status.OPEN)
    if batch is not None:
        leases = leases.filter(batch=batch)
    return leases.select_related("batch").order_by("claimed_at")


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an annotator's history: a judgment (from the queue or a dialogue), or a
    queue lease that ended without one (skipped, flagged, released, expired, too late)."""

    at: datetime
    comparison: Comparison | None = None
    lease: Lease | None = None


_JUDGMENT, _LEASE = "judgment", "lease"


def _history_keys_for(*, user) -> QuerySet:
    """(kind, id, at) of everything the user finished, newest first, as one query to page."""
    kind = CharField()
    judgments = (
        Comparison.objects.filter(annotator=user)
        .annotate(kind=Value(_JUDGMENT, output_field=kind), at=F("created_at"), row=F("pk"))
        .values_list("kind", "row", "at")
        .order_by()
    )
    # A submitted lease shows as its judgment.
    ended = (
        Lease.objects.filter(annotator=user)
        .exclude(status__in=[Lease.Status.OPEN, Lease.Status.SUBMITTED])
        .annotate(
            kind=Value(_LEASE, output_field=kind),
            at=Coalesce("ended_at", "claimed_at"),
            row=F("pk"),
        )
        .values_list("kind", "row", "at")
        .order_by()
    )
    return judgments.union(ended, all=True).order_by("-at", "-row")


def history_page_for(*, user, number, per_page: int) -> Page:
    """One page of the user's history, newest first: four queries whatever its size."""
    page = Paginator(_history_keys_for(user=user), per_page).get_page(number)
    keys = list(page.object_list)
    ids = {kind: [row for k, row, _ in keys if k == kind] for kind in (_JUDGMENT, _LEASE)}
    comparisons = Comparison.objects.filter(pk__in=ids[_JUDGMENT]).select_related(
        "batch", "pair", "lease"
    )
    leases = Lease.objects.filter(pk__in=ids[_LEASE]).select_related("batch", "pair")
    loaded = {
        _JUDGMENT: {comparison.pk: comparison for comparison in comparisons},
        _LEASE: {lease.pk: lease for lease in leases},
    }
    page.object_list = [
        HistoryEntry(at=at, **{"comparison" if kind == _JUDGMENT else "lease": loaded[kind][row]})
        for kind, row, at in keys
    ]
    return page
