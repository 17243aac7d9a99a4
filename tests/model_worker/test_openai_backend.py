"""The OpenAI-compatible backend against a real `transformers serve` process (no mock)."""

import os
import signal

import psutil
import pytest

from apps.catalog.models import ModelVariant
from apps.dialogues import services
from apps.pairs.models import Pair, Sample
from model_worker.backends import GenerationRequest, PermanentGenerationError
from model_worker.backends.openai_backend import OpenAIBackend, TransientServerError
from model_worker.backends.transformers_serve import free_port
from tests import served_model
from tests.factories import BatchFactory, ModelVariantFactory, UserFactory
from tests.worker_process import wait_until

pytestmark = pytest.mark.model

openai_server = served_model.openai_server  # once per session
own_openai_server = served_model.own_openai_server  # for a test that stops it


def _variant(server, **fields) -> ModelVariant:
    values = {
        "name": "served-smollm2",
        "backend": ModelVariant.Backend.OPENAI,
        "source_kind": ModelVariant.SourceKind.SERVED_MODEL,
        "source": server.model,
        "base_url": server.base_url,
        "max_concurrency": 4,
        **fields,
    }
    return ModelVariant(**values)


def _request(text: str, *, max_new_tokens: int = 6, seed: int = 1) -> GenerationRequest:
    return GenerationRequest(
        messages=[{"role": "user", "content": text}],
        temperature=0.7,
        top_p=0.9,
        max_new_tokens=max_new_tokens,
        seed=seed,
    )


def test_it_streams_each_request_with_its_own_token_budget(openai_server):
    backend = OpenAIBackend.from_variant(_variant(openai_server))
    progress: list[list[str]] = []

    results = backend.generate(
        [_request("Name a colour.", max_new_tokens=3), _request("Tell a story.", max_new_tokens=8)],
        context_window=2048,
        on_progress=progress.append,
        progress_every=2,
    )

    assert [r.completion_tokens for r in results] == [3, 8]
    assert all(r.text and r.prompt_tokens > 0 and r.finish_reason == "length" for r in results)
    assert progress, "no streamed progress"
    assert all(len(texts) == 2 for texts in progress)
    assert progress[-1][1] and results[1].text.startswith(progress[-1][1].strip()[:3])


def test_it_returns_the_servers_message_for_a_refused_request(openai_server):
    backend = OpenAIBackend.from_variant(_variant(openai_server, source="no/such-model"))

    [outcome] = backend.generate([_request("Hi")], context_window=2048)

    assert isinstance(outcome, PermanentGenerationError)
    assert "answered 400" in str(outcome)
    assert "no/such-model" in str(outcome)


def test_it_refuses_to_send_without_the_api_key_variable(openai_server, monkeypatch):
    monkeypatch.delenv("PAIRWISE_TEST_MISSING_KEY", raising=False)
    backend = OpenAIBackend.from_variant(
        _variant(openai_server, api_key_env="PAIRWISE_TEST_MISSING_KEY")
    )

    with pytest.raises(PermanentGenerationError, match="PAIRWISE_TEST_MISSING_KEY is not set"):
        backend.generate([_request("Hi")], context_window=2048)


def test_a_server_that_does_not_answer_is_a_transient_error(openai_server):
    class Gone:
        model = openai_server.model
        base_url = f"http://127.0.0.1:{free_port()}/v1"

    backend = OpenAIBackend.from_variant(_variant(Gone, name="gone"))

    with pytest.raises(TransientServerError, match="did not answer"):
        backend.generate([_request("Hi")], context_window=2048)


# With a real Celery worker process: every sample ends done exactly once, or failed with its
# reason.


def _served_pairs(server, count: int, *, max_new_tokens: int, **variant_fields) -> list[Pair]:
    variant = ModelVariantFactory(
        **{
            "name": "served-smollm2",
            "backend": ModelVariant.Backend.OPENAI,
            "source_kind": ModelVariant.SourceKind.SERVED_MODEL,
            "source": server.model,
            "base_url": server.base_url,
            **variant_fields,
        }
    )
    batch = BatchFactory(
        sampling_a__variant=variant,
        sampling_b__variant=variant,
        sampling_a__max_new_tokens=max_new_tokens,
        sampling_b__max_new_tokens=max_new_tokens,
    )
    annotator = UserFactory(username="served")
    return [
        services.dialogue_start(batch=batch, annotator=annotator, text=f"Tell me about river {i}.")
        for i in range(count)
    ]


