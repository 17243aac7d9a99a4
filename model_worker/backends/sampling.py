"""Per-row sampling inside one batched `generate` call.

transformers applies one temperature/top_p/seed to a whole batch. We run `generate` greedily and
let this processor do the sampling: every row draws its token with its own temperature, top_p
and random stream, then only that token keeps a finite score, so the greedy step picks it.
It also ends each row at that row's own `max_new_tokens`.

The draw is vectorised on the model's device (inverse-CDF over the nucleus); only one uniform
number per row comes from that row's own CPU generator, so a row's randomness depends on its
seed alone, never on which other requests share the batch.
"""

from collections.abc import Callable

import torch
from transformers import LogitsProcessor

GREEDY_BELOW = 1e-5


class PerRowSampler(LogitsProcessor):
    def __init__(
        self,
        *,
        temperatures: list[float],
        top_ps: list[float],
        max_new_tokens: list[int],
        seeds: list[int],
        prompt_length: int,
        eos_token_id: int,
        on_progress: Callable[[list[list[int]]], None] | None = None,
        progress_every: int = 8,
    ) -> None:
        self.temperatures = torch.tensor(temperatures, dtype=torch.float32)
        self.top_ps = torch.tensor(top_ps, dtype=torch.float32)
        self.max_new_tokens = torch.tensor(max_new_tokens)
        self.prompt_length = prompt_length
        self.eos_token_id = eos_token_id
        self.generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
        self.on_progress = on_progress
        self.progress_every = max(1, progress_every)
        self.generated: list[list[int]] = [[] for _ in seeds]
        self.finished = [False] * len(seeds)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        step = input_ids.shape[1] - self.prompt_length
        device = scores.device
        chosen = self._draw(scores.float(), device)
        over_budget = (self.max_new_tokens <= step).to(device)
        chosen = torch.where(over_budget, torch.full_like(chosen, self.eos_token_id), chosen)
        self._record(chosen.tolist(), step)
        forced = torch.full_like(scores, float("-inf"))
        forced.scatter_(1, chosen.unsqueeze(1), 0.0)
        return forced

    def _draw(self, logits: torch.Tensor, device: torch.device) -> torch.Tensor:
        temperatures = self.temperatures.to(device).unsqueeze(1)
        top_ps = self.top_ps.to(device).unsqueeze(1)
        uniforms = torch.tensor(
            [float(torch.rand(1, generator=g)) for g in self.generators], device=device
        ).unsqueeze(1)
        probs = torch.softmax(logits / temperatures.clamp_min(GREEDY_BELOW), dim=-1)
        sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
        # Keep the smallest prefix whose mass reaches top_p (always at least one token).
        outside_nucleus = torch.cumsum(sorted_probs, dim=-1) - sorted_probs > top_ps
        sorted_probs = sorted_probs.masked_fill(outside_nucleus, 0.0)
        cumulative = torch.cumsum(sorted_probs, dim=-1)
        picks = torch.searchsorted(cumulative, uniforms * cumulative[:, -1:])
        sampled = order.gather(1, picks.clamp_max(order.shape[1] - 1)).squeeze(1)
        greedy = temperatures.squeeze(1) <= GREEDY_BELOW
        return torch.where(greedy, torch.argmax(logits, dim=-1), sampled)

    def _record(self, tokens: list[int], step: int) -> None:
        """Keep each row's tokens so far and report them every few steps (for streaming)."""
        for row, token in enumerate(tokens):
            if self.finished[row]:
                continue
            if token == self.eos_token_id:
                self.finished[row] = True
            else:
                self.generated[row].append(token)
        if self.on_progress is not None and (step + 1) % self.progress_every == 0:
            self.on_progress(self.generated)
