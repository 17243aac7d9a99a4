"""The per-row sampler, on small hand-made score tensors."""

import torch

from model_worker.backends.sampling import PerRowSampler

EOS = 0


def _sampler(**overrides) -> PerRowSampler:
    fields = {
        "temperatures": [1.0, 1.0],
        "top_ps": [1.0, 1.0],
        "max_new_tokens": [5, 5],
        "seeds": [1, 2],
        "prompt_length": 3,
        "eos_token_id": EOS,
    }
    fields.update(overrides)
    return PerRowSampler(**fields)


def _picks(sampler: PerRowSampler, scores: torch.Tensor, step: int = 0) -> list[int]:
    input_ids = torch.zeros((scores.shape[0], 3 + step), dtype=torch.long)
    out = sampler(input_ids, scores.clone())
    assert torch.isfinite(out).sum(dim=1).tolist() == [1] * scores.shape[0]
    return out.argmax(dim=1).tolist()


def test_a_zero_temperature_row_is_greedy_whatever_its_neighbours_do():
    scores = torch.tensor([[0.0, 1.0, 3.0, 2.0]] * 2)
    sampler = _sampler(temperatures=[0.0, 5.0], seeds=[1, 2])
    picks = [_picks(sampler, scores)[0] for _ in range(20)]
    assert set(picks) == {2}


def test_a_tiny_top_p_keeps_only_the_most_likely_token():
    scores = torch.tensor([[0.0, 1.0, 3.0, 2.0], [4.0, 0.0, 1.0, 5.0]])
    sampler = _sampler(top_ps=[1e-6, 1e-6], temperatures=[2.0, 2.0])
    assert _picks(sampler, scores) == [2, 3]


def test_each_row_ends_at_its_own_budget():
    scores = torch.tensor([[0.0, 9.0, 0.0, 0.0]] * 2)
    sampler = _sampler(max_new_tokens=[2, 5], temperatures=[0.0, 0.0])
    assert _picks(sampler, scores, step=2) == [EOS, 1]


def test_the_same_seed_gives_the_same_draws_whatever_shares_the_batch():
    scores = torch.randn(1, 50, generator=torch.Generator().manual_seed(0))
    alone = [
        _picks(_sampler(temperatures=[1.0], top_ps=[0.9], max_new_tokens=[9], seeds=[7]), scores)[0]
        for _ in range(1)
    ]
    shared = _sampler(temperatures=[1.0, 0.3], top_ps=[0.9, 0.5], seeds=[7, 99])
    assert _picks(shared, torch.cat([scores, scores]))[0] == alone[0]


def test_high_temperature_draws_spread_over_the_nucleus():
    scores = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    sampler = _sampler(temperatures=[1.0], top_ps=[1.0], max_new_tokens=[999], seeds=[3])
    assert len({_picks(sampler, scores)[0] for _ in range(40)}) == 4


def test_it_reports_partial_tokens_every_few_steps_and_stops_a_row_at_its_end_token():
    seen = []
    sampler = _sampler(
        temperatures=[0.0, 0.0],
        max_new_tokens=[9, 9],
        on_progress=lambda rows: seen.append([list(r) for r in rows]),
        progress_every=2,
    )
    _picks(sampler, torch.tensor([[0.0, 5.0, 0.0], [0.0, 0.0, 5.0]]), step=0)
    _picks(sampler, torch.tensor([[5.0, 0.0, 0.0], [0.0, 0.0, 5.0]]), step=1)
    _picks(sampler, torch.tensor([[0.0, 5.0, 0.0], [0.0, 0.0, 5.0]]), step=2)
    assert seen == [[[1], [2, 2]]]
    assert sampler.generated == [[1], [2, 2, 2]]
