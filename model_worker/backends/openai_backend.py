"""OpenAI-compatible backend: the model runs on a server (vLLM, SGLang, TGI, a hosted API,
`transformers serve`); this worker streams chat completions from it over HTTP.

Each request goes with its own temperature, top_p, max_tokens and seed, so a pair's two sides
keep their own settings; the server batches them (continuous batching). Requests run in
threads, at most `max_concurrency` at once per variant *in this worker process* (semaphores
per process: N worker processes may send N x max_concurrency). Live work has a reserve on
top of that (an eighth of the limit, at least one stream; none at a limit of 1), so a written
prompt taken on beside a running pool batch starts at once instead of waiting for a pool
stream to end, and the pool keeps its whole limit. The streamed texts are written from the
calling thread only, so the database is only touched where the lease is held.

Errors: a 4xx answer can never succeed and fails that sample with the server's message; a 5xx,
a dropped connection or a timeout is transient: it is raised, the samples are handed back with
the reason and the task retries them with backoff.
"""

import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from django.conf import settings

from .base import GenerationRequest, GenerationResult, PermanentGenerationError

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0  # between two streamed chunks, not for the whole answer
PROGRESS_POLL_S = 0.05
RENEW_WHILE_QUIET_S = 10.0  # at most; a third of the lease when that is shorter

_semaphores: dict[
    tuple[str, str], tuple[threading.BoundedSemaphore, threading.BoundedSemaphore]
] = {}
_semaphores_lock = threading.Lock()


class TransientServerError(Exception):
    """The server answered 5xx, dropped the stream or timed out: worth retrying later."""


class _Cancelled(Exception):
    """The batch stopped (a sibling failed, or it steps aside for live work)."""


