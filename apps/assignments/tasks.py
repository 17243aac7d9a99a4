from celery import shared_task


@shared_task(ignore_result=True)
def leases_expire_task() -> int:
    """Put pool pairs whose lease ran out back in the queue (claims also take them directly)."""
    from .services import leases_expire

    return leases_expire()
