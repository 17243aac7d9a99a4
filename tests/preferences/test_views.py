"""Judging a pair of one's own dialogue from its page."""

import pytest
from django.urls import reverse

from apps.dialogues.services import dialogue_start
from tests.factories import samples_finish

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_ann(client, annotator):
    client.force_login(annotator)
    return client


def test_it_confirms_a_saved_judgment_on_the_dialogue_page(client_ann, batch, annotator):
    pair = samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    response = client_ann.post(
        reverse("dialogues:judge", args=[pair.pk]),
        {"chosen_side": "left", "strength": "better", "time_spent_ms": "900"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("dialogues:detail", args=[pair.dialogue_id]), 302)]
    assert '<div class="flash flash-success">Judgment saved.</div>' in response.content.decode()


def test_it_says_nothing_is_saved_when_the_judgment_is_refused(client_ann, batch, annotator):
    pair = samples_finish(dialogue_start(batch=batch, annotator=annotator, text="Hi"))
    data = {"chosen_side": "left", "strength": "better", "time_spent_ms": "900"}
    client_ann.post(reverse("dialogues:judge", args=[pair.pk]), data, follow=True)
    again = client_ann.post(reverse("dialogues:judge", args=[pair.pk]), data)
    assert again.status_code == 400
    assert "Judgment saved." not in again.content.decode()
