"""`bench_queue` from start to end: seed, serve, run the annotators, check the books, clean up.

Seeds an open pool batch (PostgreSQL of DATABASE_URL), starts gunicorn on it, runs the
simulated annotators, checks the database for duplicates and lost judgments, then stops the
server and deletes the seeded rows, whatever happened (errors, Ctrl-C, SIGTERM).
"""

import contextlib
import os
import secrets
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from .queue_books import bench_check, claim_profile
from .queue_client import health_ceiling, percentile, run_annotators
from .queue_seed import bench_clean, bench_seed, database_url
from .queue_server import GunicornServer, free_port, server_errors


class Terminated(Exception):
    """The bench process was sent SIGTERM (raised in the main thread, so cleanup runs)."""


@contextlib.contextmanager
def sigterm_raises():
    """While inside, SIGTERM raises Terminated in the main thread (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True)
class QueueBenchSettings:
    annotators: int = 50
    pairs: int = 2000
    overlap: int = 1
    think_ms: tuple[int, int] = (5000, 15000)
    workers: int = 3
    threads: int = 8
    port: int = 0  # 0: a free one
    conn_max_age: int = 60
    replay_fraction: float = 0.05
    server_debug: bool = False
    seed: int = 0
    health_seconds: float = 5.0


def _server_env(config: QueueBenchSettings) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="annotation_site.settings",
        DATABASE_URL=database_url(conn_max_age=config.conn_max_age),
        REDIS_URL=settings.CELERY_BROKER_URL,
        DEBUG="1" if config.server_debug else "0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        API_RATE_PER_TOKEN="1000000/minute",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def queue_bench_run(*, config: QueueBenchSettings) -> dict:
    """Run the whole bench once; return its figures (raises ServerError if gunicorn fails)."""
    started = time.perf_counter()
    data = bench_seed(pairs=config.pairs, annotators=config.annotators, overlap=config.overlap)
    seed_s = time.perf_counter() - started
    server = None
    profile_full = profile_empty = None
    log_dir = tempfile.mkdtemp(prefix="bench-queue-")
    try:
        profile_full = claim_profile(data=data)
        port = config.port or free_port()
        server = GunicornServer(
            base_dir=settings.BASE_DIR,
            port=port,
            workers=config.workers,
            threads=config.threads,
            env=_server_env(config),
            log_path=Path(log_dir) / "gunicorn.log",
        )
        server.wait_ready()
        load_before = os.getloadavg()
        cpu_before = time.process_time()
        client = run_annotators(
            port=port,
            batch_id=data.batch_id,
            tokens=list(zip(data.user_ids, data.token_keys, strict=True)),
            think_ms=config.think_ms,
            replay_fraction=config.replay_fraction,
            seed=config.seed,
        )
        client_cpu_s = time.process_time() - cpu_before
        load_after = os.getloadavg()
        # The same server, right after: its ceiling on a request that does no work.
        ceiling = health_ceiling(
            port=port, clients=config.annotators, duration_s=config.health_seconds
        )
        server.stop()  # flushes the access log
        server_times = server.request_times_ms()
        errors_logged = server_errors(server.log_tail(chars=200_000))
        books = bench_check(data=data, acknowledged=client.acknowledged)
        profile_empty = claim_profile(data=data)
    finally:
        if server is not None:
            server.stop()
        bench_clean(data=data)
    lat = client.latencies_ms
    return {
        "annotators": config.annotators,
        "pairs": config.pairs,
        "overlap": config.overlap,
        "duplicates": books["duplicates"],
        "lost": books["lost"],
        "requests": client.requests,
        "requests_per_s": round(client.requests / client.wall_s, 1) if client.wall_s else None,
        **ceiling,
        "queue_share_of_ceiling": (
            round(client.requests / client.wall_s / ceiling["health_requests_per_s"], 3)
            if client.wall_s and ceiling["health_requests_per_s"]
            else None
        ),
        "judgments_per_s": (
            round(len(client.acknowledged) / client.wall_s, 1) if client.wall_s else None
        ),
        "claim_p50_ms": percentile(lat["claim"], 50),
        "claim_p95_ms": percentile(lat["claim"], 95),
        "claim_p99_ms": percentile(lat["claim"], 99),
        "claim_max_ms": percentile(lat["claim"], 100),
        "submit_p50_ms": percentile(lat["submit"], 50),
        "submit_p95_ms": percentile(lat["submit"], 95),
        "submit_p99_ms": percentile(lat["submit"], 99),
        "claims": len(lat["claim"]),
        "submits": len(lat["submit"]),
        "replays": len(lat["replay"]),
        "replay_mismatches": client.replay_mismatches,
        "errors": sum(client.errors.values()),
        "errors_by_kind": dict(client.errors),
        "server_errors_logged": errors_logged,
        # The server's own time per request (gunicorn access log): the rest of the
        # client's figure is queueing for a worker thread and the client's own scheduling.
        "server_claim_p50_ms": percentile(server_times["claim"], 50),
        "server_claim_p95_ms": percentile(server_times["claim"], 95),
        "server_submit_p50_ms": percentile(server_times["submit"], 50),
        "server_submit_p95_ms": percentile(server_times["submit"], 95),
        "client_cpu_s": round(client_cpu_s, 1),
        "load_avg_1m_before": round(load_before[0], 2),
        "load_avg_1m_after": round(load_after[0], 2),
        "cpus": os.cpu_count(),
        "claim_profile_full_pool": profile_full,
        "claim_profile_empty_pool": profile_empty,
        "wall_s": round(client.wall_s, 2),
        "seed_s": round(seed_s, 2),
        "think_ms": list(config.think_ms),
        "gunicorn": {
            "worker_class": "gthread",
            "workers": config.workers,
            "threads": config.threads,
            "debug": bool(config.server_debug),
            "conn_max_age": config.conn_max_age,
        },
        "duplicates_detail": books["duplicates_detail"],
        "lost_detail": books["lost_detail"],
        "judgments_expected": books["judgments_expected"],
        "judgments_stored": books["judgments_stored"],
        "leases": books["leases"],
        "leases_left_open": books["leases_left_open"],
        "database": connection.vendor,
    }
