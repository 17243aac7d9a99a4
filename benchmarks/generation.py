"""`bench_generation`: plain one-at-a-time `generate` against the real worker path.

The baseline and the greedy check load the model in this process; the worker figure comes from
benchmarks.generation_worker (a Celery worker the bench starts). Torch is imported here, so the
command imports this module only when it runs.
"""

import random
import time
from collections.abc import Callable

import torch
from django.conf import settings
from django.utils import timezone

from apps.batches.services import variant_default_ensure
from model_worker.backends import GenerationRequest
from model_worker.backends.transformers_backend import TransformersBackend

from .generation_worker import worker_run
from .prompts import BENCH_PROMPTS


def _load(variant) -> TransformersBackend:
    return TransformersBackend.from_variant(variant)


def baseline_run(*, variant, prompts, params, max_new_tokens) -> dict:
    """Plain transformers `generate`, one request at a time, the same sampling settings."""
    backend = _load(variant)
    tokenizer, model = backend.tokenizer, backend.model
    eos_id = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
    tokens = 0
    started = time.perf_counter()
    for prompt, p in zip(prompts, params, strict=True):
        ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        ).to(backend.device)
        torch.manual_seed(p["seed"])
        out = model.generate(
            **ids,
            do_sample=True,
            temperature=p["temperature"],
            top_p=p["top_p"],
            max_new_tokens=max_new_tokens,
            pad_token_id=eos_id,
            eos_token_id=eos_id,
        )
        new = out[0, ids["input_ids"].shape[1] :].tolist()
        tokens += new.index(eos_id) if eos_id in new else len(new)
    seconds = time.perf_counter() - started
    return {
        "tokens": tokens,
        "seconds": seconds,
        "tokens_per_s": tokens / seconds,
        "device": backend.device,
        "threads": torch.get_num_threads(),
    }


def greedy_agreement(*, variant, prompts, max_new_tokens) -> float | None:
    """Share of prompts whose greedy text is identical batched and alone."""
    if max_new_tokens <= 0:
        return None
    backend = _load(variant)
    requests = [
        GenerationRequest(
            messages=[{"role": "user", "content": p}],
            temperature=0.0,
            top_p=1.0,
            max_new_tokens=max_new_tokens,
            seed=0,
        )
        for p in prompts
    ]
    window = variant.context_window
    batched = [r.text for r in backend.generate(requests, context_window=window)]
    alone = [backend.generate([r], context_window=window)[0].text for r in requests]
    return round(sum(a == b for a, b in zip(alone, batched, strict=True)) / len(prompts), 4)


def generation_bench_run(
    *, requests: int, max_new_tokens: int, greedy_tokens: int, log: Callable[[str], object]
) -> dict:
    """The baseline, the greedy check and the worker run on the default variant; the figures."""
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
    worker = worker_run(variant=variant, prompts=prompts, max_new_tokens=max_new_tokens, log=log)
    return {
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
