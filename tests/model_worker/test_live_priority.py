"""Live work first, with a real worker process, the real Redis and the real model.

On first run the demo pool generates while the first annotator writes a prompt: the prompt's
pair must not wait for the pool.
"""

import json

import pytest

from apps.dialogues import services
from apps.pairs.models import Pair, Sample
from apps.pools.services import pool_import
from tests.factories import BatchFactory, UserFactory
from tests.worker_process import wait_until

pytestmark = [pytest.mark.model, pytest.mark.worker]

POOL_ROWS = 8
POOL_TOKENS = 96
PROMPT_TOKENS = 8


def test_a_written_prompt_finishes_before_the_pool_that_was_generating(start_worker):
    worker = start_worker("live-first")
    boss = UserFactory(username="boss", is_staff=True)
    pool_batch = BatchFactory(
        sampling_a__max_new_tokens=POOL_TOKENS, sampling_b__max_new_tokens=POOL_TOKENS
    )
    rows = [{"prompt": f"Write a long story about the river {i}."} for i in range(POOL_ROWS)]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    pool_import(batch=pool_batch, uploaded_by=boss, filename="pool.jsonl", data=data)
    pool = Sample.objects.filter(pair__batch=pool_batch)
    wait_until(
        lambda: pool.filter(status="running").exclude(text="").exists(),
        timeout_s=240,
        worker=worker,
        what="the pool to be mid-generation",
    )

    prompt_batch = BatchFactory(
        sampling_a__max_new_tokens=PROMPT_TOKENS, sampling_b__max_new_tokens=PROMPT_TOKENS
    )
    annotator = UserFactory(username="writer")
    pair = services.dialogue_start(batch=prompt_batch, annotator=annotator, text="Hi there!")
    assert pool.exclude(status="done").exists(), "the pool finished before the prompt came"

    wait_until(
        lambda: not Sample.objects.exclude(status="done").exists(),
        timeout_s=300,
        worker=worker,
        what="the prompt and the pool to finish",
    )
    pair.refresh_from_db()
    pool_ready = Pair.objects.filter(batch=pool_batch).values_list("ready_at", flat=True)
    assert pair.ready_at < min(pool_ready), "the prompt waited for the pool"
    # Stepping aside cost the pool no attempt: every sample was generated on its first.
    assert set(Sample.objects.values_list("status", "attempts")) == {("done", 1)}
