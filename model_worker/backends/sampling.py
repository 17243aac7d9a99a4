"""Per-row sampling inside one batched `generate` call.

transformers applies one temperature/top_p/seed to a whole batch. We run `generate` greedily and
let this processor do the sampling: for each row it draws a token with that row's own
temperature, top_p and random generator, then leaves only that token with a finite score, so
the greedy step picks exactly it. It also ends each row at that row's own `max_new_tokens`.
"""

from collections.abc import Callable

import torch
from transformers import LogitsProcessor


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
        self.temperatures = temperatures
        self.top_ps = top_ps
        self.max_new_tokens = max_new_tokens
        self.prompt_length = prompt_length
        self.eos_token_id = eos_token_id
        self.generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
        self.on_progress = on_progress
        self.progress_every = max(1, progress_every)
        self.generated: list[list[int]] = [[] for _ in seeds]
        self.finished = [False] * len(seeds)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        step = input_ids.shape[1] - self.prompt_length
        chosen = torch.empty(scores.shape[0], dtype=torch.long)
        for row in range(scores.shape[0]):
            if step >= self.max_new_tokens[row]:
                chosen[row] = self.eos_token_id
                continue
            chosen[row] = self._draw(row, scores[row].float().cpu())
        self._record(chosen.tolist(), step)
        forced = torch.full_like(scores, float("-inf"))
        forced[torch.arange(scores.shape[0]), chosen.to(scores.device)] = 0.0
        return forced

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

    def _draw(self, row: int, logits: torch.Tensor) -> int:
        temperature = self.temperatures[row]
        if temperature <= 1e-5:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits / temperature, dim=-1)
        top_p = self.top_ps[row]
        if top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            cumulative = torch.cumsum(sorted_probs, dim=-1)
            # Keep the smallest prefix whose mass reaches top_p (always at least one token).
            drop = cumulative - sorted_probs > top_p
            sorted_probs[drop] = 0.0
            probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
        return int(torch.multinomial(probs, 1, generator=self.generators[row]))