def live_reserve(limit: int) -> int:
    """Streams live work may add to a variant's limit: an eighth, at least one, none at 1."""
    return 0 if limit < 2 else max(1, limit // 8)


def concurrency_limits(
    *, base_url: str, model: str, limit: int
) -> tuple[threading.BoundedSemaphore, threading.BoundedSemaphore]:
    """This process's (pool, live) semaphores for one endpoint and model, created on first
    use: `limit` streams for any work and the live reserve for live work only. With no
    reserve (a limit of 1) both are the same semaphore."""
    with _semaphores_lock:
        key = (base_url, model)
        if key not in _semaphores:
            reserve = live_reserve(limit)
            bulk = threading.BoundedSemaphore(limit)
            _semaphores[key] = (bulk, threading.BoundedSemaphore(reserve) if reserve else bulk)
        return _semaphores[key]


def error_message(response: httpx.Response) -> str:
    """The server's own words for a refused request (OpenAI, FastAPI or plain text)."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)[:500]
    return str(body)[:500]


def _first_free(
    limits: tuple[threading.BoundedSemaphore, ...], cancel: threading.Event
) -> threading.BoundedSemaphore:
    """Acquire the first of these semaphores to come free (in their order when several are);
    raise _Cancelled if the batch stops meanwhile."""
    while not cancel.is_set():
        if len(limits) == 1:
            if limits[0].acquire(timeout=0.05):
                return limits[0]
            continue
        for limit in limits:
            if limit.acquire(blocking=False):
                return limit
        time.sleep(0.01)
    raise _Cancelled


class OpenAIBackend:
    def __init__(
        self, *, name: str, base_url: str, model: str, api_key_env: str, max_concurrency: int
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.device = "remote"
        self.bulk_limit, self.live_limit = concurrency_limits(
            base_url=self.base_url, model=model, limit=max_concurrency
        )
        # Live work can run beside a pool batch in this process only with a reserve of its own.
        self.serves_concurrently = live_reserve(max_concurrency) > 0
        self.client = httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=max(max_concurrency, 1) * 2),
        )

    @classmethod
    def from_variant(cls, variant) -> "OpenAIBackend":
        if not variant.base_url:
            raise PermanentGenerationError(f"{variant.name} has no base URL for its server.")
        return cls(
            name=variant.name,
            base_url=variant.base_url,
            model=variant.source,
            api_key_env=variant.api_key_env,
            max_concurrency=variant.max_concurrency,
        )

    def _headers(self) -> dict[str, str]:
        if not self.api_key_env:
            return {}
        key = os.environ.get(self.api_key_env)
        if not key:
            raise PermanentGenerationError(
                f"The API key variable {self.api_key_env} is not set on this worker."
            )
        return {"Authorization": f"Bearer {key}"}

    def generate(
        self,
        requests: list[GenerationRequest],
        *,
        context_window: int,
        on_progress: Callable[[list[str]], None] | None = None,
        progress_every: int = 8,
        live: bool = False,
    ) -> list[GenerationResult | PermanentGenerationError]:
        """Stream every request at once (within the pool's or, for `live` work, the live
        reserve's concurrency limit); report the texts so far every `progress_every` tokens
        of any row. The server owns the context window."""
        headers = self._headers()
        # Live work takes a reserved stream if one is free, else any stream the pool left.
        limits = (self.live_limit, self.bulk_limit) if live else (self.bulk_limit,)
        renew_every_s = min(RENEW_WHILE_QUIET_S, settings.GENERATION_LEASE_S / 3)
        texts = [""] * len(requests)
        tokens_seen = [0]
        cancel = threading.Event()
        with ThreadPoolExecutor(max_workers=len(requests), thread_name_prefix="openai") as pool:
            futures = [
                pool.submit(
                    self._stream_one, request, headers, texts, row, tokens_seen, cancel, limits
                )
                for row, request in enumerate(requests)
            ]
            reported, reported_at = 0, time.monotonic()
            try:
                while not all(f.done() for f in futures):
                    time.sleep(PROGRESS_POLL_S)
                    if any(f.done() and f.exception() for f in futures):
                        break  # a transient failure fails the batch: stop waiting for the rest
                    if on_progress is None:
                        continue
                    # Also report while the server queues the requests (no token yet): each
                    # report renews the lease, so a busy server does not lose it.
                    quiet = time.monotonic() - reported_at > renew_every_s
                    # The first token is shown at once: on a busy server the next few may
                    # take seconds, and someone may be watching the page.
                    first = reported == 0 and tokens_seen[0] > 0
                    if tokens_seen[0] - reported >= progress_every or quiet or first:
                        reported, reported_at = tokens_seen[0], time.monotonic()
                        on_progress(list(texts))
            finally:
                # Stops the other streams when the batch failed or stepped aside for live work.
                cancel.set()
        errors = [f.exception() for f in futures]
        real = [e for e in errors if e is not None and not isinstance(e, _Cancelled)]
        if real:
            raise real[0]
        return [f.result() for f in futures]

    def _stream_one(self, request, headers, texts, row, tokens_seen, cancel, limits):
        body = {
            "model": self.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_new_tokens,
            "seed": request.seed,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        limit = _first_free(limits, cancel)
        try:
            try:
                return self._post(body, headers, texts, row, tokens_seen, cancel)
            except httpx.TransportError as exc:  # connection refused or dropped, timeouts
                raise TransientServerError(
                    f"{self.base_url} did not answer: {type(exc).__name__}: {exc}"
                ) from exc
        finally:
            limit.release()

    def _post(self, body, headers, texts, row, tokens_seen, cancel):
        url = f"{self.base_url}/chat/completions"
        chunks = 0
        finish, usage = None, {}
        with self.client.stream("POST", url, json=body, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                message = f"{self.base_url} answered {response.status_code}: "
                message += error_message(response)
                if response.status_code < 500 and response.status_code != 429:
                    return PermanentGenerationError(message)
                raise TransientServerError(message)
            for line in response.iter_lines():
                if cancel.is_set():
                    raise _Cancelled
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                event = json.loads(data)
                usage = event.get("usage") or usage
                for choice in event.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        texts[row] += piece
                        chunks += 1
                        tokens_seen[0] += 1
                    finish = choice.get("finish_reason") or finish
        if finish is None:
            raise TransientServerError(f"{self.base_url} ended the stream without finishing.")
        return GenerationResult(
            text=texts[row].strip(),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", chunks)),
            finish_reason="stop" if finish == "stop" else "length",
        )


PROBE_TIMEOUT_S = 3.0


def endpoints_probe(*, checked_by: str) -> int:
    """Probe each active OpenAI-compatible endpoint once (GET {base_url}/models) and store its
    health and latency for the fleet page; return how many were probed. Run by the worker
    heartbeat, never by a web request."""
    from apps.catalog.models import ModelVariant
    from apps.fleet.services import endpoint_health_record

    endpoints: dict[str, dict] = {}
    for variant in ModelVariant.objects.filter(is_active=True, backend=ModelVariant.Backend.OPENAI):
        endpoint = endpoints.setdefault(
            variant.base_url.rstrip("/"), {"names": [], "key_env": variant.api_key_env}
        )
        endpoint["names"].append(variant.name)
    for base_url, endpoint in endpoints.items():
        key = os.environ.get(endpoint["key_env"]) if endpoint["key_env"] else None
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        started = time.monotonic()
        ok, error = False, ""
        try:
            response = httpx.get(f"{base_url}/models", headers=headers, timeout=PROBE_TIMEOUT_S)
            ok = response.status_code == 200
            if not ok:
                error = f"answered {response.status_code}: {error_message(response)}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        endpoint_health_record(
            base_url=base_url,
            variants=endpoint["names"],
            ok=ok,
            latency_ms=int((time.monotonic() - started) * 1000),
            error=error,
            checked_by=checked_by,
        )
    return len(endpoints)
