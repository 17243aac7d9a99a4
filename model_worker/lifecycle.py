"""What a worker process does as it starts and stops: load its models, report a heartbeat.

Connected to Celery's signals when the worker imports its tasks (model_worker.tasks), so only
worker processes ever run it; the web process never imports this package.
"""

import os
import threading

from celery.signals import (
    celeryd_after_setup,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
)

from .heartbeat import heartbeat_start, heartbeat_stop
from .warmup import models_preload


def _start_generation_process(queues: str) -> None:
    # In a thread: a pool process must report "up" to its parent within seconds, and loading
    # a model takes longer. A task arriving meanwhile waits on the model registry's lock.
    def preload() -> None:
        from django.db import connection

        try:
            models_preload()
        finally:
            connection.close()  # this thread's own connection

    threading.Thread(target=preload, name="pairwise-preload", daemon=True).start()
    heartbeat_start(queues=queues)


@celeryd_after_setup.connect
def _remember_queues(sender=None, instance=None, **kwargs) -> None:
    # Pool processes are forked after this, so they inherit the list for their heartbeat.
    if instance is not None:
        os.environ["PAIRWISE_WORKER_QUEUES"] = ",".join(
            sorted(instance.app.amqp.queues.consume_from)
        )


@worker_process_init.connect
def _on_pool_process_start(**kwargs) -> None:
    # Prefork: each pool process holds its own model copy, so each one loads and reports.
    _start_generation_process(os.environ.get("PAIRWISE_WORKER_QUEUES", ""))


@worker_ready.connect
def _on_worker_ready(sender=None, **kwargs) -> None:
    # Solo and thread pools run tasks in this very process: load and report here instead.
    if sender is not None and type(sender.pool).__module__.rsplit(".", 1)[-1] in ("solo", "thread"):
        queues = ",".join(q.name for q in sender.task_consumer.queues)
        _start_generation_process(queues)


@worker_process_shutdown.connect
def _on_pool_process_stop(**kwargs) -> None:
    from django.conf import settings

    from .generation import live_lane_join

    live_lane_join(timeout_s=settings.GENERATION_LEASE_S)
    heartbeat_stop()
