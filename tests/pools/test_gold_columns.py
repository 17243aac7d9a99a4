"""Pool file columns for supplied responses and gold answers."""

import json

import pytest

from apps.audit.models import AuditEvent
from apps.pairs.models import JudgmentSlot, Pair, Sample
from apps.pools.parsing import PoolFileError
from apps.pools.services import pool_import
from apps.preferences.models import GoldAnswer
from tests.factories import BatchFactory

pytestmark = pytest.mark.django_db


def jsonl(rows) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _import(batch, staff, data: bytes, filename="pool.jsonl"):
    return pool_import(batch=batch, uploaded_by=staff, filename=filename, data=data)


def test_supplied_responses_make_a_ready_pair_with_nothing_to_generate(
    staff, monkeypatch, django_capture_on_commit_callbacks
):
    woken = []
    monkeypatch.setattr(
        "apps.pools.services.generation_enqueue", lambda *, pair_ids: woken.extend(pair_ids) or 0
    )
    batch = BatchFactory(overlap=2)
    rows = [
        {
            "prompt": "Capital of France?",
            "response_a": "Paris is the capital.",
            "response_b": "Lyon",
        },
        {"prompt": "Generate me"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        _import(batch, staff, jsonl(rows))
    supplied = Pair.objects.get(context__0__content="Capital of France?")
    assert supplied.ready_at is not None
    a, b = supplied.samples.order_by("slot")
    assert (a.text, a.status, a.supplied, a.finish_reason) == (
        "Paris is the capital.",
        "done",
        True,
        "stop",
    )
    assert (a.completion_tokens, b.completion_tokens) == (4, 1)
    assert a.variant_id == batch.sampling_a.variant_id and b.top_p == batch.sampling_b.top_p
    assert supplied.slots.filter(status="free").count() == 2
    generated = Pair.objects.get(context__0__content="Generate me")
    assert generated.ready_at is None and not generated.samples.filter(supplied=True).exists()
    assert woken == [generated.pk]  # only the pair to generate is sent to the workers


def test_gold_columns_mark_the_pair_gold(staff):
    batch = BatchFactory()
    rows = [
        {
            "prompt": "Which is kinder?",
            "response_a": "Be kind.",
            "response_b": "Go away.",
            "gold": "a",
            "gold_min_strength": "better",
            "qualification": True,
            "gold_explanation": "A is polite.",
        }
    ]
    _import(batch, staff, jsonl(rows))
    gold = GoldAnswer.objects.get()
    assert (gold.expected_slot, gold.min_strength, gold.for_qualification) == ("a", "better", True)
    assert (gold.explanation, gold.source, gold.created_by) == ("A is polite.", "pool_file", staff)
    assert set(JudgmentSlot.objects.values_list("status", flat=True)) == {"withdrawn"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.GOLD_MARKED).count() == 1


def test_csv_columns_work_the_same_and_empty_cells_mean_none(staff):
    batch = BatchFactory()
    data = (
        b"prompt,response_a,response_b,gold,gold_min_strength,qualification,gold_explanation\n"
        b"Hi,Hello there,Go,b,slightly_better,false,B is short\n"
        b"Plain,,,,,,\n"
    )
    _import(batch, staff, data, filename="pool.csv")
    gold = GoldAnswer.objects.get()
    assert (gold.expected_slot, gold.min_strength, gold.for_qualification) == (
        "b",
        "slightly_better",
        False,
    )
    plain = Pair.objects.get(context__0__content="Plain")
    assert plain.ready_at is None and not GoldAnswer.objects.filter(pair=plain).exists()
    assert Pair.objects.get(context__0__content="Hi").pool_item.metadata == {}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"prompt": "x", "response_a": "only one"}, 'give both "response_a" and "response_b"'),
        ({"prompt": "x", "gold": "a"}, '"gold" needs the two responses'),
        (
            {"prompt": "x", "response_a": "1", "response_b": "2", "gold": "c"},
            '"gold" must be "a" or "b"',
        ),
        (
            {
                "prompt": "x",
                "response_a": "1",
                "response_b": "2",
                "gold": "a",
                "gold_min_strength": "huge",
            },
            '"gold_min_strength" must be one of',
        ),
        (
            {
                "prompt": "x",
                "response_a": "1",
                "response_b": "2",
                "gold": "a",
                "qualification": "maybe",
            },
            '"qualification" must be true or false',
        ),
        ({"prompt": "x", "gold_explanation": "why"}, '"gold_explanation" needs a "gold" value'),
        ({"prompt": "x", "qualification": True}, '"qualification" needs a "gold" value'),
        ({"prompt": "x", "response_a": 3, "response_b": "2"}, '"response_a" must be a string'),
        ({"prompt": "x", "response_a": "  ", "response_b": "2"}, '"response_a" is empty'),
    ],
)
def test_a_bad_value_is_a_clear_line_error_and_nothing_is_stored(staff, row, message):
    batch = BatchFactory()
    good = {"prompt": "fine", "response_a": "1", "response_b": "2", "gold": "a"}
    with pytest.raises(PoolFileError) as caught:
        _import(batch, staff, jsonl([good, row]))
    assert [line.line for line in caught.value.lines] == [2]
    assert message in caught.value.lines[0].message
    assert not Pair.objects.exists() and not GoldAnswer.objects.exists()
    assert not Sample.objects.exists()
