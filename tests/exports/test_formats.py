import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apps.batches.models import Batch
from apps.exports.formats import RowBuilder, annotator_pseudonym
from apps.exports.models import ExportJob
from apps.exports.options import FORMATS, ExportOptions
from apps.exports.streams import export_bytes, export_records
from apps.exports.tasks import export_job_run_task
from tests.exports.conftest import judge

pytestmark = pytest.mark.django_db


def rows(**options) -> list[dict]:
    data = b"".join(export_bytes(options=ExportOptions(**options), visible=Batch.objects.all()))
    return [orjson.loads(line) for line in data.splitlines()]


@pytest.fixture
def two_turns(batch, annotator):
    """A two-turn dialogue with non-ASCII text; the second judgment is the interesting one."""
    first = judge(
        batch=batch,
        annotator=annotator,
        prompt="Grüß dich! Wie geht's?",
        texts=("Très bien, merci ☀️", "Bof."),
        chosen_side="left",
        strength="significantly_better",
    )
    second = judge(
        batch=batch,
        annotator=annotator,
        dialogue=first.pair.dialogue,
        prompt="写一首诗",
        texts=("春眠不觉晓", "No."),
        chosen_side="right",
        strength="slightly_better",
    )
    return first, second


def test_it_writes_trl_as_chat_messages_with_the_whole_context(two_turns, batch, annotator):
    first, second = two_turns
    record = rows(format="trl")[1]
    assert record["prompt"] == [
        {"role": "user", "content": "Grüß dich! Wie geht's?"},
        {"role": "assistant", "content": "Très bien, merci ☀️"},
        {"role": "user", "content": "写一首诗"},
    ]
    assert record["chosen"] == [{"role": "assistant", "content": second.chosen.text}]
    assert record["rejected"] == [{"role": "assistant", "content": second.rejected.text}]
    assert record["margin"] == pytest.approx(1 / 3)
    assert record["id"] == second.pk
    assert record["dialogue_id"] == first.pair.dialogue_id
    assert record["batch"] == batch.name
    assert record["turn_index"] == 2
    assert record["strength"] == "slightly_better"
    assert record["safety_label"] is None
    assert record["annotator"] == annotator_pseudonym(annotator.pk)
    assert record["chosen_variant"] == batch.sampling_b.variant.name
    assert "split" not in record


def test_it_writes_trl_text_as_plain_strings(two_turns):
    record = rows(format="trl-text")[1]
    assert record["prompt"] == (
        "\n\nHuman: Grüß dich! Wie geht's?\n\nAssistant: Très bien, merci ☀️"
        "\n\nHuman: 写一首诗\n\nAssistant:"
    )
    assert record["chosen"] == " No."
    assert record["rejected"] == " 春眠不觉晓"


def test_it_writes_hh_transcripts(two_turns):
    first = rows(format="hh", margin="none")[0]
    assert first["chosen"] == "\n\nHuman: Grüß dich! Wie geht's?\n\nAssistant: Très bien, merci ☀️"
    assert first["rejected"] == "\n\nHuman: Grüß dich! Wie geht's?\n\nAssistant: Bof."
    assert "prompt" not in first and "margin" not in first


def test_trl_text_prompt_plus_chosen_is_the_hh_transcript(two_turns):
    for text, hh in zip(rows(format="trl-text"), rows(format="hh"), strict=True):
        assert text["prompt"] + text["chosen"] == hh["chosen"]
        assert text["prompt"] + text["rejected"] == hh["rejected"]


def test_it_writes_every_field_in_raw(two_turns, batch):
    _, second = two_turns
    record = rows(format="raw")[1]
    assert record["context"][-1] == {"role": "user", "content": "写一首诗"}
    assert record["chosen_text"] == "No."
    assert record["rejected_text"] == "春眠不觉晓"
    assert record["chosen_slot"] == second.chosen.slot
    assert record["chosen_sample_id"] == second.chosen_id
    assert record["chosen_temperature"] == second.chosen.temperature
    assert record["chosen_top_p"] == second.chosen.top_p
    assert record["chosen_seed"] == second.chosen.seed
    assert record["rejected_max_new_tokens"] == second.rejected.max_new_tokens
    assert record["left"] == "rejected"  # chose the right-hand response
    assert record["time_spent_ms"] == 4321
    assert record["pair_id"] == second.pair_id
    assert record["batch_id"] == batch.pk
    assert record["chosen_is_safe"] is None
    assert record["created_at"].startswith(second.created_at.date().isoformat())
    assert "pair_created_at" in record


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("small", [1.0, 2 / 3, 1 / 3, 0.0]),
        ("large", [3.0, 2.0, 1.0, 0.0]),
    ],
)
def test_it_maps_strength_to_the_llama2_margin(batch, annotator, scheme, expected):
    for strength in (
        "significantly_better",
        "better",
        "slightly_better",
        "negligibly_better_or_unsure",
    ):
        judge(batch=batch, annotator=annotator, strength=strength)
    assert [r["margin"] for r in rows(margin=scheme)] == pytest.approx(expected)


def test_it_leaves_margin_out_when_the_scheme_is_none(batch, annotator):
    judge(batch=batch, annotator=annotator)
    assert "margin" not in rows(margin="none")[0]


