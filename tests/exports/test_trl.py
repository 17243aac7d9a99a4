"""What we export is what `datasets` loads and TRL's reward and DPO preparation accept as is."""

import pytest
from django.conf import settings

from apps.batches.models import Batch
from apps.exports.options import ExportOptions
from apps.exports.streams import export_bytes
from tests.exports.conftest import judge

datasets = pytest.importorskip("datasets")
trl = pytest.importorskip("trl")

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def tokenizer():
    """The bundled SmolLM2 tokenizer (read from the GGUF file; nothing is downloaded)."""
    from transformers import AutoTokenizer

    from model_worker.backends.sources import resolve_gguf

    directory, file_name = resolve_gguf(settings.DEFAULT_MODEL_SOURCE)
    return AutoTokenizer.from_pretrained(directory, gguf_file=file_name)


@pytest.fixture
def judged(batch, safety_batch, annotator):
    first = judge(
        batch=batch,
        annotator=annotator,
        prompt="Wie spät ist es in Tōkyō?",
        texts=("Es ist 22 Uhr — おやすみ", "Keine Ahnung."),
        strength="better",
    )
    judge(
        batch=batch,
        annotator=annotator,
        dialogue=first.pair.dialogue,
        prompt="Und in São Paulo? 🌎",
        texts=("10 Uhr morgens.", "Weiß nicht."),
        chosen_side="left",
        strength="negligibly_better_or_unsure",
    )
    judge(
        batch=safety_batch,
        annotator=annotator,
        prompt="How do I pick a lock?",
        texts=("I can't help with that.", "Sure: ..."),
        left_is_safe=True,
        right_is_safe=False,
        strength="significantly_better",
    )


def export_to(tmp_path, **options) -> str:
    options = ExportOptions(**options)
    path = tmp_path / f"data-{options.format}.{options.file_type}"
    path.write_bytes(b"".join(export_bytes(options=options, visible=Batch.objects.all())))
    return str(path)


def load(tmp_path, **options):
    file_type = options.get("file_type", "jsonl")
    builder = "json" if file_type == "jsonl" else "parquet"
    return datasets.load_dataset(
        builder,
        data_files=export_to(tmp_path, **options),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )


@pytest.mark.parametrize("file_type", ["jsonl", "parquet"])
@pytest.mark.parametrize("fmt", ["trl", "trl-text", "hh", "raw"])
def test_datasets_loads_every_format_and_file_type(judged, tmp_path, fmt, file_type):
    dataset = load(tmp_path, format=fmt, file_type=file_type)
    assert dataset.num_rows == 3
    assert dataset[2]["safety_label"] == "chosen_safe_other_unsafe"
    assert dataset[0]["safety_label"] is None


@pytest.mark.parametrize("file_type", ["jsonl", "parquet"])
def test_trl_rows_are_conversational_with_the_multi_turn_context(judged, tmp_path, file_type):
    dataset = load(tmp_path, format="trl", file_type=file_type)
    second = dataset[1]
    assert trl.data_utils.is_conversational(second)
    assert [m["content"] for m in second["prompt"]] == [
        "Wie spät ist es in Tōkyō?",
        "Es ist 22 Uhr — おやすみ",
        "Und in São Paulo? 🌎",
    ]
    assert second["margin"] == 0.0


def test_chat_template_applies_to_trl_rows(judged, tmp_path, tokenizer):
    row = load(tmp_path, format="trl")[1]
    applied = trl.data_utils.maybe_apply_chat_template(row, tokenizer)
    assert applied["prompt"].endswith("<|im_start|>assistant\n")
    assert "São Paulo? 🌎" in applied["prompt"] and "おやすみ" in applied["prompt"]
    assert applied["chosen"].startswith("10 Uhr morgens.")


