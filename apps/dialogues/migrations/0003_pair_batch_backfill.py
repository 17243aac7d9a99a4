from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery
import django.db.models.deletion


def backfill(apps, schema_editor):
    Pair = apps.get_model("dialogues", "Pair")
    Dialogue = apps.get_model("dialogues", "Dialogue")
    Sample = apps.get_model("dialogues", "Sample")
    Pair.objects.filter(batch__isnull=True).update(
        batch=Subquery(Dialogue.objects.filter(pk=OuterRef("dialogue_id")).values("batch_id")[:1])
    )
    # Pairs whose two samples are already done were ready when they finished.
    done = Sample.objects.filter(status="done")
    for pair in Pair.objects.filter(ready_at__isnull=True).only("pk", "created_at"):
        last = done.filter(pair=pair).order_by("-finished_at").values_list("finished_at", flat=True)
        if done.filter(pair=pair).count() == 2:
            Pair.objects.filter(pk=pair.pk).update(ready_at=last[0] or pair.created_at)


class Migration(migrations.Migration):
    dependencies = [("dialogues", "0002_pair_batch_pair_pool_item_pair_ready_at_and_more")]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pair",
            name="batch",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="pairs",
                to="batches.batch",
            ),
        ),
    ]
