"""Throughput of the real worker path against plain one-at-a-time `generate`.

Prints one JSON object. The command starts its own Celery worker (on the configured
database and broker), submits every request at once and removes its rows afterwards.
"""

import json
import random

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from benchmarks.prompts import BENCH_PROMPTS


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
        parser.add_argument("--json", action="store_true", help="print only the JSON object")

    def handle(self, *args, requests: int, max_new_tokens: int, greedy_tokens: int, **options):
        from apps.batches.services import variant_default_ensure
        from benchmarks.generation import baseline_run, greedy_agreement, worker_run

        quiet = options["json"]
        log = (lambda *a: None) if quiet else (self.stderr.write)
        variant = variant_default_ensure()
        prompts = [BENCH_PROMPTS[i % len(BENCH_PROMPTS)] for i in range(requests)]
        rng = random.Random(1234)
        params = [
            {"temperature": rng.choice([0.4, 1.0]), "top_p": 0.95, "seed": rng.randrange(2**31)}
            for _ in prompts
        ]

        log("baseline: one request at a time through plain generate…")
        baseline = baseline_run(
            variant=variant, prompts=prompts, params=params, max_new_tokens=max_new_tokens
        )
        log(f"  {baseline['tokens_per_s']:.1f} tokens/s")
        log("greedy: batched vs alone…")
        agreement = greedy_agreement(variant=variant, prompts=prompts, max_new_tokens=greedy_tokens)
        log("worker: all requests at once through Celery…")
        worker = worker_run(
            variant=variant, prompts=prompts, max_new_tokens=max_new_tokens, log=log
        )
        result = {
            "requests": requests,
            "max_new_tokens": max_new_tokens,
            "device": baseline["device"],
            "baseline_tokens_per_s": round(baseline["tokens_per_s"], 2),
            "baseline_tokens": baseline["tokens"],
            "baseline_seconds": round(baseline["seconds"], 2),
            "worker_tokens_per_s": round(worker["tokens_per_s"], 2),
            "worker_tokens": worker["tokens"],
            "worker_seconds": round(worker["seconds"], 2),
            "worker_batches": worker["batches"],
            "ratio": round(worker["tokens_per_s"] / baseline["tokens_per_s"], 2),
            "greedy_batched_equals_alone_share": agreement,
            "max_batch": settings.GENERATION_MAX_BATCH,
            "torch_threads": baseline["threads"],
            "at": timezone.now().isoformat(timespec="seconds"),
        }
        self.stdout.write(json.dumps(result))
