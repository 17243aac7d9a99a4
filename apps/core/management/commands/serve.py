import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, create the demo data, then run the web server and one Celery worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: int, host: str, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Demo accounts:")
        call_command("demo_setup")
        # Children share this process's broker (the embedded Redis stays up while we run).
        env = {**os.environ, "REDIS_URL": settings.CELERY_BROKER_URL}
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = [
            subprocess.Popen([*manage, "runserver", "--noreload", f"{host}:{port}"], env=env),
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "annotation_site",
                    "worker",
                    "-Q",
                    "generation,exports,celery",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                    # Embedded beat runs the reconciler; one scheduler for this one worker.
                    "--beat",
                    "--schedule",
                    str(settings.DATA_DIR / "celerybeat-schedule"),
                ],
                env=env,
                cwd=settings.BASE_DIR,
            ),
        ]
        self.stdout.write(self.style.SUCCESS(f"Pairwise is starting at http://{host}:{port}"))
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.")
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Stopped.")


def _interrupt(signum, frame):
    raise KeyboardInterrupt
