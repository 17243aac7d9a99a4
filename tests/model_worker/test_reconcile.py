from datetime import timedelta

import pytest
from django.utils import timezone

from annotation_site.celery import app
from apps.dialogues import services
from apps.pairs.models import Sample
from model_worker.reconcile import generation_reconcile

pytestmark = pytest.mark.django_db


def _queued() -> int:
    with app.connection_for_read() as connection:
        return connection.default_channel.queue_declare(queue="generation").message_count


@pytest.fixture
def empty_queue():
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("generation")
    yield
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("generation")


def test_it_re_enqueues_forgotten_work_once_per_pair_on_the_real_broker(
    batch, annotator, empty_queue
):
    waiting = services.dialogue_start(batch=batch, annotator=annotator, text="old")
    stuck = services.dialogue_start(batch=batch, annotator=annotator, text="stuck")
    fresh = services.dialogue_start(batch=batch, annotator=annotator, text="fresh")
    Sample.objects.filter(pair=waiting).update(created_at=timezone.now() - timedelta(minutes=2))
    Sample.objects.filter(pair=stuck).update(
        status="running", lease_expires_at=timezone.now() - timedelta(seconds=5)
    )

    assert generation_reconcile() == 2
    assert _queued() == 2
    assert set(fresh.samples.values_list("status", flat=True)) == {"pending"}


def test_it_fails_work_that_used_up_its_attempts_instead_of_re_enqueuing(
    batch, annotator, empty_queue
):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="poison")
    pair.samples.update(
        status="running", attempts=3, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert generation_reconcile() == 0
    assert set(pair.samples.values_list("status", flat=True)) == {"failed"}
