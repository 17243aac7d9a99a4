"""Leaderboard tasks, run by the web app's worker (default queue). Thin: take an id, call the
service."""

from celery import shared_task
from django.conf import settings


@shared_task(
    ignore_result=True,
    soft_time_limit=settings.LEADERBOARD_SOFT_TIME_LIMIT_S,
    time_limit=settings.LEADERBOARD_SOFT_TIME_LIMIT_S + 60,
)
def leaderboard_run_task(run_id: int) -> str:
    """Compute a leaderboard run (see leaderboard_run_execute); running it twice is harmless."""
    from .services import leaderboard_run_execute

    return leaderboard_run_execute(run_id=run_id)
