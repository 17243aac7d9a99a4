"""The client half of `bench_queue`: simulated annotators over HTTP.

Each annotator is a thread with its own keep-alive connection (stdlib `http.client`): claim,
think a little, submit with an Idempotency-Key, until a claim answers 204. A submit that fails
on the wire is retried with the same key (the API makes that safe); a claim that fails on the
wire may have leased a pair, so the annotator then asks for its open leases and submits those.
"""

import contextlib
import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

STRENGTHS = ("significantly_better", "better", "slightly_better", "negligibly_better_or_unsure")
REQUEST_TIMEOUT_S = 60
MAX_CONSECUTIVE_ERRORS = 5


@dataclass
class ClientResults:
    latencies_ms: dict[str, list[float]] = field(
        default_factory=lambda: {k: [] for k in ("claim", "submit", "retry", "replay", "recover")}
    )
    acknowledged: dict[int, int] = field(default_factory=dict)  # comparison id -> annotator
    errors: Counter = field(default_factory=Counter)
    replay_mismatches: int = 0
    requests: int = 0
    wall_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _Annotator:
    def __init__(self, *, port, key, user_id, batch_id, think_ms, replay_fraction, rng, results):
        self.port = port
        self.user_id = user_id
        self.claim_path = f"/api/queue/batches/{batch_id}/claim/"
        self.headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        self.think_ms = think_ms
        self.replay_fraction = replay_fraction
        self.rng = rng
        self.results = results
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, kind: str | None, method: str, path: str, body=None, headers=None):
        """One request on the kept-alive connection: (status, parsed JSON or None)."""
        data = json.dumps(body).encode() if body is not None else None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S
            )
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers={**self.headers, **(headers or {})})
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        if kind is not None:
            with self.results.lock:
                self.results.requests += 1
                self.results.latencies_ms[kind].append(elapsed_ms)
        payload = None
        if raw:
            with contextlib.suppress(ValueError):
                payload = json.loads(raw)
        return response.status, payload

    def _error(self, name: str) -> None:
        with self.results.lock:
            self.results.errors[name] += 1

    def _submit(self, lease_id: int) -> None:
        key = uuid.uuid4().hex
        body = {
            "chosen_side": self.rng.choice(("left", "right")),
            "strength": self.rng.choice(STRENGTHS),
            "time_spent_ms": self.rng.randint(*self.think_ms),
        }
        path = f"/api/queue/leases/{lease_id}/submit/"
        for attempt in range(MAX_CONSECUTIVE_ERRORS):
            kind = "submit" if attempt == 0 else "retry"
            try:
                status, payload = self._request(
                    kind, "POST", path, body, headers={"Idempotency-Key": key}
                )
            except (OSError, http.client.HTTPException):
                self._error("submit_connection")
                continue  # same key: the server stores it once
            if status in (200, 201) and payload and "comparison" in payload:
                comparison = payload["comparison"]
                with self.results.lock:
                    self.results.acknowledged[comparison] = self.user_id
                if self.rng.random() < self.replay_fraction:
                    self._replay(path, body, key, comparison)
                return
            self._error(f"submit_{status}")
            return
        self._error("submit_gave_up")

    def _replay(self, path, body, key, comparison) -> None:
        """The same submit again, as a client that missed the answer would send it."""
        try:
            status, payload = self._request(
                "replay", "POST", path, body, headers={"Idempotency-Key": key}
            )
        except (OSError, http.client.HTTPException):
            self._error("replay_connection")
            return
        if status != 200 or not payload or payload.get("comparison") != comparison:
            with self.results.lock:
                self.results.replay_mismatches += 1
            self._error(f"replay_{status}")

    def _recover(self) -> None:
        """Submit the leases this annotator holds but lost the answer for."""
        try:
            status, payload = self._request("recover", "GET", "/api/queue/leases/")
        except (OSError, http.client.HTTPException):
            self._error("recover_connection")
            return
        if status != 200:
            self._error(f"recover_{status}")
            return
        leases = payload.get("results", payload) if isinstance(payload, dict) else payload
        for lease in leases or []:
            self._submit(lease["id"])

    def warm_up(self) -> None:
        """Open the connection and load the API's code in the worker it lands on (unmeasured)."""
        try:
            self._request(None, "GET", "/api/queue/leases/")
        except (OSError, http.client.HTTPException):
            self._error("warm_up_connection")

    def run(self, stop: threading.Event) -> None:
        errors_in_a_row = 0
        # People do not all press "Next" in the same millisecond: each starts after one
        # random pause from the think range (a 20-80 ms range keeps the start a burst).
        time.sleep(self.rng.randint(*self.think_ms) / 1000)
        try:
            while not stop.is_set() and errors_in_a_row < MAX_CONSECUTIVE_ERRORS:
                try:
                    status, payload = self._request("claim", "POST", self.claim_path, {})
                except (OSError, http.client.HTTPException):
                    self._error("claim_connection")
                    errors_in_a_row += 1
                    self._recover()
                    continue
                if status == 204:
                    self._recover()  # nothing left: hand in anything still held
                    return
                if status == 409:
                    self._error("claim_409")
                    errors_in_a_row += 1
                    self._recover()
                    continue
                if status != 201 or not payload or "id" not in payload:
                    self._error(f"claim_{status}")
                    errors_in_a_row += 1
                    time.sleep(0.05)
                    continue
                errors_in_a_row = 0
                time.sleep(self.rng.randint(*self.think_ms) / 1000)
                self._submit(payload["id"])
            if errors_in_a_row >= MAX_CONSECUTIVE_ERRORS:
                self._error("annotator_gave_up")
        finally:
            if self.conn is not None:
                self.conn.close()


