"""Export tasks, routed to the `exports` queue. Thin: take an id, call the service."""

from celery import shared_task
from django.conf import settings


@shared_task(
    soft_time_limit=settings.EXPORT_SOFT_TIME_LIMIT_S,
    time_limit=settings.EXPORT_SOFT_TIME_LIMIT_S + 60,
)
def export_job_run_task(job_id: int) -> None:
    from .services import export_job_run

    export_job_run(job_id=job_id)


@shared_task
def export_jobs_expire_task() -> int:
    """Run by Celery beat: delete export files past EXPORT_RETENTION_DAYS."""
    from .services import export_jobs_expire

    return export_jobs_expire()
