"""Optional vLLM backend (`pip install '.[vllm]'`), imported only by variants that choose it.

vLLM schedules the rows itself (continuous batching) and takes per-request temperature,
top_p, max_tokens and seed, so a pair's two sides keep their own settings here too. Its
offline engine returns whole texts, so responses are not streamed with this backend.
"""

from collections.abc import Callable

from .base import GenerationRequest, GenerationResult, PermanentGenerationError
from .chat import requests_within_window

_DTYPES = {"auto": "auto", "float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}


class VllmBackend:
    def __init__(self, *, name: str, engine) -> None:
        self.name = name
        self.engine = engine
        self.tokenizer = engine.get_tokenizer()
        self.device = "cuda"

    @classmethod
    def from_variant(cls, variant) -> "VllmBackend":
        try:
            from vllm import LLM
        except ImportError as exc:
            raise PermanentGenerationError(
                f"{variant.name} uses the vLLM backend, which is not installed on this worker "
                "(pip install '.[vllm]')."
            ) from exc
        if variant.source_kind == "gguf_file":
            raise PermanentGenerationError("The vLLM backend takes a local directory or hub id.")
        engine = LLM(
            model=variant.source, dtype=_DTYPES[variant.dtype], max_model_len=variant.context_window
        )
        return cls(name=variant.name, engine=engine)

    def generate(
        self,
        requests: list[GenerationRequest],
        *,
        context_window: int,
        on_progress: Callable[[list[str]], None] | None = None,
        progress_every: int = 8,
        live: bool = False,  # one batch at a time here: the claim order puts live work first
    ) -> list[GenerationResult | PermanentGenerationError]:
        from vllm import SamplingParams, TokensPrompt

        outcomes, runnable = requests_within_window(self.tokenizer, requests, context_window)
        if runnable:
            prompts = [TokensPrompt(prompt_token_ids=ids) for _, ids, _ in runnable]
            params = [
                SamplingParams(
                    temperature=requests[i].temperature,
                    top_p=requests[i].top_p,
                    max_tokens=requests[i].max_new_tokens,
                    seed=requests[i].seed,
                )
                for i, _, _ in runnable
            ]
            for (index, ids, truncated), output in zip(
                runnable, self.engine.generate(prompts, params, use_tqdm=False), strict=True
            ):
                completion = output.outputs[0]
                outcomes[index] = GenerationResult(
                    text=completion.text.strip(),
                    prompt_tokens=len(ids),
                    completion_tokens=len(completion.token_ids),
                    finish_reason="stop" if completion.finish_reason == "stop" else "length",
                    context_truncated=truncated,
                )
        return outcomes  # type: ignore[return-value]
