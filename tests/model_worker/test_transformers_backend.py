"""Batched generation with per-row settings, on the real default model."""

import pytest

from model_worker.backends import GenerationRequest, PermanentGenerationError

pytestmark = pytest.mark.model

QUESTION = [{"role": "user", "content": "Name three colours."}]


def _request(**overrides):
    fields = {
        "messages": QUESTION,
        "temperature": 0.8,
        "top_p": 0.95,
        "max_new_tokens": 12,
        "seed": 7,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def test_the_same_seed_and_settings_give_the_same_text(default_backend):
    first = default_backend.generate([_request()], context_window=2048)[0]
    again = default_backend.generate([_request()], context_window=2048)[0]
    assert first.text == again.text
    assert first.completion_tokens > 0


def test_greedy_decoding_gives_the_same_text_batched_as_alone(default_backend):
    prompts = [
        QUESTION,
        [
            {
                "role": "user",
                "content": "Write one short sentence about the sea, please, and keep it simple.",
            }
        ],
    ]
    alone = [
        default_backend.generate([_request(messages=m, temperature=0)], context_window=2048)[0]
        for m in prompts
    ]
    together = default_backend.generate(
        [_request(messages=m, temperature=0) for m in prompts], context_window=2048
    )
    assert [r.text for r in together] == [r.text for r in alone]


def test_each_row_keeps_its_own_max_new_tokens(default_backend):
    results = default_backend.generate(
        [_request(max_new_tokens=3, temperature=0), _request(max_new_tokens=12, seed=1)],
        context_window=2048,
    )
    assert results[0].completion_tokens == 3
    assert results[0].finish_reason == "length"
    assert results[1].completion_tokens <= 12


def test_different_seeds_at_high_temperature_differ(default_backend):
    results = default_backend.generate(
        [_request(temperature=1.5, top_p=1.0, seed=s, max_new_tokens=16) for s in (1, 2, 3)],
        context_window=2048,
    )
    assert len({r.text for r in results}) > 1


def test_long_dialogues_drop_the_oldest_turns_but_keep_the_system_message(default_backend):
    history = []
    for i in range(12):
        history += [
            {"role": "user", "content": f"Question number {i} about rivers and lakes?"},
            {"role": "assistant", "content": f"Answer number {i} about rivers and lakes."},
        ]
    messages = [
        {"role": "system", "content": "Be brief."},
        *history,
        {"role": "user", "content": "Last question?"},
    ]
    result = default_backend.generate(
        [_request(messages=messages, max_new_tokens=4)], context_window=200
    )[0]
    assert result.context_truncated
    assert result.prompt_tokens <= 196


def test_a_prompt_that_can_never_fit_fails_alone_and_the_others_still_run(default_backend):
    too_long = _request(messages=[{"role": "user", "content": "x " * 500}])
    results = default_backend.generate([too_long, _request(max_new_tokens=4)], context_window=100)
    assert isinstance(results[0], PermanentGenerationError)
    assert "window" in str(results[0])
    assert results[1].completion_tokens >= 1


def test_it_reports_partial_texts_while_generating(default_backend):
    seen: list[list[str]] = []
    results = default_backend.generate(
        [_request(temperature=0, max_new_tokens=12), _request(seed=3, max_new_tokens=12)],
        context_window=2048,
        on_progress=lambda texts: seen.append(list(texts)),
        progress_every=4,
    )
    assert seen, "no progress was reported"
    assert all(len(texts) == 2 for texts in seen)
    assert results[0].text.startswith(seen[0][0].strip())
