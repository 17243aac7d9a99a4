from django.db import migrations, models


def scope_tokens_that_list_batches(apps, schema_editor):
    """A token made with batches was meant to be limited to them: say so for good, so it
    stays limited when they are deleted. (A token whose batches are already gone cannot be
    told apart from one made for every batch; it stays unscoped.)"""
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(batches__isnull=False).update(scoped=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scoped",
            field=models.BooleanField(
                default=False,
                help_text="Limited to its batches; otherwise every batch its user may read.",
            ),
        ),
        migrations.RunPython(scope_tokens_that_list_batches, migrations.RunPython.noop),
    ]
