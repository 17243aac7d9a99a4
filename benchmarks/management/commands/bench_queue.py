"""Benchmark the work queue over HTTP: N annotators claim and submit a pool of pairs at once.

Seeds an open pool batch (PostgreSQL of DATABASE_URL), starts gunicorn on it, runs the
simulated annotators, checks the database for duplicates and lost judgments, then stops the
server and deletes the seeded rows, whatever happened (errors, Ctrl-C, SIGTERM).
"""

import json
import os
import secrets
import signal
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks.queue_client import (
    GunicornServer,
    free_port,
    percentile,
    run_annotators,
)
from benchmarks.queue_seed import (
    bench_check,
    bench_clean,
    bench_seed,
    claim_profile,
    database_url,
)


def _think_range(value: str) -> tuple[int, int]:
    low, _, high = value.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError as exc:
        raise CommandError(f"--think-ms takes MIN-MAX milliseconds, not {value!r}") from exc
    if bounds[0] < 0 or bounds[0] > bounds[1]:
        raise CommandError(f"--think-ms takes MIN-MAX with 0 <= MIN <= MAX, not {value!r}")
    return bounds


class _Terminated(Exception):
    pass


class Command(BaseCommand):
    help = "Run N simulated annotators against the work queue API under gunicorn; print JSON."

    def add_arguments(self, parser):
        parser.add_argument("--annotators", type=int, default=50)
        parser.add_argument("--pairs", type=int, default=2000)
        parser.add_argument("--overlap", type=int, default=1, help="annotators per pair (1-10)")
        parser.add_argument(
            "--think-ms",
            default="5000-15000",
            help=(
                "random pause MIN-MAX per pair: the time an annotator judges (the default is "
                "already several times faster than people; 20-80 saturates the server)"
            ),
        )
        parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
        parser.add_argument("--port", type=int, default=0, help="0: pick a free port")
        parser.add_argument(
            "--conn-max-age",
            type=int,
            default=60,
            help="the server's persistent database connections, seconds (0: one per request)",
        )
        parser.add_argument(
            "--replay-fraction",
            type=float,
            default=0.05,
            help="share of submits sent a second time with the same Idempotency-Key",
        )
        parser.add_argument(
            "--server-debug", action="store_true", help="run the server with DEBUG=1"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="print the JSON on one line")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_queue needs PostgreSQL: set DATABASE_URL=postgres://... "
                f"(this database is {connection.vendor})."
            )
        annotators, pairs, overlap = options["annotators"], options["pairs"], options["overlap"]
        if annotators < 1 or pairs < 1:
            raise CommandError("--annotators and --pairs must be at least 1.")
        if not 1 <= overlap <= min(10, annotators):
            raise CommandError("--overlap must be between 1 and min(10, --annotators).")
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        think_ms = _think_range(options["think_ms"])

        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            result = self._bench(options, annotators, pairs, overlap, think_ms)
        except KeyboardInterrupt as exc:
            raise CommandError("bench_queue interrupted (server stopped, rows deleted).") from exc
        except _Terminated as exc:
            raise CommandError(
                "bench_queue stopped by SIGTERM (server stopped, rows deleted)."
            ) from exc
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.stdout.write(json.dumps(result) if options["json"] else json.dumps(result, indent=2))

    @staticmethod
    def _on_sigterm(signum, frame):
        raise _Terminated()

    def _bench(self, options, annotators, pairs, overlap, think_ms) -> dict:
        started = time.perf_counter()
        data = bench_seed(pairs=pairs, annotators=annotators, overlap=overlap)
        seed_s = time.perf_counter() - started
        server = None
        profile_full = profile_empty = None
        log_dir = tempfile.mkdtemp(prefix="bench-queue-")
        try:
            profile_full = claim_profile(data=data)
            port = options["port"] or free_port()
            env = dict(os.environ)
            env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            env.update(
                DJANGO_SETTINGS_MODULE="annotation_site.settings",
                DATABASE_URL=database_url(conn_max_age=options["conn_max_age"]),
                REDIS_URL=settings.CELERY_BROKER_URL,
                DEBUG="1" if options["server_debug"] else "0",
                SECRET_KEY=secrets.token_urlsafe(50),
                ALLOWED_HOSTS="127.0.0.1,localhost",
                API_RATE_PER_TOKEN="1000000/minute",
                LOG_LEVEL="WARNING",
                PYTHONUNBUFFERED="1",
            )
            server = GunicornServer(
                base_dir=settings.BASE_DIR,
                port=port,
                workers=options["workers"],
                threads=options["threads"],
                env=env,
                log_path=Path(log_dir) / "gunicorn.log",
            )
            try:
                server.wait_ready()
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            load_before = os.getloadavg()
            cpu_before = time.process_time()
            client = run_annotators(
                port=port,
                batch_id=data.batch_id,
                tokens=list(zip(data.user_ids, data.token_keys, strict=True)),
                think_ms=think_ms,
                replay_fraction=options["replay_fraction"],
                seed=options["seed"],
            )
            client_cpu_s = time.process_time() - cpu_before
            load_after = os.getloadavg()
            server.stop()  # flushes the access log
            server_times = server.request_times_ms()
            server_errors = _server_errors(server.log_tail(chars=200_000))
            books = bench_check(data=data, acknowledged=client.acknowledged)
            profile_empty = claim_profile(data=data)
        finally:
            if server is not None:
                server.stop()
            bench_clean(data=data)
        lat = client.latencies_ms
        return {
            "annotators": annotators,
            "pairs": pairs,
            "overlap": overlap,
            "duplicates": books["duplicates"],
            "lost": books["lost"],
            "requests": client.requests,
            "requests_per_s": round(client.requests / client.wall_s, 1) if client.wall_s else None,
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
            "server_errors_logged": server_errors,
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
            "think_ms": list(think_ms),
            "gunicorn": {
                "worker_class": "gthread",
                "workers": options["workers"],
                "threads": options["threads"],
                "debug": bool(options["server_debug"]),
                "conn_max_age": options["conn_max_age"],
            },
            "duplicates_detail": books["duplicates_detail"],
            "lost_detail": books["lost_detail"],
            "judgments_expected": books["judgments_expected"],
            "judgments_stored": books["judgments_stored"],
            "leases": books["leases"],
            "leases_left_open": books["leases_left_open"],
            "database": connection.vendor,
        }


def _server_errors(log: str) -> int:
    """Tracebacks and 5xx the server logged (gunicorn at warning level, Django's own logger)."""
    return log.count("Traceback (most recent call last)")
