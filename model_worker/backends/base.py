from dataclasses import dataclass, field


class PermanentGenerationError(Exception):
    """A request that can never succeed (too long for the window, unknown model...)."""


@dataclass(frozen=True)
class GenerationRequest:
    messages: list[dict[str, str]]
    temperature: float
    top_p: float
    max_new_tokens: int
    seed: int


@dataclass
class GenerationResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end token) or "length"
    context_truncated: bool = False
    extra: dict = field(default_factory=dict)
