import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from apps.assignments import services
from apps.assignments.models import Lease
from tests.factories import BatchFactory, pool_pair_ready

pytestmark = pytest.mark.django_db

one_lease_migration = importlib.import_module(
    "apps.assignments.migrations.0002_one_lease_per_annotator_and_pair"
)


def _second_lease(lease: Lease, status: str) -> Lease:
    return Lease.objects.create(
        slot_id=lease.slot_id,
        pair_id=lease.pair_id,
        batch_id=lease.batch_id,
        annotator_id=lease.annotator_id,
        left_slot="a",
        expires_at=timezone.now(),
        status=status,
    )


def test_duplicate_leases_made_before_keep_the_judged_or_open_one_and_release_the_rest(
    annotator,
):
    batch = BatchFactory()
    pool_pair_ready(batch)
    pool_pair_ready(batch)
    judged = services.lease_claim(batch=batch, annotator=annotator)
    services.lease_submit(
        lease_id=judged.pk,
        annotator=annotator,
        idempotency_key="k",
        chosen_side="left",
        strength="better",
        time_spent_ms=1,
    )
    reclaimed = services.lease_claim(batch=batch, annotator=annotator)
    with connection.cursor() as cursor:  # as 0001 allowed (rolled back with the test)
        cursor.execute("DROP INDEX lease_one_per_annotator_per_pair_unless_released")
    open_forever = _second_lease(judged, Lease.Status.OPEN)
    ran_out = _second_lease(reclaimed, Lease.Status.EXPIRED)

    one_lease_migration.duplicate_leases_release(apps, None)

    statuses = dict(Lease.objects.values_list("pk", "status"))
    assert statuses == {
        judged.pk: "submitted",
        open_forever.pk: "released",
        reclaimed.pk: "open",
        ran_out.pk: "released",
    }
