"""The server half of `bench_queue`: `gunicorn annotation_site.wsgi`, owned by the bench.

It runs in its own process group (Ctrl-C reaches the bench, which stops it), logs each
request's own time to an access log, and is stopped with SIGTERM, then SIGKILL.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


class ServerError(RuntimeError):
    """The server did not come up (it exited, or never answered /health/)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """`gunicorn annotation_site.wsgi` with gthread workers, in its own process group."""

    def __init__(
        self, *, base_dir: Path, port: int, workers: int, threads: int, env: dict, log_path: Path
    ) -> None:
        self.port = port
        self.log_path = log_path
        self.access_log_path = log_path.with_name("access.log")
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "annotation_site.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                # Longer than any pause in the bench, so the server never closes an idle
                # keep-alive connection under a client that is about to reuse it.
                "--keep-alive",
                "75",
                "--log-level",
                "warning",
                # Method, path, status and the server's own time per request in microseconds,
                # to tell time spent in the application from time spent queueing for it.
                "--access-logfile",
                str(self.access_log_path),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
            ],
            cwd=base_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the bench, which stops the server itself
        )

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no server log)"

    def request_times_ms(self) -> dict[str, list[float]]:
        """Server-side request times from the access log, by kind (claim, submit)."""
        times: dict[str, list[float]] = {"claim": [], "submit": []}
        try:
            lines = self.access_log_path.read_text(errors="replace").splitlines()
        except OSError:
            return times
        for line in lines:
            parts = line.split()
            if len(parts) != 4 or parts[0] != "POST" or not parts[3].isdigit():
                continue
            kind = parts[1].rstrip("/").rsplit("/", 1)[-1]
            if kind in times:
                times[kind].append(int(parts[3]) / 1000)
        return times

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                try:
                    conn.request("GET", "/health/")
                    if conn.getresponse().status == 200:
                        return
                finally:
                    conn.close()
            time.sleep(0.2)
        raise ServerError(f"gunicorn not healthy after {timeout_s}s:\n{self.log_tail()}")

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
        finally:
            self._log.close()


def server_errors(log: str) -> int:
    """Tracebacks and 5xx the server logged (gunicorn at warning level, Django's own logger)."""
    return log.count("Traceback (most recent call last)")
