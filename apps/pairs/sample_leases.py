"""Writes a generation worker makes on samples: claim under a lease, stream, complete, fail.

The database is the source of truth; the broker only wakes workers up. A worker claims
samples with a row lock (SKIP LOCKED on PostgreSQL) plus a conditional UPDATE, so two workers
never hold the same sample, and a store only succeeds while the worker still holds the lease.
"""

import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from apps.catalog.models import ModelVariant

from .models import Pair, Sample

MAX_ATTEMPTS = 3


def claimable(now) -> Q:
    """Pending, or running past the lease (its worker is presumed dead)."""
    return Q(status=Sample.Status.PENDING) | Q(
        status=Sample.Status.RUNNING, lease_expires_at__lt=now
    )


def samples_give_up(*, now=None, pair_id: int | None = None) -> int:
    """Fail the claimable samples that already killed MAX_ATTEMPTS workers (of one pair, or
    all of them: the reconciler's sweep)."""
    now = now or timezone.now()
    spent = Sample.objects.filter(claimable(now), attempts__gte=MAX_ATTEMPTS)
    if pair_id is not None:
        spent = spent.filter(pair_id=pair_id)
    gave_up = f"Gave up after {MAX_ATTEMPTS} attempts"
    return spent.update(
        status=Sample.Status.FAILED,
        # The last transient error is on the row; none means the worker stopped each time.
        error=Case(
            When(error="", then=Value(f"{gave_up} (the worker stopped each time).")),
            default=Concat(Value(f"{gave_up}. Last error: "), F("error")),
            output_field=TextField(),
        ),
        lease_expires_at=None,
        finished_at=now,
    )


def samples_waiting(*, now=None) -> QuerySet[Sample]:
    """Samples a worker may claim now: pending, or running past their lease, attempts left."""
    return Sample.objects.filter(claimable(now or timezone.now()), attempts__lt=MAX_ATTEMPTS)


def samples_live_waiting() -> bool:
    """Whether live work waits for a worker (one EXISTS query on the claimable index)."""
    return samples_waiting().filter(priority=Sample.Priority.LIVE).exists()


def _candidates(*, waiting: QuerySet[Sample], pair_id: int | None, limit: int) -> list[int]:
    """The given pair's samples first, then the oldest, in the claimable index's order."""
    own = list(waiting.filter(pair_id=pair_id)[:limit]) if pair_id is not None else []
    if len(own) == limit:
        return own
    oldest = waiting.exclude(pk__in=own).order_by("created_at", "pk")[: limit - len(own)]
    return own + list(oldest)


@transaction.atomic
def samples_claim(
    *,
    pair_id: int | None,
    worker: str,
    limit: int = 2,
    live: bool | None = None,
    backends: Sequence[str] | None = None,
) -> list[Sample]:
    """Claim up to `limit` samples of one priority: live work if any waits, else bulk work.

    `live` True or False asks for that priority only; `backends` only samples of variants
    with those generation backends (a pool batch taking live work beside it). Within it, the
    given pair's samples come first, then the oldest. A batch never mixes the two: a batch
    ends with its slowest row, and a written prompt must not wait for a pool's long responses.

    Claiming other requests' samples is what batches across requests: their own tasks,
    when they arrive, find nothing left and finish at once. The given pair's samples out of
    attempts are failed here; the others by the reconciler's sweep, not on every claim.
    """
    now = timezone.now()
    if pair_id is not None:
        samples_give_up(now=now, pair_id=pair_id)
    waiting = (
        samples_waiting(now=now).select_for_update(skip_locked=True).values_list("pk", flat=True)
    )
    if backends is not None:
        # A subquery, not a join: the row lock stays on the samples.
        variants = ModelVariant.objects.filter(backend__in=backends).values("pk")
        waiting = waiting.filter(variant_id__in=variants)
    priorities = [Sample.Priority.LIVE, Sample.Priority.BULK]
    if live is not None:
        priorities = [Sample.Priority.LIVE if live else Sample.Priority.BULK]
    candidates: list[int] = []
    for priority in priorities:
        candidates = _candidates(
            waiting=waiting.filter(priority=priority), pair_id=pair_id, limit=limit
        )
        if candidates:
            break
    if not candidates:
        return []
    token = f"{worker}:{secrets.token_hex(4)}"
    Sample.objects.filter(claimable(now), pk__in=candidates, attempts__lt=MAX_ATTEMPTS).update(
        status=Sample.Status.RUNNING,
        worker=token,
        text="",
        lease_expires_at=now + timedelta(seconds=settings.GENERATION_LEASE_S),
        attempts=F("attempts") + 1,
    )
    return list(
        Sample.objects.filter(status=Sample.Status.RUNNING, worker=token)
        .select_related("variant", "pair")
        .order_by("created_at", "pk")
    )


