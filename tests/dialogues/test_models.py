import pytest
from django.db import IntegrityError, transaction

from apps.dialogues import services
from apps.dialogues.models import Turn

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(batch, annotator):
    return services.dialogue_start(batch=batch, annotator=annotator, text="Hi")


def test_it_keeps_user_turns_even_and_assistant_turns_odd(pair):
    with pytest.raises(IntegrityError, match="turn_roles_alternate"), transaction.atomic():
        Turn.objects.create(dialogue=pair.dialogue, index=1, role="user", text="again")


def test_an_assistant_turn_must_come_from_a_sample(pair):
    with pytest.raises(IntegrityError, match="assistant_comes_from_a_sample"), transaction.atomic():
        Turn.objects.create(dialogue=pair.dialogue, index=1, role="assistant", text="made up")
