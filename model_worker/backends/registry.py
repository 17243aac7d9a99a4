import threading

from .base import PermanentGenerationError

_lock = threading.Lock()
_loaded: dict[tuple[str, ...], object] = {}


def _load_key(variant) -> tuple[str, ...]:
    if variant.backend == "openai":  # one client (and concurrency limit) per endpoint and model
        return (variant.backend, variant.base_url, variant.source, variant.api_key_env)
    return (variant.backend, variant.source_kind, variant.source, variant.dtype, variant.device)


def backend_for(variant):
    """The loaded backend for a variant, loading it on first use in this process.

    Keyed by what determines the weights, so two variants over one checkpoint (say, with
    different system prompts) share one copy in memory.
    """
    key = _load_key(variant)
    with _lock:
        backend = _loaded.get(key)
        if backend is None:
            backend = _create(variant)
            _loaded[key] = backend
        return backend


def _create(variant):
    if variant.backend == "transformers":
        from .transformers_backend import TransformersBackend

        return TransformersBackend.from_variant(variant)
    if variant.backend == "vllm":
        from .vllm_backend import VllmBackend

        return VllmBackend.from_variant(variant)
    if variant.backend == "openai":
        from .openai_backend import OpenAIBackend

        return OpenAIBackend.from_variant(variant)
    raise PermanentGenerationError(f"Unknown backend {variant.backend!r} for {variant.name}.")


def loaded_variant_names() -> list[str]:
    return sorted(getattr(b, "name", "?") for b in _loaded.values())
