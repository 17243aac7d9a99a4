"""The generation task against the real default model (a few new tokens each)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.dialogues import services
from apps.pairs.models import Pair, Sample
from apps.pairs.sample_leases import samples_claim
from apps.pools.services import pool_import
from model_worker.generation import samples_generate
from model_worker.tasks import pair_generate_task
from tests.factories import BatchFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.model]


@pytest.fixture
def pair(batch, annotator, default_backend):
    return services.dialogue_start(
        batch=batch, annotator=annotator, text="What is the capital of France?"
    )


def test_it_generates_both_responses_with_their_settings_recorded(pair):
    stored = pair_generate_task.apply(args=[pair.pk]).get()

    assert stored == 2
    samples = list(pair.samples.order_by("slot"))
    for sample in samples:
        assert sample.status == Sample.Status.DONE, sample.error
        assert sample.text.strip()
        assert 1 <= sample.completion_tokens <= sample.max_new_tokens
        assert sample.prompt_tokens > 5
        assert sample.latency_ms > 0
        assert sample.attempts == 1
        assert sample.finish_reason in ("stop", "length")
    assert [s.temperature for s in samples] == [pytest.approx(0.3), pytest.approx(1.0)]


def test_a_redelivered_task_creates_no_second_sample(pair):
    pair_generate_task.apply(args=[pair.pk])
    first = {s.pk: s.text for s in pair.samples.all()}

    assert pair_generate_task.apply(args=[pair.pk]).get() == 0

    assert {s.pk: s.text for s in Sample.objects.filter(pair=pair)} == first


def test_a_task_redelivered_after_a_worker_died_finishes_the_work_once(pair):
    # A worker claimed the samples and was killed: the lease has run out, nothing was stored.
    pair.samples.update(
        status="running",
        attempts=1,
        worker="dead-worker:0",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )

    assert pair_generate_task.apply(args=[pair.pk]).get() == 2

    samples = list(Sample.objects.filter(pair=pair))
    assert len(samples) == 2
    assert all(s.status == "done" and s.attempts == 2 for s in samples)


def test_a_redelivery_leaves_samples_another_worker_still_holds(pair):
    pair.samples.update(
        status="running",
        attempts=1,
        worker="busy-worker:0",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )

    assert pair_generate_task.apply(args=[pair.pk]).get() == 0
    assert set(pair.samples.values_list("status", flat=True)) == {"running"}


def test_a_sample_that_keeps_killing_workers_fails_after_three_attempts(pair):
    pair.samples.update(
        status="running",
        attempts=3,
        worker="dead-worker:0",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )

    pair_generate_task.apply(args=[pair.pk])

    for sample in pair.samples.all():
        assert sample.status == "failed"
        assert "3 attempts" in sample.error


def test_a_prompt_too_long_for_the_window_fails_at_once_with_its_reason(annotator, default_backend):
    batch = BatchFactory(
        sampling_a__variant__name="tiny-window",
        sampling_a__variant__context_window=64,
        sampling_b__variant__name="tiny-window",
    )
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="word " * 200)

    pair_generate_task.apply(args=[pair.pk])

    for sample in pair.samples.all():
        assert sample.status == "failed"
        assert "window" in sample.error
        assert sample.attempts == 1


def test_an_unloadable_model_fails_with_its_reason(annotator):
    batch = BatchFactory(
        sampling_a__variant__name="missing",
        sampling_a__variant__source="/nonexistent/model.gguf",
        sampling_b__variant__name="missing",
    )
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")

    pair_generate_task.apply(args=[pair.pk])

    assert {s.status for s in pair.samples.all()} == {"failed"}
    assert "not found" in pair.samples.first().error


def test_an_unexpected_failure_is_retried_by_the_task_then_failed_with_its_reason(
    annotator, tmp_path
):
    """A model that breaks in a way nobody foresaw (here a corrupt GGUF file) is not known to
    be permanent: the task itself retries it, and after three attempts it fails with the
    error that kept happening, instead of waiting for the reconciler forever."""
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\xff" * 4096)
    batch = BatchFactory(
        sampling_a__variant__name="corrupt-file",
        sampling_a__variant__source=str(broken),
        sampling_b__variant__name="corrupt-file",
    )
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="Hello?")

    result = pair_generate_task.apply(args=[pair.pk])

    assert result.successful()
    for sample in pair.samples.all():
        assert sample.status == Sample.Status.FAILED
        assert sample.attempts == 3
        assert sample.error.startswith("Gave up after 3 attempts. Last error: ValueError"), (
            sample.error
        )


def test_one_task_batches_every_waiting_request_and_the_others_find_nothing(
    batch, annotator, default_backend, settings
):
    settings.GENERATION_MAX_BATCH = 8
    pairs = [
        services.dialogue_start(batch=batch, annotator=annotator, text=f"Say the number {i}.")
        for i in range(3)
    ]

    assert pair_generate_task.apply(args=[pairs[1].pk]).get() == 6

    assert [pair_generate_task.apply(args=[p.pk]).get() for p in pairs] == [0, 0, 0]
    samples = Sample.objects.filter(pair__in=pairs)
    assert samples.count() == 6
    assert set(samples.values_list("status", flat=True)) == {"done"}
    assert samples.values("worker").distinct().count() == 1


def test_the_batch_size_caps_what_one_task_claims(batch, annotator, default_backend, settings):
    settings.GENERATION_MAX_BATCH = 2
    pairs = [services.dialogue_start(batch=batch, annotator=annotator, text="hi") for _ in range(2)]
    assert pair_generate_task.apply(args=[pairs[1].pk]).get() == 2
    assert set(pairs[1].samples.values_list("status", flat=True)) == {"done"}
    assert set(pairs[0].samples.values_list("status", flat=True)) == {"pending"}


def test_a_vllm_variant_without_vllm_installed_fails_at_once_with_the_install_hint(annotator):
    batch = BatchFactory(
        sampling_a__variant__name="llama-vllm",
        sampling_a__variant__backend="vllm",
        sampling_a__variant__source_kind="local_dir",
        sampling_a__variant__source="/models/llama-2-7b-chat",
        sampling_b__variant__name="llama-vllm",
    )
    pair = services.dialogue_start(batch=batch, annotator=annotator, text="hi")

    pair_generate_task.apply(args=[pair.pk])

    for sample in pair.samples.all():
        assert sample.status == "failed"
        assert "pip install '.[vllm]'" in sample.error


# --- Live work first ---------------------------------------------------------------------------


def _pool_pairs(batch, count: int) -> list[Pair]:
    """Pending pool pairs (their generation tasks are never sent: nothing commits here)."""
    data = "".join(f'{{"prompt": "Tell a long story about lake {i}."}}\n' for i in range(count))
    boss = UserFactory(username="boss", is_staff=True)
    pool_import(batch=batch, uploaded_by=boss, filename="p.jsonl", data=data.encode())
    return list(Pair.objects.filter(batch=batch, pool_item__isnull=False).order_by("pk"))


def test_a_pool_batch_stops_for_a_written_prompt_and_hands_its_samples_back(
    annotator, default_backend, settings
):
    settings.GENERATION_STREAM_EVERY = 2
    batch = BatchFactory(sampling_a__max_new_tokens=32, sampling_b__max_new_tokens=32)
    pool = _pool_pairs(batch, 2)
    claimed = samples_claim(pair_id=None, worker="w", limit=8, live=False)
    services.dialogue_start(batch=batch, annotator=annotator, text="Quick question?")

    assert samples_generate(samples=claimed) == (0, True)

    for sample in Sample.objects.filter(pair__in=pool):
        assert (sample.status, sample.attempts, sample.text) == ("pending", 0, "")


def test_a_pool_task_writes_a_waiting_prompt_first_then_its_own_pool_pair(
    annotator, default_backend
):
    batch = BatchFactory()
    (pool_pair,) = _pool_pairs(batch, 1)
    live = services.dialogue_start(batch=batch, annotator=annotator, text="Quick question?")

    assert pair_generate_task.apply(args=[pool_pair.pk]).get() == 4

    live.refresh_from_db()
    pool_started = min(
        s.finished_at - timedelta(milliseconds=s.latency_ms) for s in pool_pair.samples.all()
    )
    assert live.ready_at < pool_started  # two batches: the prompt's, then the pool's
    assert set(Sample.objects.values_list("status", "attempts")) == {("done", 1)}
