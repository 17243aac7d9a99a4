"""Generate waiting samples: claim a batch, run the model, stream and store, all idempotent.

Live work first: samples of written prompts (an annotator is watching the page) are claimed
before pool samples, and a batch of pool samples stops at a streaming checkpoint when live
work is waiting, hands its samples back (the attempt does not count) and claims again. On a
model server (the OpenAI-compatible backend) the pool batch goes on instead and the live work
streams beside it (see live_lane).
"""

import logging
import socket
import time
from collections import defaultdict

from django.conf import settings

from apps.pairs.models import Sample
from apps.pairs.sample_leases import (
    sample_complete,
    sample_fail,
    samples_claim,
    samples_live_waiting,
    samples_release,
    samples_stream,
    samples_yield,
)

from . import heartbeat
from .backends import GenerationRequest, PermanentGenerationError, backend_for
from .live_lane import LiveSideLane, serves_concurrently

logger = logging.getLogger(__name__)

# A pool batch asks whether live work waits at its first streaming checkpoint, then at most
# this often: one cheap EXISTS query, so pool throughput does not drop when nobody waits.
LIVE_CHECK_EVERY_S = 1.0

_side_lane = LiveSideLane()  # live work this process streams beside its pool batches


class _YieldToLiveWork(Exception):
    """Raised at a streaming checkpoint to stop a pool batch: a written prompt is waiting."""


class TransientGenerationError(Exception):
    """The model call failed in a way that may pass (CUDA out of memory, say): the samples are
    pending again and the task retries them after a pause."""


def _is_live(samples: list[Sample]) -> bool:
    return any(sample.priority == Sample.Priority.LIVE for sample in samples)


def _claim_batch(*, pair_id: int) -> list[Sample]:
    """Claim this pair's samples and whatever else of the same kind waits, up to the batch size.

    While requests keep arriving, keep gathering: wait until none came for
    GENERATION_MAX_WAIT_MS (but never more than ten such waits in all), then run.
    """
    limit = settings.GENERATION_MAX_BATCH
    worker = socket.gethostname()
    wait_s = settings.GENERATION_MAX_WAIT_MS / 1000
    claimed = samples_claim(pair_id=pair_id, worker=worker, limit=limit)
    live = _is_live(claimed)
    now = time.monotonic()
    give_up_at, quiet_until = now + 10 * wait_s, now + wait_s
    while claimed and len(claimed) < limit and time.monotonic() < min(quiet_until, give_up_at):
        time.sleep(0.01)
        more = samples_claim(pair_id=pair_id, worker=worker, limit=limit - len(claimed), live=live)
        if more:
            claimed += more
            quiet_until = time.monotonic() + wait_s
    return claimed


def pair_generate(*, pair_id: int) -> int:
    """Generate the pair's samples (batched with other waiting ones); return how many stored.

    A redelivered task finds nothing left to claim and stores nothing. A task that wrote
    live work in place of its own pool pair, or whose pool batch stepped aside for live work,
    claims again, so the pool work it was woken for is not left waiting for the reconciler.
    """
    _load_models_first(pair_id=pair_id)
    stop_looping_at = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    stored = 0
    while claimed := _claim_batch(pair_id=pair_id):
        if _is_live(claimed) and _served_concurrently(claimed):
            # Streamed in a thread that outlives this task: the next pool batch need not wait.
            _side_lane.start(samples=claimed, generate=samples_generate)
            if time.monotonic() > stop_looping_at:
                break
            continue
        done, yielded = samples_generate(samples=claimed)
        stored += done
        took_live_instead = _is_live(claimed) and all(s.pair_id != pair_id for s in claimed)
        if not (yielded or took_live_instead) or time.monotonic() > stop_looping_at:
            break
    return stored


def live_lane_join(*, timeout_s: float) -> None:
    """Let live work still streaming beside pool work finish (the worker process stops)."""
    _side_lane.join(timeout_s=timeout_s)


def _served_concurrently(samples: list[Sample]) -> bool:
    """Whether every variant of these samples is on a backend that runs them beside others."""
    try:
        return all(serves_concurrently(backend_for(s.variant)) for s in samples)
    except Exception:
        return False  # a variant that cannot load: _generate_group records why


def samples_generate(*, samples: list[Sample]) -> tuple[int, bool]:
    """Generate claimed samples, one batched call per model variant.

    Returns how many were stored and whether the batch stepped aside for live work (a pool
    batch only); its unfinished samples are then pending again.
    """
    by_variant: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_variant[sample.variant_id].append(sample)
    live_waiting = None if _is_live(samples) else _live_work_watch()
    stored = 0
    try:
        for group in by_variant.values():
            stored += _generate_group(group, live_waiting=live_waiting)
    except _YieldToLiveWork:
        samples_yield(samples=samples)  # what is already stored stays stored
        logger.info("A pool batch stepped aside for live work (%d samples back)", len(samples))
        return stored, True
    return stored, False


def _live_work_watch():
    """Whether live work waits: asked at once, then at most every LIVE_CHECK_EVERY_S."""
    next_check = 0.0

    def live_waiting() -> bool:
        nonlocal next_check
        now = time.monotonic()
        if now < next_check:
            return False
        next_check = now + LIVE_CHECK_EVERY_S
        return samples_live_waiting()

    return live_waiting


def _load_models_first(*, pair_id: int) -> None:
    """Load the pair's models before claiming, so loading time never eats into a lease.

    A model that fails to load is not an error here: the claimed samples meet the same failure
    in _generate_group, which records it on them (permanent) or retries them (anything else).
    """
    for sample in Sample.objects.filter(pair_id=pair_id).select_related("variant"):
        try:
            backend_for(sample.variant)
        except Exception:
            logger.info("Model %s did not load before the claim", sample.variant.name)


def _generate_group(samples: list[Sample], *, live_waiting=None) -> int:
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

    def on_progress(texts: list[str]) -> None:
        samples_stream(samples=samples, texts=texts)
        if live_waiting is not None and live_waiting():
            # A server takes the live work beside this batch; an in-process model cannot.
            beside = serves_concurrently(backend) and _side_lane.take(generate=samples_generate)
            if not beside:
                raise _YieldToLiveWork

    try:
        backend = backend_for(variant)
        started = time.monotonic()
        results = backend.generate(
            requests,
            context_window=variant.context_window,
            on_progress=on_progress,
            progress_every=settings.GENERATION_STREAM_EVERY,
            live=_is_live(samples),
        )
        latency_ms = int((time.monotonic() - started) * 1000)
    except _YieldToLiveWork:
        raise
    except PermanentGenerationError as exc:
        for sample in samples:
            sample_fail(sample=sample, error=str(exc))
        return 0
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        heartbeat.error_record(reason)
        # Transient as far as we know: hand the samples back with the reason shown, and let the
        # task retry them; MAX_ATTEMPTS bounds how often this can happen to one sample.
        samples_release(samples=samples, error=reason)
        raise TransientGenerationError(reason) from exc
    heartbeat.samples_done_add(len(samples))
    stored = 0
    for sample, result in zip(samples, results, strict=True):
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
