"""Batches whose two sampling configs use two named variants, and judged pool pairs in them."""

import pytest
from django.db import transaction

from apps.batches.models import Batch
from apps.pairs.models import Pair
from apps.preferences.models import Comparison
from apps.preferences.services import comparison_record
from tests.e2e.conftest import browser_page, chromium_browser  # noqa: F401  (browser tests)
from tests.factories import (
    BatchFactory,
    ModelVariantFactory,
    SamplingConfigFactory,
    UserFactory,
    pool_pair_ready,
)


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def variant_batch(name_a: str, name_b: str, *, iteration: int = 1, name: str = "") -> Batch:
    """An open batch whose slot-a samples come from variant `name_a`, slot-b from `name_b`."""
    return BatchFactory(
        name=name or f"{name_a} vs {name_b}, iteration {iteration}",
        iteration=iteration,
        sampling_a=SamplingConfigFactory(variant=ModelVariantFactory(name=name_a)),
        sampling_b=SamplingConfigFactory(variant=ModelVariantFactory(name=name_b)),
        overlap=3,
    )


_annotators: dict[int, list] = {}


def judge(
    batch: Batch,
    *,
    chosen: str = "a",
    strength: str = "better",
    left: str = "a",
    texts: tuple[str, str] = ("Response A", "Response B"),
) -> Comparison:
    """One comparison on a new pool pair of the batch: the sample in slot `chosen` wins."""
    pair = pool_pair_ready(batch, prompt="Which is better?", texts=texts, left_slot=left)
    annotator = UserFactory()
    with transaction.atomic():
        return comparison_record(
            pair=Pair.objects.get(pk=pair.pk),
            annotator=annotator,
            left_slot=left,
            chosen_side="left" if chosen == left else "right",
            strength=strength,
            time_spent_ms=5000,
        )
