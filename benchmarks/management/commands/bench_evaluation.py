"""Benchmark the variant leaderboard: fill N comparisons among V variants, run the job.

The bench itself is benchmarks.evaluation; this parses the options and prints its JSON.
"""

import json
import sys

from django.core.management.base import BaseCommand
from django.db import connection

from benchmarks.evaluation import evaluation_bench_run


class Command(BaseCommand):
    help = "Time the leaderboard job (fit, bootstrap, stored result) over N comparisons."

    def add_arguments(self, parser):
        parser.add_argument("--comparisons", type=int, default=1_000_000)
        parser.add_argument("--variants", type=int, default=12)
        parser.add_argument("--iterations", type=int, default=4)
        parser.add_argument("--bootstrap-rounds", type=int, default=100)
        parser.add_argument(
            "--no-controlled", action="store_true", help="skip the position/length-controlled run"
        )
        parser.add_argument("--json", action="store_true", help="print only the JSON object")
        parser.add_argument("--keep", action="store_true", help="leave the rows in place")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("bench_evaluation needs PostgreSQL (it fills with set-based SQL).")
            sys.exit(2)
        result = evaluation_bench_run(
            comparisons=options["comparisons"],
            variants=options["variants"],
            iterations=options["iterations"],
            bootstrap_rounds=options["bootstrap_rounds"],
            controlled=not options["no_controlled"],
            keep=options["keep"],
        )
        self.stdout.write(json.dumps(result) if options["json"] else json.dumps(result, indent=2))
