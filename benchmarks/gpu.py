"""Backend-level throughput on an accelerator, without Django, a database or a broker.

    python -m benchmarks.gpu --model-dir DIR [--random-weights]

DIR holds a config and tokenizer (and weights, unless --random-weights: a model of the same
shape with random weights costs the same compute, for machines the weights cannot reach).
Compares plain `generate` one request at a time with the backend's batched per-row sampling,
and checks greedy batched-vs-alone agreement. Prints one JSON object.
"""

import argparse
import json
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from benchmarks.prompts import BENCH_PROMPTS
from model_worker.backends import GenerationRequest
from model_worker.backends.transformers_backend import TransformersBackend, pick_device_and_dtype


def _load(model_dir: str, random_weights: bool) -> TransformersBackend:
    device, dtype = pick_device_and_dtype("auto", "auto")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    if random_weights:
        torch.manual_seed(0)
        config = AutoConfig.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    else:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
    model.to(device).eval()
    return TransformersBackend(name=model_dir, model=model, tokenizer=tokenizer, device=device)


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--random-weights", action="store_true")
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()

    backend = _load(args.model_dir, args.random_weights)
    tok, model = backend.tokenizer, backend.model
    eos = tok.convert_tokens_to_ids(tok.eos_token)
    prompts = [BENCH_PROMPTS[i % len(BENCH_PROMPTS)] for i in range(args.requests)]
    requests = [
        GenerationRequest(
            messages=[{"role": "user", "content": p}],
            temperature=(0.4, 1.0)[i % 2],
            top_p=0.95,
            max_new_tokens=args.max_new_tokens,
            seed=i,
        )
        for i, p in enumerate(prompts)
    ]
    backend.generate(requests[:2], context_window=2048)  # warm-up

    _sync()
    started, baseline_tokens = time.perf_counter(), 0
    for r in requests:
        ids = tok.apply_chat_template(
            r.messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(backend.device)
        torch.manual_seed(r.seed)
        out = model.generate(
            **ids,
            do_sample=True,
            temperature=r.temperature,
            top_p=r.top_p,
            max_new_tokens=r.max_new_tokens,
            pad_token_id=eos,
            eos_token_id=eos,
        )
        new = out[0, ids["input_ids"].shape[1] :].tolist()
        baseline_tokens += new.index(eos) if eos in new else len(new)
    _sync()
    baseline_s = time.perf_counter() - started

    started = time.perf_counter()
    results = backend.generate(requests, context_window=2048)
    _sync()
    batched_s = time.perf_counter() - started
    batched_tokens = sum(r.completion_tokens for r in results)

    greedy = [
        GenerationRequest(
            messages=r.messages, temperature=0.0, top_p=1.0, max_new_tokens=32, seed=0
        )
        for r in requests
    ]
    together = [r.text for r in backend.generate(greedy, context_window=2048)]
    alone = [backend.generate([g], context_window=2048)[0].text for g in greedy]
    print(
        json.dumps(
            {
                "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                "dtype": str(model.dtype),
                "random_weights": args.random_weights,
                "requests": args.requests,
                "max_new_tokens": args.max_new_tokens,
                "baseline_tokens_per_s": round(baseline_tokens / baseline_s, 1),
                "batched_tokens_per_s": round(batched_tokens / batched_s, 1),
                "ratio": round((batched_tokens / batched_s) / (baseline_tokens / baseline_s), 2),
                "greedy_batched_equals_alone_share": sum(
                    a == b for a, b in zip(alone, together, strict=False)
                )
                / len(alone),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
