from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.batches.models import Batch
from apps.batches.selectors import BatchNotOpenToYou
from apps.dialogues import services
from apps.dialogues import services as dialogue_services
from apps.dialogues.models import Dialogue, Turn
from apps.dialogues.services import dialogue_judge
from apps.pairs.models import Pair, Sample
from apps.preferences.models import Comparison, SafetyLabel
from tests.factories import BatchFactory, samples_finish

pytestmark = pytest.mark.django_db


def test_it_starts_a_dialogue_with_a_pending_pair_drawn_from_both_configs(batch, annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="  Tell me a joke  ")

    assert pair.user_turn.text == "Tell me a joke"
    assert pair.context == [{"role": "user", "content": "Tell me a joke"}]
    samples = {s.slot: s for s in pair.samples.all()}
    assert set(samples) == {"a", "b"}
    assert all(s.status == Sample.Status.PENDING for s in samples.values())
    assert samples["a"].temperature == pytest.approx(0.3)
    assert samples["b"].temperature == pytest.approx(1.0)
    assert samples["a"].max_new_tokens == batch.sampling_a.max_new_tokens
    assert pair.left_slot in ("a", "b")


def test_it_draws_temperatures_inside_the_configured_range(annotator):
    batch = BatchFactory(sampling_a__temperature_min=0.2, sampling_a__temperature_max=0.4)
    temperatures = {
        services.dialogue_start(batch=batch, annotator=annotator, text=f"q{i}")
        .samples.get(slot="a")
        .temperature
        for i in range(8)
    }
    assert all(0.2 <= t <= 0.4 for t in temperatures)
    assert len(temperatures) > 1


def test_it_randomises_which_side_is_shown_on_the_left(batch, annotator):
    sides = {
        services.dialogue_start(batch=batch, annotator=annotator, text=f"q{i}").left_slot
        for i in range(24)
    }
    assert sides == {"a", "b"}


@pytest.mark.parametrize("text", ["", "   ", "x" * 8001])
def test_it_rejects_empty_or_oversized_prompts_and_stores_nothing(batch, annotator, text):
    with pytest.raises(ValidationError):
        services.dialogue_start(batch=batch, annotator=annotator, text=text)
    assert Dialogue.objects.count() == 0


def test_it_refuses_prompts_on_a_closed_batch(annotator):
    batch = BatchFactory(status="closed")
    with pytest.raises(BatchNotOpenToYou, match="closed or no longer assigned"):
        services.dialogue_start(batch=batch, annotator=annotator, text="hi")


def test_closing_or_unassigning_a_batch_stops_its_dialogues(batch, annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")
    samples_finish(pair)
    dialogue_judge(
        pair=pair, annotator=annotator, chosen_side="left", strength="better", time_spent_ms=5
    )
    Batch.objects.filter(pk=batch.pk).update(open_to_all_annotators=False)
    with pytest.raises(BatchNotOpenToYou, match="no longer assigned"):
        services.dialogue_continue(dialogue=pair.dialogue, annotator=annotator, text="more")
    batch.annotators.add(annotator)
    services.dialogue_continue(dialogue=pair.dialogue, annotator=annotator, text="more")


def test_it_refuses_the_next_turn_before_the_pair_is_judged(batch, annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")
    with pytest.raises(ValidationError, match="Judge the current pair"):
        services.dialogue_continue(dialogue=pair.dialogue, annotator=annotator, text="more")


def test_it_continues_with_the_whole_context_after_a_judgment(batch, annotator):
    first = samples_finish(services.dialogue_start(batch=batch, annotator=annotator, text="hi"))
    comparison = dialogue_judge(
        pair=first, annotator=annotator, chosen_side="right", strength="better", time_spent_ms=1200
    )

    second = services.dialogue_continue(
        dialogue=first.dialogue, annotator=annotator, text="And then?"
    )

    assert second.context == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": comparison.chosen.text},
        {"role": "user", "content": "And then?"},
    ]
    assert second.user_turn.index == 2


def test_it_stops_a_dialogue_at_the_batch_turn_limit(annotator):
    batch = BatchFactory(max_turns=1)
    pair = samples_finish(services.dialogue_start(batch=batch, annotator=annotator, text="hi"))
    dialogue_judge(
        pair=pair, annotator=annotator, chosen_side="left", strength="better", time_spent_ms=10
    )
    with pytest.raises(ValidationError, match="1 turns per dialogue"):
        services.dialogue_continue(dialogue=pair.dialogue, annotator=annotator, text="more")


def test_it_refuses_another_annotators_dialogue(batch, annotator, other_annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")
    with pytest.raises(PermissionDenied):
        services.dialogue_continue(dialogue=pair.dialogue, annotator=other_annotator, text="x")
    with pytest.raises(PermissionDenied):
        services.pair_retry(pair=pair, annotator=other_annotator)


def test_it_retries_only_failed_samples(batch, annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")
    with pytest.raises(ValidationError, match="Nothing to retry"):
        services.pair_retry(pair=pair, annotator=annotator)
    pair.samples.filter(slot="a").update(status="failed", error="boom", attempts=3)
    services.pair_retry(pair=pair, annotator=annotator)
    sample = pair.samples.get(slot="a")
    assert (sample.status, sample.error, sample.attempts) == ("pending", "", 0)


def test_it_keeps_turn_roles_alternating(batch, annotator):
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")
    roles = list(Turn.objects.filter(dialogue=pair.dialogue).values_list("index", "role"))
    assert roles == [(0, "user")]


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
