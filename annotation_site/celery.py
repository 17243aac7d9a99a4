"""The Celery app. Workers find their tasks by autodiscovery; the web process sends tasks by
name and never imports the worker's code (model_worker.lifecycle connects its signals)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")

app = Celery("pairwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["model_worker", "apps.exports", "apps.assignments", "apps.pools", "apps.leaderboard"]
)
