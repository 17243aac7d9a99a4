"""Generate the pending samples of a pair: claim, run the model, store, all idempotent."""

import logging
import socket
import time
from collections import defaultdict

from apps.dialogues.models import Sample
from apps.dialogues.services import sample_complete, sample_fail, samples_claim

from .backends import GenerationRequest, PermanentGenerationError, backend_for

logger = logging.getLogger(__name__)


def pair_generate(*, pair_id: int) -> int:
    """Generate every claimable sample of the pair; return how many were stored.

    Samples sharing a variant go through the model together in one batched call. A
    redelivered task finds nothing left to claim and stores nothing.
    """
    claimed = samples_claim(pair_id=pair_id, worker=socket.gethostname())
    by_variant: dict[int, list[Sample]] = defaultdict(list)
    for sample in claimed:
        by_variant[sample.variant_id].append(sample)

    stored = 0
    for samples in by_variant.values():
        variant = samples[0].variant
        try:
            backend = backend_for(variant)
            system = [{"role": "system", "content": variant.system_prompt}]
            requests = [
                GenerationRequest(
                    messages=(system if variant.system_prompt else []) + s.pair.context,
                    temperature=s.temperature,
                    top_p=s.top_p,
                    max_new_tokens=s.max_new_tokens,
                    seed=s.seed,
                )
                for s in samples
            ]
            started = time.monotonic()
            results = backend.generate(requests, context_window=variant.context_window)
            latency_ms = int((time.monotonic() - started) * 1000)
        except PermanentGenerationError as exc:
            for sample in samples:
                sample_fail(sample=sample, error=str(exc))
            continue
        except Exception as exc:  # recorded where the annotator sees it, then re-raised
            logger.exception("Generation failed for pair %s", pair_id)
            for sample in samples:
                sample_fail(sample=sample, error=f"{type(exc).__name__}: {exc}")
            raise
        for sample, result in zip(samples, results, strict=True):
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
