"""The card endpoint's aggregate query counts exactly what streaming the rows counts."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.batches.models import Batch
from apps.exports.cards import CardBuilder, card_readme
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


def test_the_card_reads_no_text_its_counts_in_one_grouped_query(data):
    options = ExportOptions(test_fraction=0.5)
    with CaptureQueriesContext(connection) as queries:
        card = export_card(options=options, visible=Batch.objects.all()).as_dict()
    read = [q["sql"] for q in queries if "preferences_comparison" in q["sql"]]
    grouped = [sql for sql in read if "GROUP BY" in sql]
    # The counts, then the judgments' compact columns for the agreement figures, once.
    assert len(grouped) == 1 and len(read) == 2
    assert not any('"pairs_sample"."text"' in sql for sql in read)
    assert card["quality"]["comparisons"] == 28
    assert card["counts"]["category"] == {"code": 12}
    assert sum(card["counts"]["split"].values()) == card["rows"] == 28


@pytest.mark.parametrize("options", [{}, {"test_fraction": 0.5, "overlap": "majority"}])
def test_a_card_with_no_visible_batch_is_empty(data, options):
    card = export_card(options=ExportOptions(**options), visible=Batch.objects.none()).as_dict()
    assert card["rows"] == 0 and card["counts"]["strength"] == {}


ISO_8601_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")


def test_the_card_and_its_readme_show_margins_and_filters_as_plain_values(data):
    after = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    options = ExportOptions(margin="small", created_after=after, track="helpfulness")
    card = export_card(options=options, visible=Batch.objects.all()).as_dict()
    assert card["margins"] == {
        "significantly_better": 1.0,
        "better": pytest.approx(2 / 3),
        "slightly_better": pytest.approx(1 / 3),
        "negligibly_better_or_unsure": 0.0,
    }
    assert all(type(key) is str for key in card["margins"])
    readme = card_readme(card)
    assert "Strength." not in readme and "<" not in readme
    assert (
        "- Margin scheme: `small` (Llama 2, Table 27): significantly_better 1, better 0.667, "
        "slightly_better 0.333, negligibly_better_or_unsure 0\n" in readme
    )
    assert "- track: `helpfulness`\n" in readme
    assert "- created_after: `2024-01-02T03:04:05+00:00`\n" in readme
    assert "- created_before: none\n" in readme and "- batches: none\n" in readme
    assert "- drop_negligible: no\n" in readme
    assert "None" not in readme and "False" not in readme and "[]" not in readme


def test_the_cards_timestamps_carry_their_offset(data):
    card = export_card(
        options=ExportOptions(created_after=datetime(2024, 1, 2, tzinfo=UTC)),
        visible=Batch.objects.all(),
    ).as_dict()
    assert ISO_8601_WITH_OFFSET.fullmatch(card["exported_at"])
    assert ISO_8601_WITH_OFFSET.fullmatch(card["filters"]["created_after"])
    assert f"- Exported at: {card['exported_at']}\n" in card_readme(card)


def test_a_card_without_margins_says_so(data):
    card = export_card(options=ExportOptions(margin="none"), visible=Batch.objects.all())
    readme = card_readme(card.as_dict())
    assert "- Margin scheme: `none`: no margin column\n" in readme
