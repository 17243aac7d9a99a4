"""The moved models take this app's table names; their content types (and so permissions and
admin history) move with them instead of being recreated."""

from django.db import migrations

MOVED = {"pair": "dialogues", "sample": "dialogues", "judgmentslot": "assignments"}


def _content_types_move(apps, *, to_pairs: bool) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, old_app in MOVED.items():
        source, target = (old_app, "pairs") if to_pairs else ("pairs", old_app)
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_forward(apps, schema_editor):
    _content_types_move(apps, to_pairs=True)


def content_types_backward(apps, schema_editor):
    _content_types_move(apps, to_pairs=False)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("pairs", "0001_initial"),
        ("dialogues", "0004_pair_and_sample_move_to_pairs"),
        ("assignments", "0003_judgment_slot_moves_to_pairs"),
    ]

    operations = [
        migrations.AlterModelTable(name="pair", table=None),
        migrations.AlterModelTable(name="sample", table=None),
        migrations.AlterModelTable(name="judgmentslot", table=None),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
