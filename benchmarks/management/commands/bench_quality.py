"""Benchmark the quality page and API on a filled batch (see benchmarks.quality)."""

import json
import sys

from django.core.management.base import BaseCommand
from django.db import connection

from benchmarks.quality import quality_bench_run


class Command(BaseCommand):
    help = "Time the quality page and API over N pool pairs judged by several annotators."

    def add_arguments(self, parser):
        parser.add_argument("--pairs", type=int, default=20_000)
        parser.add_argument("--annotators", type=int, default=200)
        parser.add_argument("--overlap", type=int, default=5, help="judgments per pair")
        parser.add_argument("--requests", type=int, default=20, help="timed requests each")
        parser.add_argument("--json", action="store_true", help="print only the JSON object")
        parser.add_argument("--keep", action="store_true", help="leave the batch in place")

    def handle(self, *args, pairs, annotators, overlap, requests, keep, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("bench_quality needs PostgreSQL (it fills with COPY).")
            sys.exit(2)
        result = quality_bench_run(
            pairs=pairs, annotators=annotators, overlap=overlap, requests=requests, keep=keep
        )
        self.stdout.write(json.dumps(result) if options["json"] else json.dumps(result, indent=2))
