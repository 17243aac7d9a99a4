"""Pool pairs: no dialogue, one context judged by `batch.overlap` annotators, each with their
own left/right order. Exports key them on the pool item and carry its category."""

import hashlib

import orjson
import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from apps.batches.models import Batch
from apps.exports.cards import CardBuilder
from apps.exports.formats import split_of
from apps.exports.options import ExportOptions
from apps.exports.streams import export_bytes, export_records
from tests.exports.conftest import judge, pool_judge, pool_pair
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def records(**options) -> list[dict]:
    data = b"".join(export_bytes(options=ExportOptions(**options), visible=Batch.objects.all()))
    return [orjson.loads(line) for line in data.splitlines()]


@pytest.fixture
def annotators(db):
    return [UserFactory(username=f"pool-ann-{i}") for i in range(4)]


@pytest.fixture
def mixed(batch, annotator, annotators):
    """One dialogue pair, then one pool pair judged by two annotators with opposite sides."""
    judge(batch=batch, annotator=annotator, prompt="Dialogue prompt")
    pair = pool_pair(
        batch=batch,
        line=1,
        context=[
            {"role": "system", "content": "Réponds brièvement."},
            {"role": "user", "content": "Qu'est-ce qu'un 答案?"},
        ],
        category="translation",
        metadata={"source": "forum", "difficulty": 3, "tags": ["zh", "fr"]},
    )
    pool_judge(pair=pair, annotator=annotators[0], chosen_slot="a", left_slot="a")
    pool_judge(pair=pair, annotator=annotators[1], chosen_slot="a", left_slot="b")
    return pair


def test_raw_rows_carry_the_pool_item_its_category_metadata_and_each_left(mixed):
    dialogue_row, first, second = records(format="raw")
    assert dialogue_row["dialogue_id"] is not None
    assert dialogue_row["pool_item_id"] is None
    assert dialogue_row["category"] is None and dialogue_row["pool_metadata"] is None
    for row in (first, second):
        assert row["dialogue_id"] is None
        assert row["pool_item_id"] == mixed.pool_item_id
        assert row["category"] == "translation"
        assert orjson.loads(row["pool_metadata"]) == {
            "source": "forum",
            "difficulty": 3,
            "tags": ["zh", "fr"],
        }
        assert row["context"][1]["content"] == "Qu'est-ce qu'un 答案?"
        assert row["chosen_text"] == "Pool answer A"
    # Each annotator's own screen order is kept.
    assert (first["left"], second["left"]) == ("chosen", "rejected")


@pytest.mark.parametrize("fmt", ["trl", "trl-text", "hh", "raw"])
def test_every_format_writes_pool_pairs_to_parquet_with_null_dialogue_ids(mixed, tmp_path, fmt):
    options = ExportOptions(format=fmt, file_type="parquet", test_fraction=0.5, overlap="majority")
    path = tmp_path / "pool.parquet"
    path.write_bytes(b"".join(export_bytes(options=options, visible=Batch.objects.all())))
    rows = pq.read_table(path).to_pylist()
    assert [r["dialogue_id"] is None for r in rows] == [False, True]
    assert [r["pool_item_id"] for r in rows] == [None, mixed.pool_item_id]
    assert [r["category"] for r in rows] == [None, "translation"]
    if fmt == "raw":
        assert rows[1]["votes"] == 2 and rows[1]["annotations"] == 2
        assert orjson.loads(rows[1]["pool_metadata"])["difficulty"] == 3


def test_the_split_keys_pool_pairs_on_the_pool_item_and_keeps_dialogue_assignments(
    batch, annotator, annotators
):
    for line in range(1, 41):
        pair = pool_pair(batch=batch, line=line)
        pool_judge(pair=pair, annotator=annotators[0], chosen_slot="a")
        pool_judge(pair=pair, annotator=annotators[1], chosen_slot="b", left_slot="b")
    for n in range(10):
        judge(batch=batch, annotator=annotator, prompt=f"Dialogue {n}")
    rows = records(test_fraction=0.5, split_seed=3)
    sides: dict[tuple, set[str]] = {}
    for row in rows:
        key = ("pool", row["pool_item_id"]) if row["dialogue_id"] is None else row["dialogue_id"]
        sides.setdefault(key, set()).add(row["split"])
    assert len(sides) == 50 and all(len(s) == 1 for s in sides.values())
    pool_splits = [next(iter(s)) for k, s in sides.items() if isinstance(k, tuple)]
    assert 5 < pool_splits.count("test") < 35
    # Dialogue pairs keep the assignment exports made before pool pairs existed.
    for row in rows:
        if row["dialogue_id"] is not None:
            digest = hashlib.blake2b(f"3:{row['dialogue_id']}".encode(), digest_size=8).digest()
            before = "test" if int.from_bytes(digest, "big") / 2**64 < 0.5 else "train"
            assert row["split"] == before
    # A pool item's key is not a dialogue's: the same number may land differently.
    assert {
        split_of(dialogue_id=None, pool_item_id=n, seed=3, test_fraction=0.5) for n in range(20)
    } == {"train", "test"}


def test_overlap_modes_combine_k_judgments_of_one_pool_pair(batch, annotators):
    pair = pool_pair(batch=batch, line=1)
    judged = [
        pool_judge(pair=pair, annotator=annotators[0], chosen_slot="b", strength="slightly_better"),
        pool_judge(pair=pair, annotator=annotators[1], chosen_slot="a", strength="better"),
        pool_judge(pair=pair, annotator=annotators[2], chosen_slot="a", left_slot="b"),
    ]
    assert [r["id"] for r in records(overlap="all")] == [c.pk for c in judged]
    assert [r["id"] for r in records(overlap="first")] == [judged[0].pk]
    (majority,) = records(overlap="majority", format="raw")
    assert majority["id"] == judged[1].pk
    assert (majority["votes"], majority["annotations"]) == (2, 3)
    assert majority["chosen_text"] == "Pool answer A"
    # A fourth judgment for the other side ties it: the pair is dropped.
    pool_judge(pair=pair, annotator=annotators[3], chosen_slot="b")
    assert records(overlap="majority") == []
    assert len(records(overlap="all")) == 4


def test_the_card_counts_categories_and_names_the_split_key(mixed):
    options = ExportOptions(test_fraction=0.5)
    card = CardBuilder(options=options)
    for _ in export_records(options=options, visible=Batch.objects.all(), card=card):
        pass
    data = card.as_dict()
    assert data["rows"] == 3
    assert data["counts"]["category"] == {"translation": 2}
    assert "pool item" in data["split"]["by"]


def test_the_comparison_list_shows_pool_pairs(api, mixed):
    response = api.get(reverse("exports:comparison-list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    pool_rows = [r for r in rows if r["pool_item_id"] is not None]
    assert len(pool_rows) == 2
    assert all(r["dialogue_id"] is None and r["category"] == "translation" for r in pool_rows)
    assert sum(r["dialogue_id"] is not None and r["category"] is None for r in rows) == 1
