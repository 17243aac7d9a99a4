import django.db.models.deletion
from django.db import migrations, models


def batch_ids_to_rows(apps, schema_editor):
    ExportJob = apps.get_model("exports", "ExportJob")
    ExportJobBatch = apps.get_model("exports", "ExportJobBatch")
    for job_id, batch_ids in ExportJob.objects.values_list("pk", "batch_ids").iterator():
        ExportJobBatch.objects.bulk_create(
            ExportJobBatch(job_id=job_id, batch_id=pk) for pk in set(batch_ids or [])
        )


def rows_to_batch_ids(apps, schema_editor):
    ExportJob = apps.get_model("exports", "ExportJob")
    for job in ExportJob.objects.prefetch_related("covered_batches"):
        job.batch_ids = sorted(row.batch_id for row in job.covered_batches.all())
        job.save(update_fields=["batch_ids"])


class Migration(migrations.Migration):
    """A job's batches as rows, so a token's scope is checked in the query on any database."""

    dependencies = [
        ("exports", "0002_job_state_expired"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExportJobBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("batch_id", models.BigIntegerField()),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="covered_batches",
                        to="exports.exportjob",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("job", "batch_id"), name="export_job_batch_once"
                    )
                ],
            },
        ),
        migrations.RunPython(batch_ids_to_rows, rows_to_batch_ids),
        migrations.RemoveField(
            model_name="exportjob",
            name="batch_ids",
        ),
    ]