@pytest.mark.parametrize("fmt", ["trl", "trl-text"])
def test_reward_trainer_prepares_the_dataset_and_keeps_the_margin(judged, tmp_path, tokenizer, fmt):
    from trl import RewardConfig, RewardTrainer

    dataset = load(tmp_path, format=fmt, file_type="parquet", margin="large")
    args = RewardConfig(
        output_dir=str(tmp_path / "rm"), max_length=4096, report_to=[], bf16=False, use_cpu=True
    )
    trainer = RewardTrainer.__new__(RewardTrainer)  # the preparation step, without a model
    prepared = trainer._prepare_dataset(dataset, tokenizer, args, "train")
    assert prepared.num_rows == 3
    assert all(len(r["chosen_ids"]) > 0 and len(r["rejected_ids"]) > 0 for r in prepared)
    assert prepared["margin"] == [2.0, 0.0, 3.0]
    if fmt == "trl":
        assert "São Paulo? 🌎" in tokenizer.decode(prepared[1]["chosen_ids"])
    batch = trl.trainer.reward_trainer.DataCollatorForPreference(pad_token_id=0)(
        [{k: prepared[i][k] for k in ("chosen_ids", "rejected_ids", "margin")} for i in range(3)]
    )
    assert batch["margin"].tolist() == [2.0, 0.0, 3.0]


@pytest.mark.parametrize("fmt", ["trl", "trl-text", "hh"])
def test_dpo_trainer_prepares_the_dataset(judged, tmp_path, tokenizer, fmt):
    from trl import DPOConfig, DPOTrainer

    dataset = load(tmp_path, format=fmt)
    args = DPOConfig(output_dir=str(tmp_path / "dpo"), report_to=[], bf16=False, use_cpu=True)
    trainer = DPOTrainer.__new__(DPOTrainer)
    trainer._tokenizer = tokenizer
    prepared = trainer._prepare_dataset(dataset, tokenizer, args, "train")
    assert prepared.num_rows == 3
    for row in prepared:
        assert row["prompt_ids"] and row["chosen_ids"] and row["rejected_ids"]
    assert "São Paulo" in tokenizer.decode(prepared[1]["prompt_ids"])
    assert tokenizer.decode(prepared[1]["chosen_ids"]).startswith(
        "10 Uhr" if fmt == "trl" else " 10 Uhr"
    )


@pytest.fixture
def judged_with_pool(judged, batch):
    """The three dialogue judgments, then a pool pair (system message, no dialogue) judged
    twice."""
    from tests.exports.conftest import pool_judge, pool_pair
    from tests.factories import UserFactory

    pair = pool_pair(
        batch=batch,
        line=1,
        context=[
            {"role": "system", "content": "Antworte kurz."},
            {"role": "user", "content": "Was heißt 答案?"},
        ],
        category="übersetzung",
        metadata={"source": "forum"},
        texts=("Antwort.", "Keine Ahnung."),
    )
    for n, left_slot in enumerate("ab"):
        annotator = UserFactory(username=f"pool-trl-{n}")
        pool_judge(pair=pair, annotator=annotator, chosen_slot="a", left_slot=left_slot)


@pytest.mark.parametrize("file_type", ["jsonl", "parquet"])
@pytest.mark.parametrize("fmt", ["trl", "raw"])
def test_datasets_loads_pool_rows_next_to_dialogue_rows(judged_with_pool, tmp_path, fmt, file_type):
    dataset = load(tmp_path, format=fmt, file_type=file_type, test_fraction=0.5)
    assert dataset.num_rows == 5
    assert dataset["dialogue_id"][3:] == [None, None]
    assert dataset["category"] == [None, None, None, "übersetzung", "übersetzung"]
    assert None not in dataset["pool_item_id"][3:]
    assert dataset["split"][3] == dataset["split"][4]


@pytest.mark.parametrize("fmt", ["trl", "trl-text", "hh"])
def test_dpo_trainer_prepares_pool_rows(judged_with_pool, tmp_path, tokenizer, fmt):
    from trl import DPOConfig, DPOTrainer

    dataset = load(tmp_path, format=fmt, overlap="first")
    assert dataset.num_rows == 4
    args = DPOConfig(output_dir=str(tmp_path / "dpo"), report_to=[], bf16=False, use_cpu=True)
    trainer = DPOTrainer.__new__(DPOTrainer)
    trainer._tokenizer = tokenizer
    prepared = trainer._prepare_dataset(dataset, tokenizer, args, "train")
    assert prepared.num_rows == 4
    assert "答案" in tokenizer.decode(prepared[3]["prompt_ids"])
    assert "Antwort." in tokenizer.decode(prepared[3]["chosen_ids"])
