import orjson
import pytest

from apps.batches.models import Batch
from apps.exports.formats import annotator_pseudonym
from apps.exports.options import ExportOptions
from apps.exports.streams import export_bytes, export_records
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
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from apps.exports.parquet import parquet_bytes

    schema = pa.schema([("id", pa.int64())])
    data = b"".join(
        parquet_bytes(chunks=[[{"id": 1}], [], [{"id": 2}], []], schema=schema, row_group_rows=10)
    )
    assert pq.read_table(io.BytesIO(data)).column("id").to_pylist() == [1, 2]
    empty = b"".join(parquet_bytes(chunks=[[], []], schema=schema, row_group_rows=10))
    assert pq.read_table(io.BytesIO(empty)).num_rows == 0
