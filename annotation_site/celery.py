import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")

app = Celery("pairwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["model_worker"])


@worker_process_init.connect
def _preload_models(**kwargs) -> None:
    from model_worker.warmup import models_preload

    models_preload()
