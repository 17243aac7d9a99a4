import pytest

from model_worker.warmup import models_preload
from tests.factories import BatchFactory

pytestmark = [pytest.mark.django_db, pytest.mark.model]


def test_it_preloads_the_variants_of_open_batches_only(default_backend):
    BatchFactory(status="open")
    BatchFactory(
        status="closed",
        sampling_a__variant__name="closed-only",
        sampling_b__variant__name="closed-only",
    )
    assert models_preload() == ["SmolLM2-135M-Instruct"]
