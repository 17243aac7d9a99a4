"""Benchmark the export path: fill N comparisons, export them, compare with the bare driver.

The bench itself is benchmarks.export; this parses the options and prints its JSON.
"""

import argparse
import json
import sys

from django.core.management.base import BaseCommand
from django.db import connection

from benchmarks.export import export_bench_run, export_measure


class Command(BaseCommand):
    help = "Time the trl JSONL and Parquet exports of N bulk-inserted comparisons."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--json", action="store_true", help="print only the JSON object")
        parser.add_argument("--response-chars", type=int, default=600)
        parser.add_argument("--keep", action="store_true", help="leave the rows in place")
        # The child process the bench measures the exports in.
        parser.add_argument("--measure-batches", help=argparse.SUPPRESS)

    def handle(self, *args, rows: int, response_chars: int, keep: bool, measure_batches, **options):
        if measure_batches:
            batch_ids = [int(x) for x in measure_batches.split(",")]
            self.stdout.write(json.dumps(export_measure(batch_ids=batch_ids)))
            return
        if connection.vendor != "postgresql":
            self.stderr.write("bench_export needs PostgreSQL (it fills with COPY).")
            sys.exit(2)
        result = export_bench_run(rows=rows, response_chars=response_chars, keep=keep)
        self.stdout.write(json.dumps(result) if options["json"] else json.dumps(result, indent=2))
