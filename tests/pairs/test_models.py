"""The database keeps samples honest: one per slot, a failure says why, a result counts tokens."""

import pytest
from django.db import IntegrityError, transaction

from apps.dialogues import services
from apps.pairs.models import Sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(batch, annotator):
    return services.dialogue_start(batch=batch, annotator=annotator, text="Hi")


def test_it_allows_one_sample_per_slot(pair):
    a = pair.samples.get(slot="a")
    with (
        pytest.raises(
            IntegrityError, match=r"sample_one_per_slot|pairs_sample\.pair_id, pairs_sample\.slot"
        ),
        transaction.atomic(),
    ):
        Sample.objects.create(
            pair=pair,
            slot="a",
            variant=a.variant,
            temperature=0.5,
            top_p=0.9,
            max_new_tokens=4,
            seed=1,
        )


def test_a_failed_sample_must_say_why(pair):
    with pytest.raises(IntegrityError, match="failed_has_reason"), transaction.atomic():
        pair.samples.filter(slot="a").update(status="failed", error="")


def test_a_done_sample_must_count_its_tokens(pair):
    with pytest.raises(IntegrityError, match="done_has_tokens"), transaction.atomic():
        pair.samples.filter(slot="a").update(status="done", text="x")