def run_annotators(
    *,
    port: int,
    batch_id: int,
    tokens: list[tuple[int, str]],
    think_ms: tuple[int, int],
    replay_fraction: float,
    seed: int = 0,
) -> ClientResults:
    """Run one thread per (user id, key) until each gets a 204 from claim.

    Every annotator first opens its connection with one unmeasured request; then the clock
    starts and each begins claiming after one random pause from the think range.
    """
    results = ClientResults()
    stop = threading.Event()
    start = threading.Barrier(len(tokens) + 1)
    annotators = [
        _Annotator(
            port=port,
            key=key,
            user_id=user_id,
            batch_id=batch_id,
            think_ms=think_ms,
            replay_fraction=replay_fraction,
            rng=random.Random(seed * 1000 + i),
            results=results,
        )
        for i, (user_id, key) in enumerate(tokens)
    ]

    def work(annotator: _Annotator) -> None:
        annotator.warm_up()
        start.wait()
        annotator.run(stop)

    threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in annotators]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    finally:
        stop.set()
        results.wall_s = time.perf_counter() - started
    return results


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile, in the values' unit, rounded to 0.1."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return round(ordered[int(rank) - 1], 1)


def health_ceiling(*, port: int, clients: int, duration_s: float) -> dict:
    """`GET /health/` (no database, no auth) from `clients` kept-alive connections with no
    pause for `duration_s`: the requests/s the server stack itself completes on this machine
    (gunicorn, Django's middleware, a JSON answer), the ceiling for any API call."""
    done = [0] * clients
    failed = [0] * clients
    deadline = time.perf_counter() + duration_s
    start = threading.Barrier(clients + 1)

    def work(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        start.wait()
        try:
            while time.perf_counter() < deadline:
                try:
                    conn.request("GET", "/health/")
                    response = conn.getresponse()
                    response.read()
                    if response.status == 200:
                        done[index] += 1
                    else:
                        failed[index] += 1
                except (OSError, http.client.HTTPException):
                    failed[index] += 1
                    conn.close()
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    return {
        "health_requests_per_s": round(sum(done) / wall_s, 1),
        "health_requests": sum(done),
        "health_errors": sum(failed),
        "health_s": round(wall_s, 2),
    }
