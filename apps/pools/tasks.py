"""Pool import tasks, run by the web app's worker (default queue). Thin: take an id, call the
service."""

from celery import shared_task
from django.conf import settings


@shared_task(
    ignore_result=True,
    soft_time_limit=settings.POOL_IMPORT_SOFT_TIME_LIMIT_S,
    time_limit=settings.POOL_IMPORT_SOFT_TIME_LIMIT_S + 60,
)
def pool_upload_import_task(upload_id: int) -> str:
    """Check and import a stored upload (see pool_upload_run); running it twice is harmless."""
    from .services import pool_upload_run

    return pool_upload_run(upload_id=upload_id)
