"""Generate waiting samples: claim a batch, run the model, stream and store, all idempotent."""

import logging
import socket
import time
from collections import defaultdict

from django.conf import settings

from apps.dialogues.models import Sample
from apps.dialogues.sample_leases import (
    sample_complete,
    sample_fail,
    samples_claim,
    samples_release,
    samples_stream,
)

from .backends import GenerationRequest, PermanentGenerationError, backend_for
from .heartbeat import stats as heartbeat_stats

logger = logging.getLogger(__name__)


def _claim_batch(*, pair_id: int) -> list[Sample]:
    """Claim this pair's samples and whatever else waits, up to the batch size.

    While requests keep arriving, keep gathering: wait until none came for
    GENERATION_MAX_WAIT_MS (but never more than ten such waits in all), then run.
    """
    limit = settings.GENERATION_MAX_BATCH
    worker = socket.gethostname()
    wait_s = settings.GENERATION_MAX_WAIT_MS / 1000
    claimed = samples_claim(pair_id=pair_id, worker=worker, limit=limit)
    now = time.monotonic()
    give_up_at, quiet_until = now + 10 * wait_s, now + wait_s
    while claimed and len(claimed) < limit and time.monotonic() < min(quiet_until, give_up_at):
        time.sleep(0.01)
        more = samples_claim(pair_id=pair_id, worker=worker, limit=limit - len(claimed))
        if more:
            claimed += more
            quiet_until = time.monotonic() + wait_s
    return claimed


def pair_generate(*, pair_id: int) -> int:
    """Generate the pair's samples (batched with other waiting ones); return how many stored.

    A redelivered task finds nothing left to claim and stores nothing.
    """
    _load_models_first(pair_id=pair_id)
    by_variant: dict[int, list[Sample]] = defaultdict(list)
    for sample in _claim_batch(pair_id=pair_id):
        by_variant[sample.variant_id].append(sample)
    return sum(_generate_group(samples) for samples in by_variant.values())


def _load_models_first(*, pair_id: int) -> None:
    """Load the pair's models before claiming, so loading time never eats into a lease."""
    for sample in Sample.objects.filter(pair_id=pair_id).select_related("variant"):
        try:
            backend_for(sample.variant)
        except PermanentGenerationError:
            pass  # reported on the sample once claimed


def _generate_group(samples: list[Sample]) -> int:
    """One batched forward pass for samples that share a model variant."""
    variant = samples[0].variant
    system = [{"role": "system", "content": variant.system_prompt}] if variant.system_prompt else []
    requests = [
        GenerationRequest(
            messages=system + s.pair.context,
            temperature=s.temperature,
            top_p=s.top_p,
            max_new_tokens=s.max_new_tokens,
            seed=s.seed,
        )
        for s in samples
    ]
    try:
        backend = backend_for(variant)
        started = time.monotonic()
        results = backend.generate(
            requests,
            context_window=variant.context_window,
            on_progress=lambda texts: samples_stream(samples=samples, texts=texts),
            progress_every=settings.GENERATION_STREAM_EVERY,
        )
        latency_ms = int((time.monotonic() - started) * 1000)
    except PermanentGenerationError as exc:
        for sample in samples:
            sample_fail(sample=sample, error=str(exc))
        return 0
    except Exception as exc:
        heartbeat_stats["last_error"] = f"{type(exc).__name__}: {exc}"
        # Transient as far as we know: hand the samples back (the reconciler re-enqueues them)
        # with the reason shown; MAX_ATTEMPTS bounds how often this can happen.
        samples_release(samples=samples, error=f"{type(exc).__name__}: {exc}")
        raise
    stored = 0
    for sample, result in zip(samples, results, strict=True):
        heartbeat_stats["samples_done"] += 1
        if isinstance(result, PermanentGenerationError):
            sample_fail(sample=sample, error=str(result))
            continue
        stored += sample_complete(
            sample=sample,
            text=result.text,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reason=result.finish_reason,
            context_truncated=result.context_truncated,
            latency_ms=latency_ms,
        )
    return stored
