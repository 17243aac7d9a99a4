"""What the annotation page shows of a pair while it waits: queued (and behind what), then
writing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.dialogues import services
from apps.pairs.models import Sample
from apps.pairs.sample_leases import samples_claim
from apps.pairs.selectors import pair_state
from apps.pools.services import pool_import
from tests.factories import UserFactory, samples_finish

pytestmark = pytest.mark.django_db


def _written(batch, annotator, count: int):
    return [
        services.dialogue_start(batch=batch, annotator=annotator, text=f"q{i}")
        for i in range(count)
    ]


def test_a_new_pair_with_nothing_ahead_is_queued_waiting_for_a_worker(batch, annotator):
    (pair,) = _written(batch, annotator, 1)
    state = pair_state(pair=pair)
    assert (state["state"], state["phase"], state["ahead"]) == ("generating", "queued", 0)
    assert state["status_text"] == "Queued: waiting for a worker."


def test_it_counts_the_written_prompts_responses_ahead_but_not_pool_work(batch, annotator):
    data = b'{"prompt": "pool 1"}\n{"prompt": "pool 2"}\n'
    pool_import(batch=batch, uploaded_by=UserFactory(is_staff=True), filename="p.jsonl", data=data)
    *earlier, pair = _written(batch, annotator, 3)
    state = pair_state(pair=pair)
    assert state["ahead"] == 4  # two earlier prompts, two responses each; the pool yields
    assert state["status_text"] == "Queued: 4 responses ahead of yours."

    samples_claim(pair_id=earlier[0].pk, worker="w", limit=3)  # being written: still ahead
    assert pair_state(pair=pair)["ahead"] == 4
    samples_finish(earlier[0])
    Sample.objects.filter(pair=earlier[1], slot="a").update(status="done", completion_tokens=1)
    assert pair_state(pair=pair)["status_text"] == "Queued: 1 response ahead of yours."


def test_it_says_writing_once_a_worker_holds_the_pair(batch, annotator):
    (pair,) = _written(batch, annotator, 1)
    samples_claim(pair_id=pair.pk, worker="w", limit=2)
    state = pair_state(pair=pair)
    assert (state["phase"], state["ahead"]) == ("writing", None)
    assert state["status_text"] == "Writing the two responses…"


def test_a_ready_pair_has_no_status_line(batch, annotator):
    pair = samples_finish(_written(batch, annotator, 1)[0])
    state = pair_state(pair=pair)
    assert (state["state"], state["phase"], state["status_text"]) == ("ready", "", "")


def test_the_poll_costs_at_most_two_queries(batch, annotator):
    *_, pair = _written(batch, annotator, 3)
    with CaptureQueriesContext(connection) as queries:
        pair_state(pair=pair)
    assert len(queries) <= 2
