"""Comparison's foreign keys now name pairs.Pair and pairs.Sample (same tables: state only)."""

import django.db.models.deletion
from django.db import migrations, models


def _sample(**extra):
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="pairs.sample", **extra
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pairs", "0001_initial"),
        ("preferences", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="comparison",
                    name="pair",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="comparisons",
                        to="pairs.pair",
                    ),
                ),
                migrations.AlterField(model_name="comparison", name="chosen", field=_sample()),
                migrations.AlterField(model_name="comparison", name="rejected", field=_sample()),
                migrations.AlterField(
                    model_name="comparison",
                    name="left",
                    field=_sample(help_text="The sample shown on the left of the screen."),
                ),
            ],
            database_operations=[],
        ),
    ]
