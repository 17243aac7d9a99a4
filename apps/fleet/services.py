"""Writes for the generation fleet: workers report themselves."""

from django.utils import timezone

from .models import EndpointHealth, WorkerHeartbeat


def heartbeat_record(
    *,
    name: str,
    hostname: str,
    pid: int,
    queues: str,
    device: str,
    variants: list[str],
    samples_done: int,
    last_error: str = "",
    started_at=None,
    stopped: bool = False,
) -> WorkerHeartbeat:
    now = timezone.now()
    reported = {
        "hostname": hostname,
        "pid": pid,
        "queues": queues,
        "device": device,
        "variants": variants,
        "samples_done": samples_done,
        "last_error": last_error[:2000],
        "last_seen": now,
        "stopped_at": now if stopped else None,
    }
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults=reported,
        create_defaults={**reported, "started_at": started_at or now},
    )
    return heartbeat


def endpoint_health_record(
    *,
    base_url: str,
    variants: list[str],
    ok: bool,
    latency_ms: int | None,
    error: str = "",
    checked_by: str = "",
) -> EndpointHealth:
    """Store a worker's probe of one OpenAI-compatible endpoint (the latest one wins)."""
    health, _ = EndpointHealth.objects.update_or_create(
        base_url=base_url,
        defaults={
            "variants": variants,
            "ok": ok,
            "latency_ms": latency_ms,
            "error": error[:2000],
            "checked_by": checked_by,
            "last_seen": timezone.now(),
        },
    )
    return health
