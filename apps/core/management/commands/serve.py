import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from annotation_site.embedded_redis import embedded_redis_stop

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long the worker may take to finish the task in hand before it is killed. A killed
# generation is not lost: its message is acknowledged late and its samples are claimed again.
STOP_TIMEOUT_S = 10


class Command(BaseCommand):
    help = (
        "Migrate, create the demo data, then run the web server and one Celery worker; "
        "Ctrl-C or SIGTERM stops them and the embedded Redis."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: int, host: str, **options):
        for signum in STOP_SIGNALS:
            signal.signal(signum, _interrupt)
        children: list[subprocess.Popen] = []
        try:
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("Demo accounts:")
            call_command("demo_setup")
            children = _children_start(host=host, port=port)
            self.stdout.write(self.style.SUCCESS(f"Pairwise is starting at http://{host}:{port}"))
            self.stdout.write("Press Ctrl-C to stop the web server and the worker.")
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            # A second Ctrl-C must not cut the clean-up short; it is bounded anyway.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            _children_stop(children)
            embedded_redis_stop()
        self.stdout.write("Stopped.")


def _children_start(*, host: str, port: int) -> list[subprocess.Popen]:
    # Children share this process's broker (the embedded Redis stays up while we run).
    env = {**os.environ, "REDIS_URL": settings.CELERY_BROKER_URL}
    web = [sys.executable, str(settings.BASE_DIR / "manage.py"), "runserver", "--noreload"]
    worker = [
        *(sys.executable, "-m", "celery", "-A", "annotation_site", "worker"),
        *("-Q", "generation,exports,celery", "--concurrency", "1", "--loglevel", "INFO"),
        # Embedded beat runs the reconciler; one scheduler for this one worker.
        *("--beat", "--schedule", str(settings.DATA_DIR / "celerybeat-schedule")),
    ]
    # Each child leads its own process group, so stopping it reaches the worker's pool
    # and beat processes too, and a terminal's Ctrl-C leaves the order of shutdown to us.
    return [
        subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, start_new_session=True)
        for command in ([*web, f"{host}:{port}"], worker)
    ]


def _children_stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM to each child, then SIGKILL to whatever is left of its group after the timeout.

    Celery's answer to SIGTERM is a warm shutdown: it finishes the task in hand first.
    """
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(child, signal.SIGKILL)
        child.wait()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:  # the whole group has already exited
        pass


def _interrupt(signum, frame):
    raise KeyboardInterrupt
