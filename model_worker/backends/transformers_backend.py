"""Hugging Face transformers backend: a pair (or more) of requests in one batched forward pass."""

import logging
import os
import time
from collections.abc import Callable

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList

from .base import GenerationRequest, GenerationResult, PermanentGenerationError
from .chat import requests_within_window
from .decoding import StreamingText, text_from_tokens
from .sampling import PerRowSampler
from .sources import resolve_gguf

logger = logging.getLogger(__name__)

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def pick_device_and_dtype(device: str, dtype: str) -> tuple[str, torch.dtype]:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        return device, torch.bfloat16 if device == "cuda" else torch.float32
    return device, _DTYPES[dtype]


class TransformersBackend:
    def __init__(self, *, name, model, tokenizer, device):
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.device = device

    @classmethod
    def from_variant(cls, variant) -> "TransformersBackend":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        device, dtype = pick_device_and_dtype(variant.device, variant.dtype)
        kwargs: dict = {}
        if variant.source_kind == "gguf_file":
            directory, file_name = resolve_gguf(variant.source)
            location, kwargs["gguf_file"] = directory, file_name
        else:
            location = variant.source
            kwargs["local_files_only"] = True
        started = time.monotonic()
        try:
            tokenizer = AutoTokenizer.from_pretrained(location, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(location, dtype=dtype, **kwargs)
        except OSError as exc:
            raise PermanentGenerationError(f"Cannot load {variant.name}: {exc}") from exc
        model.to(device).eval()
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        logger.info(
            "Loaded %s on %s/%s in %.1fs", variant.name, device, dtype, time.monotonic() - started
        )
        return cls(name=variant.name, model=model, tokenizer=tokenizer, device=device)

    @torch.inference_mode()
    def generate(
        self,
        requests: list[GenerationRequest],
        *,
        context_window: int,
        on_progress: Callable[[list[str]], None] | None = None,
        progress_every: int = 8,
        live: bool = False,  # one batch at a time here: the claim order puts live work first
    ) -> list[GenerationResult | PermanentGenerationError]:
        """Generate all requests in one batched call; a request that can never run gets its
        error in its place and does not hold the others back."""
        outcomes, runnable = requests_within_window(self.tokenizer, requests, context_window)
        if runnable:
            batch = [requests[i] for i, _, _ in runnable]
            texts = self._generate_batch(
                batch, [ids for _, ids, _ in runnable], on_progress, progress_every
            )
            for (index, ids, truncated), (tokens, finish) in zip(runnable, texts, strict=True):
                outcomes[index] = GenerationResult(
                    text=text_from_tokens(self.tokenizer, tokens),
                    prompt_tokens=len(ids),
                    completion_tokens=len(tokens),
                    finish_reason=finish,
                    context_truncated=truncated,
                )
        return outcomes  # type: ignore[return-value]

    def _generate_batch(self, requests, prompts, on_progress, progress_every):
        pad_id = self.tokenizer.pad_token_id
        eos_id = self.tokenizer.convert_tokens_to_ids(self.tokenizer.eos_token)
        width = max(len(ids) for ids in prompts)
        input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, ids in enumerate(prompts):
            input_ids[row, width - len(ids) :] = torch.tensor(ids)
            attention[row, width - len(ids) :] = 1
        progress = None
        if on_progress is not None:
            rows = [StreamingText(self.tokenizer) for _ in prompts]

            def progress(generated: list[list[int]]) -> None:
                on_progress([row.text(tokens) for row, tokens in zip(rows, generated, strict=True)])

        sampler = PerRowSampler(
            temperatures=[r.temperature for r in requests],
            top_ps=[r.top_p for r in requests],
            max_new_tokens=[r.max_new_tokens for r in requests],
            seeds=[r.seed for r in requests],
            prompt_length=width,
            eos_token_id=eos_id,
            on_progress=progress,
            progress_every=progress_every,
        )
        output = self.model.generate(
            input_ids=input_ids.to(self.device),
            attention_mask=attention.to(self.device),
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            max_new_tokens=max(r.max_new_tokens for r in requests),
            logits_processor=LogitsProcessorList([sampler]),
            eos_token_id=eos_id,
            pad_token_id=pad_id,
        )
        results = []
        for row, request in enumerate(requests):
            tokens = output[row, width:].tolist()
            finish = "length"
            if eos_id in tokens:
                tokens = tokens[: tokens.index(eos_id)]
                finish = "stop" if len(tokens) < request.max_new_tokens else "length"
            results.append((tokens, finish))
        return results
