import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.batches.models import Batch
from apps.batches.selectors import BatchNotOpenToYou
from apps.dialogues import services
from apps.dialogues.models import Dialogue, Turn
from apps.dialogues.services import dialogue_judge
from apps.pairs.models import Sample
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
