"""Generation backends. A worker process loads each model variant once and keeps it."""

from .base import GenerationRequest, GenerationResult, PermanentGenerationError
from .registry import backend_for

__all__ = ["GenerationRequest", "GenerationResult", "PermanentGenerationError", "backend_for"]
