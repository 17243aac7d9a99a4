"""Throughput of the real worker path against plain one-at-a-time `generate`.

Prints one JSON object. The bench itself is benchmarks.generation: it starts its own Celery
worker (on the configured database and broker), submits every request at once and removes its
rows afterwards.
"""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Benchmark generation throughput: worker path vs plain transformers generate."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=32, help="generation requests")
        parser.add_argument("--max-new-tokens", type=int, default=64)
        parser.add_argument(
            "--greedy-tokens",
            type=int,
            default=32,
            help="new tokens for the greedy batched-vs-alone check (0: skip)",
        )
        parser.add_argument(
            "--backend",
            choices=["transformers", "openai"],
            default="transformers",
            help="openai: the worker streams from a `transformers serve` the bench starts",
        )
        parser.add_argument(
            "--max-concurrency", type=int, default=32, help="openai: requests in flight at once"
        )
        parser.add_argument(
            "--live-under-load",
            action="store_true",
            help="a written prompt's time to first text while a pool generates, and the pool's "
            "throughput against no live traffic",
        )
        parser.add_argument("--pool-rows", type=int, default=500, help="live-under-load: pool size")
        parser.add_argument(
            "--live-every-s", type=float, default=5.0, help="live-under-load: prompt interval"
        )
        parser.add_argument("--json", action="store_true", help="print only the JSON object")

    def handle(self, *args, requests: int, max_new_tokens: int, greedy_tokens: int, **options):
        # Torch loads only when the bench runs, not when manage.py lists its commands.
        from benchmarks.generation import generation_bench_run

        log = (lambda *a: None) if options["json"] else self.stderr.write
        if options["live_under_load"]:
            from benchmarks.generation_live import live_under_load_run

            result = live_under_load_run(
                backend=options["backend"],
                pool_rows=options["pool_rows"],
                max_new_tokens=max_new_tokens,
                live_every_s=options["live_every_s"],
                max_concurrency=options["max_concurrency"],
                log=log,
            )
            self.stdout.write(json.dumps(result))
            return
        if options["backend"] == "openai":
            from benchmarks.generation_openai import openai_bench_run

            result = openai_bench_run(
                requests=requests,
                max_new_tokens=max_new_tokens,
                max_concurrency=options["max_concurrency"],
                log=log,
            )
            self.stdout.write(json.dumps(result))
            return
        result = generation_bench_run(
            requests=requests, max_new_tokens=max_new_tokens, greedy_tokens=greedy_tokens, log=log
        )
        self.stdout.write(json.dumps(result))
