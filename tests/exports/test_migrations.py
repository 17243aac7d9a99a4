import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import UserFactory

BEFORE = [("exports", "0002_job_state_expired")]
AFTER = [("exports", "0003_job_batches")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_batch_ids_of_existing_jobs_become_rows():
    user = UserFactory(username="boss", is_staff=True)
    try:
        old = _migrate(BEFORE)
        job = old.get_model("exports", "ExportJob").objects.create(
            created_by_id=user.pk, options={}, batch_ids=[3, 5]
        )
        new = _migrate(AFTER)
        rows = new.get_model("exports", "ExportJobBatch").objects.filter(job_id=job.pk)
        assert sorted(rows.values_list("batch_id", flat=True)) == [3, 5]
    finally:
        _migrate(AFTER)
