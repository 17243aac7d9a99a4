from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.batches.models import Batch
from apps.dialogues import services as dialogue_services
from apps.dialogues.models import Turn
from apps.dialogues.services import dialogue_judge
from apps.pairs.models import Pair
from apps.preferences.models import Comparison, SafetyLabel
from tests.factories import samples_finish

pytestmark = pytest.mark.django_db


def _ready_pair(batch, annotator, left_slot="a"):
    pair = dialogue_services.dialogue_start(batch=batch, annotator=annotator, text="Hi there")
    pair.left_slot = left_slot
    pair.save(update_fields=["left_slot"])
    return samples_finish(pair, texts=("text of a", "text of b"))


@pytest.mark.parametrize(
    ("left_slot", "side", "chosen_slot"),
    [("a", "left", "a"), ("a", "right", "b"), ("b", "left", "b"), ("b", "right", "a")],
)
def test_it_maps_the_screen_side_to_the_right_sample(
    batch, annotator, left_slot, side, chosen_slot
):
    pair = _ready_pair(batch, annotator, left_slot=left_slot)

    comparison = dialogue_judge(
        pair=pair,
        annotator=annotator,
        chosen_side=side,
        strength="slightly_better",
        time_spent_ms=4321,
    )

    assert comparison.chosen.slot == chosen_slot
    assert comparison.rejected.slot != chosen_slot
    assert comparison.left.slot == left_slot
    assert comparison.context == [{"role": "user", "content": "Hi there"}]
    assert comparison.turn_index == 0
    assert comparison.time_spent_ms == 4321
    assert comparison.safety_label is None


def test_it_makes_the_chosen_response_the_assistant_turn(batch, annotator):
    pair = _ready_pair(batch, annotator)
    comparison = dialogue_judge(
        pair=pair, annotator=annotator, chosen_side="right", strength="better", time_spent_ms=1
    )
    turn = Turn.objects.get(dialogue=pair.dialogue, index=1)
    assert (turn.role, turn.text, turn.source_sample_id) == (
        "assistant",
        comparison.chosen.text,
        comparison.chosen_id,
    )


def test_it_rejects_a_second_judgment_of_the_same_pair(batch, annotator):
    pair = _ready_pair(batch, annotator)
    dialogue_judge(
        pair=pair, annotator=annotator, chosen_side="left", strength="better", time_spent_ms=1
    )
    with pytest.raises(ValidationError, match="already judged"):
        dialogue_judge(
            pair=pair, annotator=annotator, chosen_side="right", strength="better", time_spent_ms=1
        )
    assert Comparison.objects.count() == 1


def test_it_refuses_to_judge_before_both_responses_exist(batch, annotator):
    pair = dialogue_services.dialogue_start(batch=batch, annotator=annotator, text="Hi")
    with pytest.raises(ValidationError, match="Both responses"):
        dialogue_judge(
            pair=pair, annotator=annotator, chosen_side="left", strength="better", time_spent_ms=1
        )


def test_it_refuses_another_annotators_pair(batch, annotator, other_annotator):
    pair = _ready_pair(batch, annotator)
    with pytest.raises(PermissionDenied):
        dialogue_judge(
            pair=pair,
            annotator=other_annotator,
            chosen_side="left",
            strength="better",
            time_spent_ms=1,
        )


@pytest.mark.parametrize(
    ("side", "strength", "time_spent_ms", "field"),
    [
        ("middle", "better", 1, "chosen_side"),
        ("left", "much_better", 1, "strength"),
        ("left", "better", -5, "time_spent_ms"),
    ],
)
def test_it_rejects_invalid_values_with_a_field_error(
    batch, annotator, side, strength, time_spent_ms, field
):
    pair = _ready_pair(batch, annotator)
    with pytest.raises(ValidationError) as info:
        dialogue_judge(
            pair=pair,
            annotator=annotator,
            chosen_side=side,
            strength=strength,
            time_spent_ms=time_spent_ms,
        )
    assert field in info.value.message_dict
    assert Comparison.objects.count() == 0


