"""Token usage and cost of model calls (summed across calls, retries and re-asks)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Usage"]


class Usage(BaseModel):
    """Model usage and cost; add instances to total them across calls and retries."""

    model_config = ConfigDict(extra="forbid")

    calls: int = Field(default=0, ge=0, description="Number of model calls.")
    prompt_tokens: int = Field(default=0, ge=0, description="Prompt (input) tokens.")
    completion_tokens: int = Field(default=0, ge=0, description="Completion (output) tokens.")
    cost_usd: float = Field(default=0.0, ge=0, description="Estimated cost in US dollars.")
    cached_tokens: int = Field(
        default=0,
        ge=0,
        description="Prompt tokens the server read from its prompt cache (priced as cached).",
        exclude_if=lambda v: not v,
    )
    estimated_calls: int = Field(
        default=0,
        ge=0,
        description="Calls whose token counts were estimated (the server sent no usage).",
        exclude_if=lambda v: not v,
    )

    @property
    def estimated(self) -> bool:
        return self.estimated_calls > 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            estimated_calls=self.estimated_calls + other.estimated_calls,
        )

    def __radd__(self, other: object) -> Usage:
        """Lets ``sum(usages)`` start from ``0``."""
        if other == 0:
            return self
        return NotImplemented
