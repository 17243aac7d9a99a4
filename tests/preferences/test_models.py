"""The protocol's invariants hold in the database itself, not only in the service."""

import pytest
from django.db import IntegrityError, transaction

from apps.dialogues import services as dialogue_services
from apps.preferences.models import Comparison
from tests.factories import samples_finish

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(batch, annotator):
    pair = dialogue_services.dialogue_start(batch=batch, annotator=annotator, text="Hi")
    return samples_finish(pair)


def _create(pair, annotator, **overrides):
    a, b = pair.samples.get(slot="a"), pair.samples.get(slot="b")
    fields = {
        "pair": pair,
        "batch": pair.dialogue.batch,
        "track": "helpfulness",
        "annotator": annotator,
        "turn_index": 0,
        "context": pair.context,
        "chosen": a,
        "rejected": b,
        "left": a,
        "strength": "better",
        "time_spent_ms": 1,
    }
    fields.update(overrides)
    with transaction.atomic():
        return Comparison.objects.create(**fields)


def test_a_valid_row_is_accepted(pair, annotator):
    assert _create(pair, annotator).pk


def test_it_rejects_unsafe_chosen_over_safe_in_the_database(pair, annotator):
    with pytest.raises(IntegrityError, match="never_unsafe_chosen_over_safe"):
        _create(pair, annotator, track="safety", chosen_is_safe=False, rejected_is_safe=True)


def test_it_rejects_safety_labels_missing_on_safety_track(pair, annotator):
    with pytest.raises(IntegrityError, match="safety_labels_only_on_safety_track"):
        _create(pair, annotator, track="safety", chosen_is_safe=True)


def test_it_rejects_safety_labels_on_helpfulness_track(pair, annotator):
    with pytest.raises(IntegrityError, match="safety_labels_only_on_safety_track"):
        _create(pair, annotator, chosen_is_safe=True, rejected_is_safe=True)


def test_it_rejects_choosing_and_rejecting_the_same_sample(pair, annotator):
    a = pair.samples.get(slot="a")
    with pytest.raises(IntegrityError, match="chosen_differs_from_rejected"):
        _create(pair, annotator, chosen=a, rejected=a, left=a)


def test_it_rejects_a_left_sample_outside_the_comparison(pair, annotator, batch):
    other = samples_finish(
        dialogue_services.dialogue_start(batch=batch, annotator=annotator, text="x")
    ).samples.get(slot="a")
    with pytest.raises(IntegrityError, match="left_is_one_of_the_pair"):
        _create(pair, annotator, left=other)


def test_it_rejects_an_unknown_strength(pair, annotator):
    with pytest.raises(IntegrityError, match="strength_valid"):
        _create(pair, annotator, strength="meh")


def test_it_rejects_two_judgments_by_one_annotator(pair, annotator):
    _create(pair, annotator)
    with pytest.raises(
        IntegrityError,
        # PostgreSQL names the constraint; SQLite names its columns.
        match=r"once_per_annotator|comparison\.pair_id, preferences_comparison\.annotator_id",
    ):
        _create(pair, annotator)
