"""`make run` started the way a user starts it: SQLite and the embedded Redis in a private data
dir, no DATABASE_URL or REDIS_URL, on a free port.

Every process a run starts inherits its PAIRWISE_DATA_DIR, so the run's processes are found by
that variable in /proc/<pid>/environ, even the ones that left its process tree. The embedded
redis-server daemonizes itself and writes its title over its environment, but it works in the
data dir: it is found by its working directory.
"""

import hashlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 180
WORKER_READY = " ready."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def user_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without the suite's database, broker and debug settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "PORT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return env | {"PAIRWISE_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"} | extra


def without_reinstall(command: str) -> str:
    """`command`, with make told to take .venv as installed when pyproject.toml changed since.

    `make run` reinstalls first after a change to pyproject.toml, which a test must never do
    (on CI, `make test` has just installed, and this changes nothing). `-o <stamp>` skips only
    that step; a dependency missing from .venv still fails the run, at import.
    """
    digest = hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = f".venv/.installed-{digest[:12]}"  # the Makefile's STAMP
    if subprocess.run(["make", "-q", stamp], cwd=ROOT, capture_output=True).returncode == 0:
        return command
    return re.sub(r"^make ", f"make -o {stamp} ", command)


class MakeRun:
    """A `make run`-style command in its own process group, its output in a log file."""

    def __init__(self, command: str, *, env: dict[str, str], log_path: Path) -> None:
        self.data_dir = env["PAIRWISE_DATA_DIR"]
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            ["bash", "-c", without_reinstall(command)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's foreground group: Ctrl-C reaches all of it
        )

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_serving(self, port: int, *, timeout_s: float = START_TIMEOUT_S) -> None:
        """Until the site answers on `port` and the worker says it is ready."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"It exited with {self.process.returncode}:\n{self.log_tail()}")
            if _answers(port) and WORKER_READY in self.log_tail(chars=1_000_000):
                return
            time.sleep(0.3)
        pytest.fail(f"Not serving on port {port} after {timeout_s}s:\n{self.log_tail()}")

    def processes(self) -> dict[int, str]:
        """Live processes of this run: pid -> command line."""
        marker = f"PAIRWISE_DATA_DIR={self.data_dir}".encode()
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ours = marker in (entry / "environ").read_bytes().split(b"\0")
                if not ours and (entry / "cwd").readlink() != Path(self.data_dir):
                    continue
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            found[int(entry.name)] = cmdline.strip()
        return found

    def wait_all_stopped(self, *, timeout_s: float) -> dict[int, str]:
        """Until none of its processes is left; returns the ones still alive at the deadline."""
        deadline = time.monotonic() + timeout_s
        while (left := self.processes()) and time.monotonic() < deadline:
            time.sleep(0.3)
        return left

    def interrupt(self) -> None:
        """Ctrl-C in the terminal: SIGINT to the whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def kill_leftovers(self) -> None:
        """After a failed test: nothing of this run may keep running."""
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._log.close()


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
