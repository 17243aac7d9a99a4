"""The card endpoint's aggregate query counts exactly what streaming the rows counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.batches.models import Batch
from apps.exports.cards import CardBuilder
from apps.exports.options import ExportOptions
from apps.exports.streams import export_card, export_records
from tests.exports.conftest import judge, judge_again, pool_judge, pool_pair
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(batch, safety_batch, annotator):
    others = [UserFactory(username=f"card-{i}") for i in range(3)]
    first = judge(batch=batch, annotator=annotator, strength="better")
    dialogue = first.pair.dialogue
    judge(batch=batch, annotator=annotator, dialogue=dialogue, strength="slightly_better")
    judge_again(comparison=first, annotator=others[0], chose_same=False)
    judge(
        batch=safety_batch,
        annotator=annotator,
        left_is_safe=True,
        right_is_safe=False,
        strength="significantly_better",
    )
    for line in range(1, 9):
        pair = pool_pair(batch=batch, line=line, category="code" if line % 2 else "")
        for n, other in enumerate(others):
            pool_judge(pair=pair, annotator=other, chosen_slot="ab"[(line + n) % 2 * (n > 0)])


def streamed(options: ExportOptions) -> dict:
    card = CardBuilder(options=options)
    for _ in export_records(options=options, visible=Batch.objects.all(), card=card):
        pass
    return card.as_dict()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"overlap": "first"},
        {"overlap": "majority", "test_fraction": 0.5, "split_seed": 4},
        {"test_fraction": 0.4, "split": "test"},
        {"test_fraction": 0.4, "split": "train", "track": "helpfulness"},
        {"format": "raw", "drop_negligible": True, "safety_labels": ["chosen_safe_other_unsafe"]},
    ],
)
def test_the_aggregate_card_equals_the_streamed_one(data, options):
    options = ExportOptions(**options)
    aggregate = export_card(options=options, visible=Batch.objects.all()).as_dict()
    expected = streamed(options)
    aggregate.pop("exported_at"), expected.pop("exported_at")
    assert aggregate == expected
    assert aggregate["rows"] > 0 or options.safety_labels


def test_the_card_reads_no_rows_only_one_grouped_query(data):
    options = ExportOptions(test_fraction=0.5)
    with CaptureQueriesContext(connection) as queries:
        card = export_card(options=options, visible=Batch.objects.all()).as_dict()
    grouped = [q["sql"] for q in queries if "preferences_comparison" in q["sql"]]
    assert len(grouped) == 1 and "GROUP BY" in grouped[0]
    assert '"dialogues_sample"."text"' not in grouped[0]
    assert card["counts"]["category"] == {"code": 12}
    assert sum(card["counts"]["split"].values()) == card["rows"] == 28


@pytest.mark.parametrize("options", [{}, {"test_fraction": 0.5, "overlap": "majority"}])
def test_a_card_with_no_visible_batch_is_empty(data, options):
    card = export_card(options=ExportOptions(**options), visible=Batch.objects.none()).as_dict()
    assert card["rows"] == 0 and card["counts"]["strength"] == {}
