"""Live work beside a running pool batch, for backends that serve requests concurrently.

A pool batch on an in-process model steps aside when a written prompt waits (the model runs
one batch at a time). A pool batch on a server (the OpenAI-compatible backend) need not: the
server batches continuously, so the worker that notices the waiting prompt claims it and
streams it in a thread of its own, on the live reserve of the variant's concurrency limit,
while the pool's streams go on. Whichever worker looks first takes it (the claim skips
locked rows), so this is a lane across workers; the prompt's own task later finds nothing.
A worker that claims live work of such a backend between batches streams it in the same kind
of thread and claims pool work again at once, so a steady trickle of written prompts never
leaves the pool waiting while two lone streams run.
"""

import logging
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from apps.catalog.models import ModelVariant
from apps.pairs.models import Sample
from apps.pairs.sample_leases import samples_claim

logger = logging.getLogger(__name__)

# Backends whose variants may be generated beside other work in this process.
CONCURRENT_BACKENDS = (ModelVariant.Backend.OPENAI,)


class LiveSideLane:
    """The live samples one worker process took on beside its pool work, and their threads."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def take(self, *, generate: Callable[..., object]) -> bool:
        """Claim the live samples served concurrently and start generating them; return
        whether there were any (if not, the live work needs this worker's model: step aside)."""
        claimed = samples_claim(
            pair_id=None,
            worker=socket.gethostname(),
            limit=settings.GENERATION_MAX_BATCH,
            live=True,
            backends=CONCURRENT_BACKENDS,
        )
        if not claimed:
            return False
        self.start(samples=claimed, generate=generate)
        return True

    def start(self, *, samples: list[Sample], generate: Callable[..., object]) -> None:
        """Generate claimed live samples in a thread of their own."""
        thread = threading.Thread(
            target=self._run, args=(samples, generate), name="live-lane", daemon=True
        )
        thread.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    @staticmethod
    def _run(samples: list[Sample], generate: Callable[..., object]) -> None:
        try:
            generate(samples=samples)
        except Exception:
            # A transient error already handed the samples back with the reason shown: the
            # next look (here or in another worker) takes them again; attempts bound it.
            logger.exception("Live work beside a pool batch failed")
        finally:
            connection.close()  # this thread's own database connection

    def join(self, *, timeout_s: float) -> None:
        """Wait up to `timeout_s` in all for live work still streaming (the worker stops);
        what is left is taken again once its lease runs out."""
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]


def serves_concurrently(backend) -> bool:
    return bool(getattr(backend, "serves_concurrently", False))
