from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def generate_pair(pair_id: int) -> int:
    """Generate both responses of a pair. Takes an id; safe to run twice."""
    from .generation import pair_generate

    return pair_generate(pair_id=pair_id)
