"""Batch writes: create, edit, open, close and clone, each audited."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.batches.models import Batch, SamplingConfig
from apps.batches.services import (
    batch_clone,
    batch_close,
    batch_create,
    batch_open,
    batch_update,
    clone_name,
)
from tests.factories import BatchFactory, ModelVariantFactory, UserFactory

from .helpers import batch_settings, pool_item_add, sampling_values


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", is_staff=True)


def _create(boss, **overrides) -> Batch:
    return batch_create(
        actor=boss,
        settings=batch_settings(**overrides),
        sampling_a=sampling_values(),
        sampling_b=sampling_values(temperature_min=0.9, temperature_max=1.2),
    )


def test_it_creates_a_draft_batch_with_its_own_samplings_and_audits_it(boss):
    batch = _create(boss)
    assert batch.status == Batch.Status.DRAFT
    assert (batch.iteration, batch.created_by, batch.cloned_from) == (1, boss, None)
    assert batch.sampling_a_id != batch.sampling_b_id
    assert batch.sampling_b.temperature_max == 1.2
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.target) == (
        boss,
        AuditEvent.Action.BATCH_CREATED,
        f"batch:{batch.pk}",
    )
    assert event.details == {"status": "draft", "name": "Week 1"}


def test_it_refuses_sampling_outside_the_database_constraints(boss):
    with pytest.raises(ValidationError):
        batch_create(
            actor=boss,
            settings=batch_settings(),
            sampling_a=sampling_values(temperature_min=2.0, temperature_max=1.0),
            sampling_b=sampling_values(),
        )
    assert not Batch.objects.exists()
    assert not SamplingConfig.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_taken_name_as_a_name_error(boss):
    _create(boss)
    with pytest.raises(ValidationError) as caught:
        _create(boss)
    assert "name" in caught.value.message_dict
    assert Batch.objects.count() == 1


def test_it_updates_settings_sampling_and_assignment_and_audits_what_changed(boss):
    batch = _create(boss)
    ann, team = UserFactory(username="ann"), Group.objects.create(name="team")
    newer = ModelVariantFactory(name="Newer")
    batch_update(
        batch=batch,
        actor=boss,
        settings=batch_settings(overlap=3, open_to_all_annotators=False),
        sampling_a=sampling_values(variant=newer),
        sampling_b=sampling_values(temperature_min=0.9, temperature_max=1.2),
        annotators=[ann],
        groups=[team],
    )
    batch.refresh_from_db()
    assert batch.overlap == 3
    assert batch.sampling_a.variant == newer
    assert list(batch.annotators.all()) == [ann]
    assert list(batch.groups.all()) == [team]
    event = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_UPDATED)
    assert event.actor == boss
    assert event.details["changed"] == {
        "overlap": [1, 3],
        "open_to_all_annotators": [True, False],
        "sampling_a.variant": ["SmolLM2-135M-Instruct", "Newer"],
        "annotators": [[], ["ann"]],
        "groups": [[], ["team"]],
    }


def test_it_records_no_update_event_when_nothing_changed(boss):
    batch = _create(boss)
    batch_update(
        batch=batch,
        actor=boss,
        settings=batch_settings(),
        sampling_a=sampling_values(),
        sampling_b=sampling_values(temperature_min=0.9, temperature_max=1.2),
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BATCH_UPDATED).exists()


def test_it_keeps_overlap_once_the_batch_has_pool_items(boss):
    batch = _create(boss, overlap=2)
    pool_item_add(batch)
    with pytest.raises(ValidationError) as caught:
        batch_update(
            batch=batch,
            actor=boss,
            settings=batch_settings(overlap=3, name="Renamed"),
            sampling_a=sampling_values(),
            sampling_b=sampling_values(),
        )
    assert "overlap" in caught.value.message_dict
    batch.refresh_from_db()
    assert (batch.overlap, batch.name) == (2, "Week 1")
    # Other settings may still change while the overlap stays.
    batch_update(
        batch=batch,
        actor=boss,
        settings=batch_settings(overlap=2, name="Renamed"),
        sampling_a=sampling_values(),
        sampling_b=sampling_values(),
    )
    batch.refresh_from_db()
    assert batch.name == "Renamed"


def test_it_opens_closes_and_reopens_and_audits_each_change(boss):
    batch = _create(boss)
    batch_open(batch=batch, actor=boss)
    batch_close(batch=batch, actor=boss)
    batch_open(batch=batch, actor=boss)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.OPEN
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.BATCH_STATUS_CHANGED)
    assert [e.details for e in changes.order_by("pk")] == [
        {"from": "draft", "to": "open"},
        {"from": "open", "to": "closed"},
        {"from": "closed", "to": "open"},
    ]
    assert {e.actor for e in changes} == {boss}


def test_it_refuses_to_open_an_open_batch_or_close_a_draft(boss):
    batch = _create(boss)
    with pytest.raises(ValidationError, match="draft"):
        batch_close(batch=batch, actor=boss)
    batch_open(batch=batch, actor=boss)
    with pytest.raises(ValidationError, match="open"):
        batch_open(batch=batch, actor=boss)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BATCH_STATUS_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("name", "iteration", "expected"),
    [
        ("Weekly", 1, "Weekly (iteration 2)"),
        ("Weekly (iteration 2)", 2, "Weekly (iteration 3)"),
        ("x" * 200, 4, "x" * 186 + " (iteration 5)"),  # still fits 200
    ],
)
def test_it_names_a_clone_after_the_next_iteration(name, iteration, expected):
    assert clone_name(Batch(name=name, iteration=iteration)) == expected


def test_it_clones_as_the_next_iteration_with_new_sampling_rows(boss):
    source = BatchFactory(name="Weekly", iteration=4, status=Batch.Status.CLOSED, overlap=2)
    ann = UserFactory(username="ann")
    source.annotators.add(ann)
    latest = ModelVariantFactory(name="Latest")
    clone = batch_clone(
        source=source,
        actor=boss,
        settings=batch_settings(name="Weekly (iteration 5)", overlap=2),
        sampling_a=sampling_values(variant=latest),
        sampling_b=sampling_values(variant=latest, temperature_min=1.0, temperature_max=1.0),
        annotators=[ann],
    )
    assert (clone.iteration, clone.cloned_from, clone.status) == (5, source, Batch.Status.DRAFT)
    assert {clone.sampling_a_id, clone.sampling_b_id}.isdisjoint(
        {source.sampling_a_id, source.sampling_b_id}
    )
    assert clone.sampling_a.variant == clone.sampling_b.variant == latest
    assert list(clone.annotators.all()) == [ann]
    source.refresh_from_db()
    assert source.sampling_a.variant.name == "SmolLM2-135M-Instruct"
    event = AuditEvent.objects.get(action=AuditEvent.Action.BATCH_CLONED)
    assert (event.actor, event.target) == (boss, f"batch:{clone.pk}")
    assert event.details["cloned_from"] == source.pk
    assert event.details["iteration"] == 5
    assert event.details["variants"] == ["Latest", "Latest"]
