"""Chat-template prompts and the context-window policy, shared by every backend."""

from .base import GenerationRequest, GenerationResult, PermanentGenerationError


def prompt_ids_within_window(
    tokenizer, request: GenerationRequest, context_window: int
) -> tuple[list[int], bool]:
    """Chat-templated prompt ids, dropping the oldest turns when the window is too small.

    The system message and the latest user turn are always kept; if even those do not fit
    the request can never succeed. Returns the ids and whether anything was dropped.
    """
    system = [m for m in request.messages[:1] if m["role"] == "system"]
    messages = list(request.messages[len(system) :])
    budget = context_window - request.max_new_tokens
    truncated = False
    while True:
        ids = tokenizer.apply_chat_template(
            system + messages, add_generation_prompt=True, tokenize=True
        )
        if hasattr(ids, "keys"):
            ids = ids["input_ids"]
        if len(ids) <= budget:
            return list(ids), truncated
        if len(messages) <= 1:
            raise PermanentGenerationError(
                f"The prompt needs {len(ids)} tokens but only {budget} fit in the "
                f"{context_window}-token window after {request.max_new_tokens} new tokens."
            )
        messages = messages[2:]  # drop the oldest user/assistant exchange
        truncated = True


Outcome = GenerationResult | PermanentGenerationError


def requests_within_window(
    tokenizer, requests: list[GenerationRequest], context_window: int
) -> tuple[list[Outcome | None], list[tuple[int, list[int], bool]]]:
    """Split requests into those that fit the window (index, prompt ids, truncated) and those
    that never can, whose error already stands in their place in the outcomes list."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    runnable: list[tuple[int, list[int], bool]] = []
    for index, request in enumerate(requests):
        try:
            ids, truncated = prompt_ids_within_window(tokenizer, request, context_window)
            runnable.append((index, ids, truncated))
        except PermanentGenerationError as exc:
            outcomes[index] = exc
    return outcomes, runnable
