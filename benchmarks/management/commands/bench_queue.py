"""Benchmark the work queue over HTTP: N annotators claim and submit a pool of pairs at once.

The bench itself is benchmarks.queue_run; this parses the options and prints its JSON.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks.queue_run import QueueBenchSettings, Terminated, queue_bench_run, sigterm_raises
from benchmarks.queue_server import ServerError


def _think_range(value: str) -> tuple[int, int]:
    low, _, high = value.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError as exc:
        raise CommandError(f"--think-ms takes MIN-MAX milliseconds, not {value!r}") from exc
    if bounds[0] < 0 or bounds[0] > bounds[1]:
        raise CommandError(f"--think-ms takes MIN-MAX with 0 <= MIN <= MAX, not {value!r}")
    return bounds


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
        parser.add_argument(
            "--health-seconds",
            type=float,
            default=5.0,
            help="after the queue run, GET /health/ with no pause for this long (the ceiling)",
        )
        parser.add_argument("--json", action="store_true", help="print the JSON on one line")

    def handle(self, *args, **options):
        config = self._settings(options)
        try:
            with sigterm_raises():
                result = queue_bench_run(config=config)
        except ServerError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise CommandError("bench_queue interrupted (server stopped, rows deleted).") from exc
        except Terminated as exc:
            raise CommandError(
                "bench_queue stopped by SIGTERM (server stopped, rows deleted)."
            ) from exc
        self.stdout.write(json.dumps(result) if options["json"] else json.dumps(result, indent=2))

    @staticmethod
    def _settings(options) -> QueueBenchSettings:
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
        if options["health_seconds"] <= 0:
            raise CommandError("--health-seconds must be more than 0.")
        return QueueBenchSettings(
            annotators=annotators,
            pairs=pairs,
            overlap=overlap,
            think_ms=_think_range(options["think_ms"]),
            workers=options["workers"],
            threads=options["threads"],
            port=options["port"],
            conn_max_age=options["conn_max_age"],
            replay_fraction=options["replay_fraction"],
            server_debug=options["server_debug"],
            seed=options["seed"],
            health_seconds=options["health_seconds"],
        )