def samples_stream(*, samples: list[Sample], texts: list[str]) -> None:
    """Store partial texts so annotators watch responses appear, and renew the lease.

    Renewing on progress keeps the lease short (a dead worker's work comes back quickly)
    while long generations by a live worker stay claimed. Leases lost meanwhile are skipped.
    """
    lease = timezone.now() + timedelta(seconds=settings.GENERATION_LEASE_S)
    for sample, text in zip(samples, texts, strict=True):
        sample.text = text
        sample.lease_expires_at = lease
    if samples:
        _held(samples).bulk_update(samples, ["text", "lease_expires_at"])


def sample_complete(
    *,
    sample: Sample,
    text: str,
    prompt_tokens: int,
    completion_tokens: int,
    finish_reason: str,
    context_truncated: bool,
    latency_ms: int,
) -> bool:
    """Store a generated text, only if this worker still holds the sample's lease.

    The pair becomes ready (claimable from the queue) when its second sample is done. Each
    update commits on its own, so whichever completion commits last sees both done.
    """
    stored = bool(
        Sample.objects.filter(
            pk=sample.pk, status=Sample.Status.RUNNING, worker=sample.worker
        ).update(
            status=Sample.Status.DONE,
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish_reason,
            context_truncated=context_truncated,
            latency_ms=latency_ms,
            error="",
            lease_expires_at=None,
            finished_at=timezone.now(),
        )
    )
    if stored:
        pair_mark_ready(pair_id=sample.pair_id)
    return stored


def pair_mark_ready(*, pair_id: int) -> bool:
    """Set `ready_at` once both samples of the pair are done."""
    unfinished = Sample.objects.filter(pair_id=pair_id).exclude(status=Sample.Status.DONE)
    return bool(
        Pair.objects.filter(pk=pair_id, ready_at__isnull=True)
        .exclude(Exists(unfinished))
        .update(ready_at=timezone.now())
    )


def sample_fail(*, sample: Sample, error: str) -> bool:
    """Record a permanent failure on the sample, where the annotator will see it."""
    return bool(
        Sample.objects.filter(
            pk=sample.pk, status=Sample.Status.RUNNING, worker=sample.worker
        ).update(
            status=Sample.Status.FAILED,
            error=error[:2000] or "Unknown error",
            lease_expires_at=None,
            finished_at=timezone.now(),
        )
    )


def _held(samples: list[Sample]) -> QuerySet[Sample]:
    """The samples this worker still holds. A batch gathered over several claims carries
    several claim tokens, so each sample is matched with its own."""
    held = Q(pk__in=[])
    for worker in {s.worker for s in samples}:
        held |= Q(worker=worker, pk__in=[s.pk for s in samples if s.worker == worker])
    return Sample.objects.filter(held, status=Sample.Status.RUNNING)


def samples_yield(*, samples: list[Sample]) -> int:
    """Hand unfinished samples back to make way for live work; this attempt does not count.

    Samples already stored (or no longer held by this worker) are left as they are.
    """
    return _held(samples).update(
        status=Sample.Status.PENDING, text="", lease_expires_at=None, attempts=F("attempts") - 1
    )


def samples_release(*, samples: list[Sample], error: str) -> int:
    """Give samples back to the queue after a transient error, keeping the reason visible."""
    return _held(samples).update(
        status=Sample.Status.PENDING, error=error[:2000], lease_expires_at=None, text=""
    )


def samples_stranded(*, older_than_s: int, limit: int = 1000) -> list[int]:
    """Pairs with work nobody is doing: pending for a while, or running past their lease.

    Used by the reconciler after the broker lost its messages (restart, FLUSHALL). At most
    `limit` pairs, in the order workers claim (live work first, then the oldest), so a pool of
    a million pending pairs costs one bounded read and `limit` messages a run, not a million;
    later runs wake the rest if they are still waiting then.
    """
    now = timezone.now()
    waiting = Q(status=Sample.Status.PENDING, created_at__lt=now - timedelta(seconds=older_than_s))
    expired = Q(status=Sample.Status.RUNNING, lease_expires_at__lt=now)
    # A pair has two samples: twice the limit, in claim order, holds `limit` pairs if there are.
    pair_ids = (
        Sample.objects.filter(waiting | expired)
        .order_by("priority", "created_at", "id")
        .values_list("pair_id", flat=True)[: 2 * limit]
    )
    return sorted(list(dict.fromkeys(pair_ids))[:limit])
