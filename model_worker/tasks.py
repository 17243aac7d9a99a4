from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def generate_pair(pair_id: int) -> int:
    """Generate a pair's responses (batched with whatever else waits). Safe to run twice."""
    from .generation import pair_generate

    return pair_generate(pair_id=pair_id)


@shared_task(ignore_result=True)
def reconcile_generation() -> int:
    """Re-enqueue work the broker forgot (restart without persistence, FLUSHALL, lost acks)."""
    from .reconcile import generation_reconcile

    return generation_reconcile()
