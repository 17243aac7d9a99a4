"""Celery tasks of the generation workers. Thin: take an id, call the generation code."""

from celery import shared_task

from . import lifecycle  # noqa: F401 - connects the worker's start and stop signals

RETRY_PAUSES_S = (5, 20, 60)  # after a transient error: the samples wait this long, then retry


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=len(RETRY_PAUSES_S),
)
def pair_generate_task(self, pair_id: int) -> int:
    """Generate a pair's responses (batched with whatever else waits). Safe to run twice.

    A transient error (the samples are pending again, the reason shown) is retried by this
    task after a pause, rather than waiting for the reconciler.
    """
    from .generation import TransientGenerationError, pair_generate

    try:
        return pair_generate(pair_id=pair_id)
    except TransientGenerationError as exc:
        pause = RETRY_PAUSES_S[min(self.request.retries, len(RETRY_PAUSES_S) - 1)]
        raise self.retry(exc=exc, countdown=pause) from exc


@shared_task(ignore_result=True)
def generation_reconcile_task() -> int:
    """Re-enqueue work the broker forgot (restart without persistence, FLUSHALL, lost acks)."""
    from .reconcile import generation_reconcile

    return generation_reconcile()
