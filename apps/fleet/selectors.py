"""Reads for the worker status page."""

from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from apps.catalog.models import ModelVariant
from apps.pairs.models import Sample

from .models import EndpointHealth, WorkerHeartbeat


def workers_status() -> list[dict]:
    """Workers seen in the last day, each marked alive, stopped or silent (presumed dead)."""
    now = timezone.now()
    silent_after = timedelta(seconds=3 * settings.WORKER_HEARTBEAT_S)
    rows = []
    for worker in WorkerHeartbeat.objects.filter(last_seen__gte=now - timedelta(days=1)):
        if worker.stopped_at:
            state = "stopped"
        elif now - worker.last_seen > silent_after:
            state = "silent"
        else:
            state = "alive"
        rows.append(
            {"worker": worker, "state": state, "seconds_ago": (now - worker.last_seen).seconds}
        )
    return rows


def generation_backlog() -> dict[str, int]:
    """What the database says is waiting: the truth, whatever the broker holds."""
    counts = Sample.objects.aggregate(
        pending=Count("pk", filter=Q(status=Sample.Status.PENDING)),
        running=Count("pk", filter=Q(status=Sample.Status.RUNNING)),
        retrying=Count("pk", filter=Q(status=Sample.Status.PENDING) & ~Q(error="")),
        failed_last_hour=Count(
            "pk",
            filter=Q(
                status=Sample.Status.FAILED, finished_at__gte=timezone.now() - timedelta(hours=1)
            ),
        ),
    )
    return counts


def broker_queue_depth(queue: str = "generation") -> int | None:
    """Messages waiting in the broker queue, or None when the broker does not answer."""
    try:
        with current_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            # Declaring is idempotent; a passive declare fails on Redis when the list is empty.
            return connection.default_channel.queue_declare(queue=queue).message_count
    except Exception:  # a down broker is exactly what this page must show, not crash on
        return None


def failures_recent(*, limit: int = 20):
    return (
        Sample.objects.exclude(error="")
        .select_related("variant")
        .order_by("-finished_at", "-pk")[:limit]
    )


def endpoints_health() -> list[dict]:
    """OpenAI-compatible endpoints of active variants, each with its last probe (if any)."""
    served: dict[str, list[str]] = {}
    for name, base_url in ModelVariant.objects.filter(
        is_active=True, backend=ModelVariant.Backend.OPENAI
    ).values_list("name", "base_url"):
        served.setdefault(base_url.rstrip("/"), []).append(name)
    probes = {h.base_url: h for h in EndpointHealth.objects.filter(base_url__in=served)}
    now = timezone.now()
    return [
        {
            "base_url": base_url,
            "variants": names,
            "health": probes.get(base_url),
            "seconds_ago": (now - probes[base_url].last_seen).seconds
            if base_url in probes
            else None,
        }
        for base_url, names in sorted(served.items())
    ]
