"""Pool import tasks, run by the web app's worker (default queue). Thin: take an id, call the
service."""

from celery import shared_task
from django.conf import settings


@shared_task(
    bind=True,
    ignore_result=True,
    soft_time_limit=settings.POOL_IMPORT_SOFT_TIME_LIMIT_S,
    time_limit=settings.POOL_IMPORT_SOFT_TIME_LIMIT_S + 60,
    max_retries=1,
)
def pool_upload_import_task(self, upload_id: int) -> str:
    """Check and import a stored upload (see pool_upload_run); running it twice is harmless.

    Delivered again while an earlier run may still hold the upload (its worker was lost), it
    waits until that run is past its hard time limit, then takes the upload over.
    """
    from .upload_jobs import UploadBusy, pool_upload_run

    try:
        return pool_upload_run(upload_id=upload_id)
    except UploadBusy as exc:
        raise self.retry(exc=exc, countdown=exc.retry_after_s) from exc
