"""Moving Pair, Sample and JudgmentSlot into the pairs app keeps every row and reference.

The database is filled with the current code, migrated back to before the move (the old
tables must hold the rows), then forward again (the rows and every foreign key are intact).
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.assignments.models import Lease
from apps.assignments.services import lease_claim, lease_submit
from apps.dialogues.models import Turn
from apps.dialogues.services import dialogue_judge, dialogue_start
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.preferences.models import Comparison
from tests.factories import BatchFactory, UserFactory, pool_pair_ready, samples_finish

BEFORE_THE_MOVE = [
    ("pairs", None),
    ("dialogues", "0003_pair_batch_backfill"),
    ("assignments", "0002_one_lease_per_annotator_and_pair"),
    ("preferences", "0001_initial"),
]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def _populate() -> dict:
    batch = BatchFactory()
    annotator, queue_annotator = UserFactory(username="writer"), UserFactory(username="queue")
    dialogue_pair = samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    judged = dialogue_judge(
        pair=dialogue_pair,
        annotator=annotator,
        chosen_side="left",
        strength="better",
        time_spent_ms=5,
    )
    pool_pair_ready(batch)
    lease = lease_claim(batch=batch, annotator=queue_annotator)
    lease_submit(
        lease_id=lease.pk,
        annotator=queue_annotator,
        idempotency_key="k",
        chosen_side="right",
        strength="slightly_better",
        time_spent_ms=7,
    )
    return {"comparison": judged.pk, "lease": lease.pk, "pair": dialogue_pair.pk}


@pytest.mark.django_db(transaction=True)
def test_the_move_to_the_pairs_app_keeps_every_row_both_ways():
    ids = _populate()
    counts = {"pairs_pair": Pair.objects.count(), "pairs_sample": Sample.objects.count()}
    slots = JudgmentSlot.objects.count()
    assert counts == {"pairs_pair": 2, "pairs_sample": 4} and slots == 1
    latest = _latest()
    try:
        _migrate(BEFORE_THE_MOVE)
        assert _count("dialogues_pair") == 2
        assert _count("dialogues_sample") == 4
        assert _count("assignments_judgmentslot") == 1
        assert "pairs_pair" not in connection.introspection.table_names()
    finally:
        _migrate(latest)
    ContentType.objects.clear_cache()

    assert Pair.objects.count() == 2 and Sample.objects.count() == 4
    comparison = Comparison.objects.select_related("pair", "chosen").get(pk=ids["comparison"])
    assert comparison.pair_id == ids["pair"] and comparison.chosen.pair_id == ids["pair"]
    assert (
        Turn.objects.get(source_sample=comparison.chosen).dialogue_id == comparison.pair.dialogue_id
    )
    lease = Lease.objects.select_related("slot", "comparison").get(pk=ids["lease"])
    assert lease.slot.pair_id == lease.pair_id and lease.comparison.pair_id == lease.pair_id
    assert not ContentType.objects.filter(app_label="dialogues", model__in=["pair", "sample"])


@pytest.mark.django_db(transaction=True)
def test_the_content_types_move_with_the_models_and_keep_their_ids():
    """Permissions and admin history point at a content type's id: it is renamed, not remade."""
    ids = {model: ContentType.objects.get_for_model(model).pk for model in (Pair, JudgmentSlot)}
    latest = _latest()
    try:
        _migrate(BEFORE_THE_MOVE)
        back = dict(
            ContentType.objects.filter(pk__in=ids.values()).values_list("model", "app_label")
        )
        assert back == {"pair": "dialogues", "judgmentslot": "assignments"}
    finally:
        _migrate(latest)
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Pair).pk == ids[Pair]
    assert ContentType.objects.get_for_model(JudgmentSlot).pk == ids[JudgmentSlot]
