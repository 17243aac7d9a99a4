"""Reads for the work queue."""

from django.db.models import QuerySet
from django.utils import timezone

from apps.dialogues.models import Sample

from .models import Lease


def lease_get_for(*, user, lease_id: int) -> Lease:
    """The user's own lease; another annotator's raises DoesNotExist (so a 404)."""
    return Lease.objects.select_related("pair", "batch").get(pk=lease_id, annotator=user)


def lease_view(*, lease: Lease) -> dict:
    """What an annotator sees of a leased pair, in their own left/right order."""
    # One query for the pair and its samples (the lease may come straight from a claim).
    samples = {
        s.slot: s for s in Sample.objects.filter(pair_id=lease.pair_id).select_related("pair")
    }
    right_slot = "b" if lease.left_slot == "a" else "a"
    return {
        "lease": lease,
        "batch": lease.batch,
        "track": lease.batch.track,
        "context": samples[right_slot].pair.context,
        "left": {"text": samples[lease.left_slot].text},
        "right": {"text": samples[right_slot].text},
        "expires_at": lease.expires_at,
        "expired": lease.expires_at <= timezone.now(),
        "status": lease.status,
    }


def leases_open_for(*, user, batch=None) -> QuerySet[Lease]:
    leases = Lease.objects.filter(annotator=user, status=Lease.Status.OPEN)
    if batch is not None:
        leases = leases.filter(batch=batch)
    return leases.select_related("batch").order_by("claimed_at")


def lease_history_for(*, user, batch=None) -> QuerySet[Lease]:
    """The user's ended leases, newest first, with what they decided."""
    leases = Lease.objects.filter(annotator=user).exclude(status=Lease.Status.OPEN)
    if batch is not None:
        leases = leases.filter(batch=batch)
    return leases.select_related("batch", "comparison", "pair").order_by("-ended_at", "-pk")
