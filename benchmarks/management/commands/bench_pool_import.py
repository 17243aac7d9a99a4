"""Benchmark a pool import job (check and import a JSONL file of N rows); print JSON.

The bench itself is benchmarks.pool_import.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks.pool_import import pool_import_bench


class Command(BaseCommand):
    help = "Import a generated pool file of N rows through the import job; print JSON."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--overlap", type=int, default=1, help="judgment slots per pair")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, rows: int, overlap: int, json: bool = False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_pool_import needs PostgreSQL: set DATABASE_URL.")
        if rows < 20:
            raise CommandError("--rows must be at least 20.")
        result = pool_import_bench(rows=rows, overlap=overlap)
        self.stdout.write(_dumps(result, pretty=not json))


def _dumps(result: dict, *, pretty: bool) -> str:
    return json.dumps(result, indent=2 if pretty else None)
