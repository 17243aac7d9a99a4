"""Samples carry their priority (live before bulk), and claimable samples get a partial index
in the order a worker claims them. Existing samples of written prompts become live."""

from django.db import migrations, models


def written_prompts_live(apps, schema_editor):
    Sample = apps.get_model("pairs", "Sample")
    Sample.objects.filter(pair__dialogue__isnull=False).update(priority=0)


class Migration(migrations.Migration):
    dependencies = [
        ("pairs", "0002_tables_renamed"),
    ]

    operations = [
        migrations.AddField(
            model_name="sample",
            name="priority",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "Live (someone is watching)"), (1, "Bulk (pool)")], default=1
            ),
        ),
        migrations.RunPython(written_prompts_live, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "running"])),
                fields=["priority", "created_at", "id"],
                name="sample_claimable",
            ),
        ),
    ]
