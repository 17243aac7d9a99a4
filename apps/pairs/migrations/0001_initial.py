"""Pair, Sample and JudgmentSlot move here from dialogues and assignments, rows untouched.

State only: the models keep their old tables here; 0002 renames the tables once every other
app's foreign keys point at this app's models.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('batches', '0002_batch_allow_written_prompts_batch_annotators_and_more'),
        ('catalog', '0002_variant_backend_vllm'),
        ('dialogues', '0003_pair_batch_backfill'),
        ('assignments', '0002_one_lease_per_annotator_and_pair'),
        ('pools', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Pair',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('context', models.JSONField(help_text='Chat messages up to and including the user turn.')),
                        ('left_slot', models.CharField(choices=[('a', 'A'), ('b', 'B')], max_length=1)),
                        ('ready_at', models.DateTimeField(blank=True, help_text='When both responses were generated.', null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('batch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pairs', to='batches.batch')),
                        ('dialogue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='pairs', to='dialogues.dialogue')),
                        ('pool_item', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='pair', to='pools.poolitem')),
                        ('user_turn', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='pair', to='dialogues.turn')),
                    ],
                    options={
                        'db_table': 'dialogues_pair',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='JudgmentSlot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('index', models.PositiveSmallIntegerField()),
                        ('status', models.CharField(choices=[('free', 'Free'), ('leased', 'Leased'), ('done', 'Done'), ('withdrawn', 'Withdrawn')], default='free', max_length=10)),
                        ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('annotator', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('batch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='batches.batch')),
                        ('pair', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='slots', to='pairs.pair')),
                    ],
                    options={
                        'db_table': 'assignments_judgmentslot',
                        'ordering': ['pair', 'index'],
                    },
                ),
                migrations.CreateModel(
                    name='Sample',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('slot', models.CharField(choices=[('a', 'A'), ('b', 'B')], max_length=1)),
                        ('temperature', models.FloatField()),
                        ('top_p', models.FloatField()),
                        ('max_new_tokens', models.PositiveIntegerField()),
                        ('seed', models.BigIntegerField()),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('text', models.TextField(blank=True)),
                        ('prompt_tokens', models.PositiveIntegerField(blank=True, null=True)),
                        ('completion_tokens', models.PositiveIntegerField(blank=True, null=True)),
                        ('finish_reason', models.CharField(blank=True, max_length=20)),
                        ('context_truncated', models.BooleanField(default=False)),
                        ('latency_ms', models.PositiveIntegerField(blank=True, null=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True)),
                        ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('worker', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('pair', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='samples', to='pairs.pair')),
                        ('variant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='catalog.modelvariant')),
                    ],
                    options={
                        'db_table': 'dialogues_sample',
                        'ordering': ['pair', 'slot'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='pair',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('dialogue__isnull', False), ('pool_item__isnull', True), ('user_turn__isnull', False)), models.Q(('dialogue__isnull', True), ('pool_item__isnull', False), ('user_turn__isnull', True)), _connector='OR'), name='pair_from_a_dialogue_or_the_pool'),
                ),
                migrations.AddIndex(
                    model_name='judgmentslot',
                    index=models.Index(condition=models.Q(('status__in', ['free', 'leased'])), fields=['batch', 'pair', 'index'], name='slot_claimable'),
                ),
                migrations.AddConstraint(
                    model_name='judgmentslot',
                    constraint=models.UniqueConstraint(fields=('pair', 'index'), name='slot_unique_index'),
                ),
                migrations.AddConstraint(
                    model_name='judgmentslot',
                    constraint=models.UniqueConstraint(condition=models.Q(('annotator__isnull', False)), fields=('pair', 'annotator'), name='slot_one_per_annotator_per_pair'),
                ),
                migrations.AddConstraint(
                    model_name='judgmentslot',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'free'), ('annotator__isnull', True)), ('status', 'withdrawn'), models.Q(('status__in', ['leased', 'done']), ('annotator__isnull', False)), _connector='OR'), name='slot_leased_or_done_has_annotator'),
                ),
                migrations.AddConstraint(
                    model_name='judgmentslot',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'leased'), _negated=True), ('lease_expires_at__isnull', False), _connector='OR'), name='slot_lease_has_expiry'),
                ),
                migrations.AddConstraint(
                    model_name='sample',
                    constraint=models.UniqueConstraint(fields=('pair', 'slot'), name='sample_one_per_slot'),
                ),
                migrations.AddConstraint(
                    model_name='sample',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), ('completion_tokens__isnull', False), _connector='OR'), name='sample_done_has_tokens'),
                ),
                migrations.AddConstraint(
                    model_name='sample',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'failed'), _negated=True), models.Q(('error', ''), _negated=True), _connector='OR'), name='sample_failed_has_reason'),
                ),
                migrations.AddConstraint(
                    model_name='sample',
                    constraint=models.CheckConstraint(condition=models.Q(('top_p__gt', 0), ('top_p__lte', 1)), name='sample_top_p_range'),
                ),
                migrations.AddConstraint(
                    model_name='sample',
                    constraint=models.CheckConstraint(condition=models.Q(('temperature__gte', 0)), name='sample_temperature_ge_0'),
                ),
            ],
            database_operations=[],
        ),
    ]
