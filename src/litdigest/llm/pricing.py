"""Estimated model prices (US dollars per 1M tokens) and call costs.

Prices are OpenAI list prices for input, cached input (prompt tokens the server read from its
prompt cache, ``usage.prompt_tokens_details.cached_tokens``) and output tokens; they change,
so costs are estimates. A dated snapshot name (``gpt-4o-mini-2024-07-18``) is priced as its
base model (the longest known prefix). Unknown models (local servers, new models) cost 0 and
are reported by ``estimate(...).known`` so callers can warn. The Batch API costs half.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["BATCH_DISCOUNT", "PRICES", "Cost", "Price", "cost_usd", "estimate", "price_for"]


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per 1M tokens."""

    input_per_m: float
    output_per_m: float
    cached_input_per_m: float | None = None  # None: no discount for cached input

    @property
    def cached_per_m(self) -> float:
        return self.input_per_m if self.cached_input_per_m is None else self.cached_input_per_m


PRICES: Final[dict[str, Price]] = {
    "gpt-4o-mini": Price(0.15, 0.60, 0.075),
    "gpt-4o": Price(2.50, 10.00, 1.25),
    "gpt-4.1-nano": Price(0.10, 0.40, 0.025),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
    "gpt-4.1": Price(2.00, 8.00, 0.50),
    "gpt-5-nano": Price(0.05, 0.40, 0.005),
    "gpt-5-mini": Price(0.25, 2.00, 0.025),
    "gpt-5": Price(1.25, 10.00, 0.125),
    "o4-mini": Price(1.10, 4.40, 0.275),
    "o3-mini": Price(1.10, 4.40, 0.55),
    "o3": Price(2.00, 8.00, 0.50),
    "o1-mini": Price(1.10, 4.40, 0.55),
    "o1": Price(15.00, 60.00, 7.50),
    "gpt-4-turbo": Price(10.00, 30.00),
    "gpt-3.5-turbo": Price(0.50, 1.50),
}
BATCH_DISCOUNT: Final = 0.5


@dataclass(frozen=True, slots=True)
class Cost:
    usd: float
    known: bool  # False: the model has no known price and the cost is 0


def price_for(model: str) -> Price | None:
    """The price of ``model`` (exact name, else the longest known prefix), or None."""
    name = model.strip().lower()
    name = name.rsplit("/", 1)[-1]  # "openai/gpt-4o" as some proxies name it
    if name in PRICES:
        return PRICES[name]
    best: str | None = None
    for base in PRICES:
        if name.startswith(base + "-") and (best is None or len(base) > len(best)):
            best = base
    return PRICES[best] if best is not None else None


def estimate(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    *,
    batch: bool = False,
    cached: int = 0,
) -> Cost:
    """Cost of one call; ``cached`` of the ``prompt_tokens`` are priced as cached input."""
    price = price_for(model)
    if price is None:
        return Cost(0.0, known=False)
    cached = max(0, min(cached, prompt_tokens))
    usd = (
        (prompt_tokens - cached) * price.input_per_m
        + cached * price.cached_per_m
        + completion_tokens * price.output_per_m
    ) / 1e6
    return Cost(usd * (BATCH_DISCOUNT if batch else 1.0), known=True)


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int, batch: bool = False) -> float:
    """Estimated cost of one call in US dollars (0 for unknown models)."""
    return estimate(model, prompt_tokens, completion_tokens, batch=batch).usd