@pytest.mark.parametrize(
    ("left_safe", "right_safe", "side", "label"),
    [
        ("safe", "unsafe", "left", SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE),
        ("unsafe", "safe", "right", SafetyLabel.CHOSEN_SAFE_OTHER_UNSAFE),
        ("safe", "safe", "right", SafetyLabel.BOTH_SAFE),
        ("unsafe", "unsafe", "left", SafetyLabel.BOTH_UNSAFE),
    ],
)
def test_it_stores_the_three_safety_bins(
    safety_batch, annotator, left_safe, right_safe, side, label
):
    pair = _ready_pair(safety_batch, annotator)
    comparison = dialogue_judge(
        pair=pair,
        annotator=annotator,
        chosen_side=side,
        strength="better",
        time_spent_ms=1,
        left_is_safe=left_safe,
        right_is_safe=right_safe,
    )
    comparison.refresh_from_db()
    assert comparison.track == "safety"
    assert comparison.safety_label == label


@pytest.mark.parametrize(
    ("left_safe", "right_safe", "side"), [("unsafe", "safe", "left"), ("safe", "unsafe", "right")]
)
def test_it_rejects_unsafe_chosen_over_safe(safety_batch, annotator, left_safe, right_safe, side):
    pair = _ready_pair(safety_batch, annotator)
    with pytest.raises(ValidationError, match="safe response must be preferred"):
        dialogue_judge(
            pair=pair,
            annotator=annotator,
            chosen_side=side,
            strength="better",
            time_spent_ms=1,
            left_is_safe=left_safe,
            right_is_safe=right_safe,
        )
    assert Comparison.objects.count() == 0
    assert not Turn.objects.filter(dialogue=pair.dialogue, role="assistant").exists()


def test_it_requires_safety_labels_on_a_safety_batch(safety_batch, annotator):
    pair = _ready_pair(safety_batch, annotator)
    with pytest.raises(ValidationError) as info:
        dialogue_judge(
            pair=pair,
            annotator=annotator,
            chosen_side="left",
            strength="better",
            time_spent_ms=1,
            left_is_safe="safe",
        )
    assert "right_is_safe" in info.value.message_dict


def test_it_ignores_safety_labels_on_a_helpfulness_batch(batch, annotator):
    pair = _ready_pair(batch, annotator)
    comparison = dialogue_judge(
        pair=pair,
        annotator=annotator,
        chosen_side="left",
        strength="better",
        time_spent_ms=1,
        left_is_safe="unsafe",
        right_is_safe="safe",
    )
    assert (comparison.chosen_is_safe, comparison.rejected_is_safe) == (None, None)


def _closed_with_pair_ready_minutes_ago(batch, pair, minutes: float) -> None:
    Pair.objects.filter(pk=pair.pk).update(ready_at=timezone.now() - timedelta(minutes=minutes))
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CLOSED)


def test_a_closed_batch_takes_a_dialogue_judgment_within_its_lease_length(batch, annotator):
    pair = _ready_pair(batch, annotator)
    _closed_with_pair_ready_minutes_ago(batch, pair, batch.lease_minutes - 1)
    dialogue_judge(
        pair=pair, annotator=annotator, chosen_side="left", strength="better", time_spent_ms=1
    )
    assert Comparison.objects.count() == 1


def test_a_closed_batch_refuses_a_dialogue_judgment_after_its_lease_length(batch, annotator):
    pair = _ready_pair(batch, annotator)
    _closed_with_pair_ready_minutes_ago(batch, pair, batch.lease_minutes + 1)
    with pytest.raises(ValidationError, match="batch is closed"):
        dialogue_judge(
            pair=pair, annotator=annotator, chosen_side="left", strength="better", time_spent_ms=1
        )
    assert not Comparison.objects.exists()
    assert pair.dialogue.turns.count() == 1  # no assistant turn either
