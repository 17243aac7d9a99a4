"""The queue's leases and judgment slots are evidence: the admin shows them, changes nothing."""

import pytest

from apps.assignments.services import lease_claim, lease_submit
from tests.factories import pool_pair_ready
from tests.read_only_admin import assert_admin_read_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def lease(batch, annotator):
    pool_pair_ready(batch)
    lease = lease_claim(batch=batch, annotator=annotator)
    lease_submit(
        lease_id=lease.pk,
        annotator=annotator,
        idempotency_key="k",
        chosen_side="left",
        strength="better",
        time_spent_ms=5,
    )
    lease.refresh_from_db()
    return lease


def test_a_lease_is_read_only_in_the_admin(admin_client, lease):
    assert_admin_read_only(admin_client, lease, field="status", new_value="open")
