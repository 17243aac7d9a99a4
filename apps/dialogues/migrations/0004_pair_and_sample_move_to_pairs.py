"""Pair and Sample move to the pairs app; Turn's foreign key follows (same tables: state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dialogues", "0003_pair_batch_backfill"),
        ("pairs", "0001_initial"),
        ("preferences", "0002_comparison_points_at_pairs"),
        ("assignments", "0003_judgment_slot_moves_to_pairs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="turn",
                    name="source_sample",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="pairs.sample",
                    ),
                ),
                migrations.DeleteModel(name="Sample"),
                migrations.DeleteModel(name="Pair"),
            ],
            database_operations=[],
        ),
    ]
