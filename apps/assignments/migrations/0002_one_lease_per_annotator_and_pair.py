"""One lease per annotator and pair unless released: a re-claim after expiry reopens the lease.

Before this, a re-claim made a second lease on the same pair. Where that left two or more
unreleased leases of one annotator on one pair, the one to keep is the one with the judgment,
else the open one, else the newest; the others end as released (the pair went back to the pool).
Only their status changes: the slots were already settled by the kept lease or the sweep.
"""

from django.db import migrations, models
from django.db.models import Count, Q
from django.utils import timezone


def duplicate_leases_release(apps, schema_editor):
    Lease = apps.get_model("assignments", "Lease")
    live = Lease.objects.exclude(status="released")
    duplicated = (
        live.values("pair_id", "annotator_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("pair_id", "annotator_id")
    )
    for pair_id, annotator_id in duplicated:
        leases = sorted(
            live.filter(pair_id=pair_id, annotator_id=annotator_id),
            key=lambda x: (x.comparison_id is not None, x.status == "open", x.claimed_at, x.pk),
        )
        for lease in leases[:-1]:
            lease.status = "released"
            lease.ended_at = lease.ended_at or timezone.now()
            lease.save(update_fields=["status", "ended_at"])


class Migration(migrations.Migration):
    dependencies = [("assignments", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(
            model_name="lease", name="lease_one_open_per_annotator_per_pair"
        ),
        migrations.RunPython(duplicate_leases_release, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="lease",
            constraint=models.UniqueConstraint(
                condition=~Q(status="released"),
                fields=("pair", "annotator"),
                name="lease_one_per_annotator_per_pair_unless_released",
            ),
        ),
    ]