def _statuses(pairs: list[Pair]) -> set[str]:
    return set(Sample.objects.filter(pair__in=pairs).values_list("status", flat=True))


def _assert_each_pair_completed_once(pairs: list[Pair]) -> None:
    for pair in pairs:
        samples = list(Sample.objects.filter(pair=pair))
        assert sorted(s.slot for s in samples) == ["a", "b"]
        assert all(s.status == "done" and s.completion_tokens > 0 for s in samples)


@pytest.mark.worker
def test_a_pair_is_generated_through_the_worker_from_the_server(start_worker, openai_server):
    worker = start_worker("served")
    [pair] = _served_pairs(openai_server, 1, max_new_tokens=6)

    wait_until(lambda: _statuses([pair]) == {"done"}, timeout_s=90, worker=worker, what="done")

    _assert_each_pair_completed_once([pair])
    assert all(s.completion_tokens <= 6 and s.text for s in Sample.objects.filter(pair=pair))


@pytest.mark.worker
def test_a_request_the_server_refuses_fails_with_its_message(start_worker, openai_server):
    worker = start_worker("refused")
    [pair] = _served_pairs(openai_server, 1, max_new_tokens=4, source="no/such-model")

    wait_until(lambda: _statuses([pair]) == {"failed"}, timeout_s=90, worker=worker, what="fail")

    for sample in Sample.objects.filter(pair=pair):
        assert "answered 400" in sample.error and "no/such-model" in sample.error
        assert sample.attempts == 1  # a refusal is not retried


@pytest.mark.worker
def test_a_server_stopped_mid_stream_is_retried_then_failed_with_its_reason(
    start_worker, own_openai_server
):
    worker = start_worker("server-stopped")
    [pair] = _served_pairs(own_openai_server, 1, max_new_tokens=32)
    wait_until(
        lambda: Sample.objects.filter(pair=pair, status="running").exclude(text="").exists(),
        timeout_s=90,
        worker=worker,
        what="the sample to be mid-stream",
    )

    own_openai_server.stop(kill=True)

    wait_until(lambda: _statuses([pair]) == {"failed"}, timeout_s=120, worker=worker, what="fail")
    for sample in Sample.objects.filter(pair=pair):
        assert sample.error.startswith("Gave up after 3 attempts. Last error: TransientServer")
        assert "did not answer" in sample.error
        assert sample.attempts == 3
        assert sample.text == ""


@pytest.mark.worker
def test_a_worker_killed_mid_stream_completes_each_sample_once(start_worker, openai_server):
    worker = start_worker("served-killed")
    pairs = _served_pairs(openai_server, 1, max_new_tokens=16)
    wait_until(
        lambda: Sample.objects.filter(pair__in=pairs, status="running").exclude(text="").exists(),
        timeout_s=90,
        worker=worker,
        what="a sample to be mid-stream",
    )

    # Kill the pool process that holds the stream (the embedded beat, the reconciler, lives on,
    # as it would on its own machine).
    streaming = [
        child
        for child in psutil.Process(worker.process.pid).children()
        if any(
            c.raddr and c.raddr.port == openai_server.port and c.status == psutil.CONN_ESTABLISHED
            for c in child.net_connections("tcp")
        )
    ]
    assert streaming, "no worker process holds a stream to the server"
    for child in streaming:
        os.kill(child.pid, signal.SIGKILL)

    wait_until(lambda: _statuses(pairs) == {"done"}, timeout_s=120, worker=worker, what="done")
    _assert_each_pair_completed_once(pairs)
    assert Sample.objects.filter(pair__in=pairs, attempts__gte=2).exists()


@pytest.mark.django_db
def test_the_heartbeat_probe_records_each_servers_health_and_latency(openai_server):
    from apps.fleet.models import EndpointHealth
    from model_worker.backends.openai_backend import endpoints_probe

    gone = f"http://127.0.0.1:{free_port()}/v1"
    _variant(openai_server).save()
    _variant(openai_server, name="gone", base_url=gone).save()

    assert endpoints_probe(checked_by="test:1") == 2

    up = EndpointHealth.objects.get(base_url=openai_server.base_url)
    down = EndpointHealth.objects.get(base_url=gone)
    assert up.ok and up.latency_ms is not None and up.error == ""
    assert up.variants == ["served-smollm2"] and up.checked_by == "test:1"
    assert not down.ok and "ConnectError" in down.error
