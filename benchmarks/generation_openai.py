"""`bench_generation --backend openai`: the same 32 requests through a `transformers serve`
process the bench starts, against plain one-at-a-time `generate` in this process.

The server is the bundled model saved once as safetensors (in `.data/served-models/`); the
worker streams from it over the OpenAI API, so its figure includes HTTP and the server's own
continuous batching. Both figures come from one run.
"""

import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from apps.batches.services import variant_default_ensure
from apps.catalog.models import ModelVariant
from model_worker.backends.transformers_serve import TransformersServe, served_model_folder

from .generation import baseline_run
from .generation_worker import worker_run
from .prompts import BENCH_PROMPTS

SERVED_MODEL_CACHE = Path(settings.BASE_DIR) / ".data" / "served-models"


def openai_bench_run(
    *, requests: int, max_new_tokens: int, max_concurrency: int, log: Callable[[str], object]
) -> dict:
    default = variant_default_ensure()
    prompts = [BENCH_PROMPTS[i % len(BENCH_PROMPTS)] for i in range(requests)]
    rng = random.Random(1234)
    params = [
        {"temperature": rng.choice([0.4, 1.0]), "top_p": 0.95, "seed": rng.randrange(2**31)}
        for _ in prompts
    ]
    log("baseline: one request at a time through plain generate…")
    baseline = baseline_run(
        variant=default, prompts=prompts, params=params, max_new_tokens=max_new_tokens
    )
    log(f"  {baseline['tokens_per_s']:.1f} tokens/s")
    with served_variant(max_concurrency=max_concurrency, log=log) as (variant, server_start_s):
        log("worker: all requests at once through Celery and the server…")
        worker = worker_run(
            variant=variant, prompts=prompts, max_new_tokens=max_new_tokens, log=log
        )
    return {
        "backend": "openai",
        "server": "transformers serve --continuous-batching",
        "requests": requests,
        "max_new_tokens": max_new_tokens,
        "max_concurrency": max_concurrency,
        "baseline_tokens_per_s": round(baseline["tokens_per_s"], 2),
        "baseline_tokens": baseline["tokens"],
        "baseline_seconds": round(baseline["seconds"], 2),
        "worker_tokens_per_s": round(worker["tokens_per_s"], 2),
        "worker_tokens": worker["tokens"],
        "worker_seconds": round(worker["seconds"], 2),
        "ratio": round(worker["tokens_per_s"] / baseline["tokens_per_s"], 2),
        "server_start_s": round(server_start_s, 1),
        "torch_threads": baseline["threads"],
        "at": timezone.now().isoformat(timespec="seconds"),
    }


@contextmanager
def served_variant(*, max_concurrency: int, log: Callable[[str], object]) -> Iterator[tuple]:
    """A `transformers serve` of the bundled model and a variant pointing at it, removed after;
    yields the variant and the server's start-up seconds."""
    log("server: saving the model as safetensors (once) and starting transformers serve…")
    folder = served_model_folder(
        gguf_source=settings.DEFAULT_MODEL_SOURCE, cache_dir=SERVED_MODEL_CACHE
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        server = TransformersServe(model_folder=folder, log_path=Path(tmp) / "serve.log").start()
        try:
            server.warm_up()
            server_start_s = time.perf_counter() - started
            variant = ModelVariant.objects.create(
                name=f"bench-served-{time.time_ns()}",
                backend=ModelVariant.Backend.OPENAI,
                source_kind=ModelVariant.SourceKind.SERVED_MODEL,
                source=server.model,
                base_url=server.base_url,
                max_concurrency=max_concurrency,
            )
            try:
                yield variant, server_start_s
            finally:
                variant.delete()
        finally:
            server.stop()
