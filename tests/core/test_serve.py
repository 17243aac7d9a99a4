"""`make run` (`manage.py serve`) stops everything it started, however it is stopped."""

import os
import signal

import pytest

from tests.make_run import MakeRun, free_port, user_env

# serve waits 10 s for the worker to finish its task, then kills it; plus Redis's save.
STOP_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One data dir for the module: the later runs skip the first one's migrations."""
    return tmp_path_factory.mktemp("serve-data")


def _stop(run: MakeRun, how: str, processes: dict[int, str]) -> None:
    if how == "ctrl_c":
        run.interrupt()
    elif how == "sigterm_to_make":
        run.process.send_signal(signal.SIGTERM)
    else:
        (serve,) = [pid for pid, cmd in processes.items() if "manage.py serve" in cmd]
        os.kill(serve, signal.SIGTERM)


@pytest.mark.parametrize("how", ["ctrl_c", "sigterm_to_make", "sigterm_to_serve"])
def test_it_stops_the_web_server_the_worker_and_the_embedded_redis(how, data_dir, tmp_path):
    port = free_port()
    run = MakeRun("make run", env=user_env(data_dir, PORT=str(port)), log_path=tmp_path / "log")
    try:
        run.wait_serving(port)
        started = run.processes()
        commands = " | ".join(started.values())
        for part in ("manage.py serve", "runserver", "celery", "redis-server"):
            assert part in commands, f"{part} is not running: {commands}"

        _stop(run, how, started)
        left = run.wait_all_stopped(timeout_s=STOP_TIMEOUT_S)

        assert not left, f"still running after {how}: {left}\n{run.log_tail()}"
        run.process.wait(timeout=10)  # and make itself ended
    finally:
        run.kill_leftovers()
