"""JudgmentSlot moves to the pairs app; Lease's foreign keys follow (same tables: state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0002_one_lease_per_annotator_and_pair"),
        ("pairs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="lease",
                    name="slot",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="leases",
                        to="pairs.judgmentslot",
                    ),
                ),
                migrations.AlterField(
                    model_name="lease",
                    name="pair",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="leases",
                        to="pairs.pair",
                    ),
                ),
                migrations.DeleteModel(name="JudgmentSlot"),
            ],
            database_operations=[],
        ),
    ]
