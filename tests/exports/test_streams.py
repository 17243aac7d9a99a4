import time

import orjson
import pyarrow.parquet as pq
import pytest
from django.db import connection

from apps.batches.models import Batch
from apps.exports.options import ExportOptions
from apps.exports.streams import export_bytes
from benchmarks.export_fill import bench_fill
from tests.exports.conftest import judge

pytestmark = [pytest.mark.django_db, pytest.mark.postgres("the benchmark fill copies rows in")]


def lines(data: bytes) -> list[dict]:
    return [orjson.loads(line) for line in data.splitlines()]


@pytest.fixture
def filled(db):
    """A few thousand comparisons inserted the way the benchmark does it (COPY)."""
    return bench_fill(rows=2400, response_chars=80, chunk_dialogues=200)


def test_streaming_gives_the_same_bytes_without_server_side_cursors(filled, monkeypatch):
    options = ExportOptions(format="raw")
    visible = Batch.objects.filter(pk__in=filled.batch_ids)
    with_cursors = b"".join(export_bytes(options=options, visible=visible))
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    stream = export_bytes(options=options, visible=visible)
    first = next(stream)
    with connection.cursor() as cursor:  # mid-stream: nothing is held open on the server
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone()[0] == 0
    without = first + b"".join(stream)
    assert without == with_cursors
    assert len(lines(without)) == 2400


def test_chunk_size_does_not_change_the_output(filled):
    visible = Batch.objects.filter(pk__in=filled.batch_ids)
    options = ExportOptions()
    small = b"".join(export_bytes(options=options, visible=visible, chunk_rows=7))
    large = b"".join(export_bytes(options=options, visible=visible, chunk_rows=100000))
    assert small == large
    ids = [r["id"] for r in lines(small)]
    assert ids == sorted(ids) and len(set(ids)) == 2400


def test_the_first_bytes_leave_within_a_second(filled):
    visible = Batch.objects.filter(pk__in=filled.batch_ids)
    started = time.perf_counter()
    first = next(export_bytes(options=ExportOptions(), visible=visible))
    assert first and time.perf_counter() - started < 1.0


def test_the_split_never_puts_one_dialogue_on_both_sides(filled):
    visible = Batch.objects.filter(pk__in=filled.batch_ids)
    options = ExportOptions(test_fraction=0.2, split_seed=7)
    records = lines(b"".join(export_bytes(options=options, visible=visible)))
    sides: dict[int, set[str]] = {}
    for record in records:
        sides.setdefault(record["dialogue_id"], set()).add(record["split"])
    assert all(len(s) == 1 for s in sides.values())
    test_share = sum(1 for r in records if r["split"] == "test") / len(records)
    assert 0.1 < test_share < 0.3
    only_test = lines(
        b"".join(
            export_bytes(
                options=ExportOptions(test_fraction=0.2, split_seed=7, split="test"),
                visible=visible,
            )
        )
    )
    assert [r["id"] for r in only_test] == [r["id"] for r in records if r["split"] == "test"]


def test_the_split_is_deterministic_and_depends_on_the_seed(filled):
    visible = Batch.objects.filter(pk__in=filled.batch_ids)

    def split(seed):
        data = b"".join(
            export_bytes(options=ExportOptions(test_fraction=0.5, split_seed=seed), visible=visible)
        )
        return [r["split"] for r in lines(data)]

    assert split(1) == split(1)
    assert split(1) != split(2)


def test_parquet_is_written_in_row_groups_with_the_same_rows(filled, settings, tmp_path):
    settings.EXPORT_PARQUET_ROW_GROUP = 500
    settings.EXPORT_CHUNK_ROWS = 100
    visible = Batch.objects.filter(pk__in=filled.batch_ids)
    path = tmp_path / "out.parquet"
    path.write_bytes(
        b"".join(export_bytes(options=ExportOptions(file_type="parquet"), visible=visible))
    )
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_rows == 2400
    assert parquet.metadata.num_row_groups >= 4
    jsonl = lines(b"".join(export_bytes(options=ExportOptions(), visible=visible)))
    table = parquet.read().to_pylist()
    assert [r["prompt"] for r in table] == [r["prompt"] for r in jsonl]
    assert [r["margin"] for r in table] == [r["margin"] for r in jsonl]


def test_an_empty_selection_is_an_empty_but_valid_parquet_file(batch, tmp_path):
    path = tmp_path / "empty.parquet"
    path.write_bytes(
        b"".join(
            export_bytes(
                options=ExportOptions(file_type="parquet", format="raw", overlap="majority"),
                visible=Batch.objects.all(),
            )
        )
    )
    assert pq.ParquetFile(path).metadata.num_rows == 0


def test_majority_exports_carry_the_vote_counts(batch, annotator):
    judge(batch=batch, annotator=annotator)
    data = b"".join(
        export_bytes(
            options=ExportOptions(format="raw", overlap="majority"), visible=Batch.objects.all()
        )
    )
    record = lines(data)[0]
    assert (record["votes"], record["annotations"]) == (1, 1)
