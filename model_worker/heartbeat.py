"""A worker process reports itself every few seconds so admins can tell alive from silent."""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

_stop = threading.Event()
_thread: threading.Thread | None = None


class _Counters:
    """What this process reports in each beat; written by generation, read by the beat thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples_done = 0
        self.last_error = ""

    def samples_done_add(self, count: int) -> None:
        with self._lock:
            self.samples_done += count

    def error_record(self, error: str) -> None:
        with self._lock:
            self.last_error = error

    def read(self) -> tuple[int, str]:
        with self._lock:
            return self.samples_done, self.last_error


_counters = _Counters()


def samples_done_add(count: int) -> None:
    """Count generated samples (stored or failed with a reason) for the next heartbeat."""
    _counters.samples_done_add(count)


def error_record(error: str) -> None:
    """Show this error as the worker's last one on the Workers page."""
    _counters.error_record(error)


def _device() -> str:
    import torch

    return f"cuda:{torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "cpu"


def _beat(*, name: str, queues: str, started_at, stopped: bool = False) -> None:
    from apps.fleet.services import heartbeat_record

    from .backends.registry import loaded_variant_names

    close_old_connections()
    samples_done, last_error = _counters.read()
    heartbeat_record(
        name=name,
        hostname=socket.gethostname(),
        pid=os.getpid(),
        queues=queues,
        device=_device(),
        variants=loaded_variant_names(),
        samples_done=samples_done,
        last_error=last_error,
        started_at=started_at,
        stopped=stopped,
    )
    if not stopped:
        from .backends.openai_backend import endpoints_probe

        endpoints_probe(checked_by=name)


def heartbeat_start(*, queues: str) -> threading.Thread:
    global _thread  # noqa: PLW0603 - one heartbeat thread per worker process
    name = f"{socket.gethostname()}:{os.getpid()}"
    started_at = timezone.now()

    def run() -> None:
        while True:
            try:
                _beat(name=name, queues=queues, started_at=started_at)
            except Exception:  # the database may be briefly away; keep beating
                logger.exception("Heartbeat failed")
            if _stop.wait(settings.WORKER_HEARTBEAT_S):
                break
        try:
            _beat(name=name, queues=queues, started_at=started_at, stopped=True)
        except Exception:
            logger.exception("Final heartbeat failed")

    thread = threading.Thread(target=run, name="pairwise-heartbeat", daemon=True)
    thread.start()
    _thread = thread
    return thread


def heartbeat_stop() -> None:
    """Report 'stopped' before the process exits (a killed process goes silent instead)."""
    _stop.set()
    if _thread is not None:
        _thread.join(timeout=5)