def test_it_writes_raw_user_ids_only_when_asked(batch, annotator):
    judge(batch=batch, annotator=annotator)
    assert rows(annotator_ids="raw")[0]["annotator"] == annotator.pk
    assert rows()[0]["annotator"].startswith("ann_")
    assert str(annotator.pk) != rows()[0]["annotator"][4:]


def test_it_labels_safety_bins(safety_batch, annotator):
    judge(batch=safety_batch, annotator=annotator, left_is_safe=True, right_is_safe=False)
    judge(batch=safety_batch, annotator=annotator, left_is_safe=True, right_is_safe=True)
    judge(batch=safety_batch, annotator=annotator, left_is_safe=False, right_is_safe=False)
    assert [r["safety_label"] for r in rows()] == [
        "chosen_safe_other_unsafe",
        "both_safe",
        "both_unsafe",
    ]


def test_records_for_parquet_parse_the_context(two_turns):
    options = ExportOptions(file_type="parquet")
    records = [
        r for chunk in export_records(options=options, visible=Batch.objects.all()) for r in chunk
    ]
    assert records[1]["prompt"][2] == {"role": "user", "content": "写一首诗"}


def test_parquet_skips_chunks_a_filter_emptied():
    from apps.exports.parquet import parquet_bytes

    schema = pa.schema([("id", pa.int64())])
    data = b"".join(
        parquet_bytes(chunks=[[{"id": 1}], [], [{"id": 2}], []], schema=schema, row_group_rows=10)
    )
    assert pq.read_table(io.BytesIO(data)).column("id").to_pylist() == [1, 2]
    empty = b"".join(parquet_bytes(chunks=[[], []], schema=schema, row_group_rows=10))
    assert pq.read_table(io.BytesIO(empty)).num_rows == 0


# --- Timestamps: ISO 8601 with the offset, in every format, streamed or written by a job ------

ISO_8601_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")


def _stamps(record: dict) -> dict:
    return {k: record[k] for k in ("created_at", "pair_created_at") if k in record}


def _streamed_and_filed(api, settings, tmp_path, **options) -> tuple[bytes, bytes]:
    settings.EXPORT_DIR = tmp_path / "exports"
    response = api.get("/api/exports/stream/", options)
    assert response.status_code == 200
    streamed = b"".join(response.streaming_content)
    created = api.post("/api/exports/jobs/", options, content_type="application/json")
    assert created.status_code == 201, created.content
    export_job_run_task(created.json()["id"])
    job = ExportJob.objects.get(pk=created.json()["id"])
    assert job.state == "done", job.error
    return streamed, (Path(job.directory) / job.data_file).read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_naive_timestamp_from_the_driver_is_read_as_utc(fmt):
    # SQLite's driver hands the raw cursor naive datetimes (Django stores them in UTC).
    naive = datetime(2024, 5, 6, 7, 8, 9, 123456)
    row = [1, 2, 3, "helpfulness", 4, 0, '[{"role": "user", "content": "Hi"}]', "c", "r"]
    row += [5, 6, "better", None, None, naive, None, ""]
    row += [7, naive, 8, 100, 8, "a", 0.5, 0.9, 8, 1, 9, "b", 1.0, 0.9, 8, 2, None]
    builder = RowBuilder(options=ExportOptions(format=fmt), batches={}, variants={}, for_json=True)
    record = builder.build(tuple(row))
    assert _stamps(record) == {
        "created_at": naive.replace(tzinfo=UTC),
        **({"pair_created_at": naive.replace(tzinfo=UTC)} if fmt == "raw" else {}),
    }
    assert orjson.dumps(record["created_at"]) == b'"2024-05-06T07:08:09.123456+00:00"'


@pytest.mark.parametrize("fmt", FORMATS)
def test_jsonl_timestamps_carry_their_offset_streamed_and_in_a_job_file(
    api, batch, annotator, settings, tmp_path, fmt
):
    comparison = judge(batch=batch, annotator=annotator)
    streamed, filed = _streamed_and_filed(api, settings, tmp_path, format=fmt)
    assert streamed == filed
    stamps = _stamps(orjson.loads(streamed.splitlines()[0]))
    assert len(stamps) == (2 if fmt == "raw" else 1)
    for value in stamps.values():
        assert ISO_8601_WITH_OFFSET.fullmatch(value), value
    assert datetime.fromisoformat(stamps["created_at"]) == comparison.created_at


@pytest.mark.parametrize("fmt", FORMATS)
def test_parquet_timestamps_are_utc_streamed_and_in_a_job_file(
    api, batch, annotator, settings, tmp_path, fmt
):
    comparison = judge(batch=batch, annotator=annotator)
    streamed, filed = _streamed_and_filed(api, settings, tmp_path, format=fmt, file_type="parquet")
    for data in (streamed, filed):
        table = pq.read_table(io.BytesIO(data))
        stamps = _stamps(table.to_pylist()[0])
        assert len(stamps) == (2 if fmt == "raw" else 1)
        for name in stamps:
            assert table.schema.field(name).type == pa.timestamp("us", tz="UTC")
        assert stamps["created_at"] == comparison.created_at
        assert stamps["created_at"].utcoffset() == timedelta(0)
