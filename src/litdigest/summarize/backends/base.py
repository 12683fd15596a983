"""What every summarizer backend implements, and what the batch runner hands it."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from litdigest.errors import BudgetExceeded, LitdigestError
from litdigest.text import stable_hash

if TYPE_CHECKING:
    from litdigest.documents import Chunk, Document
    from litdigest.store.store import Store
    from litdigest.summarize.schema import DocumentSummary, Usage

__all__ = ["Backend", "Budget", "BudgetExceeded", "CallContext", "stable_hash"]


class Budget:
    """Token and cost limits shared by every call of a batch (thread- and task-safe)."""

    def __init__(self, max_cost_usd: float | None = None, max_tokens: int | None = None) -> None:
        self.max_cost_usd = max_cost_usd
        self.max_tokens = max_tokens
        self.cost_usd = 0.0
        self.tokens = 0
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise ``BudgetExceeded`` if no further call may be sent."""
        with self._lock:
            if self.max_cost_usd is not None and self.cost_usd >= self.max_cost_usd:
                raise BudgetExceeded(
                    f"cost budget reached: {usd(self.cost_usd)} of {usd(self.max_cost_usd)}"
                )
            if self.max_tokens is not None and self.tokens >= self.max_tokens:
                raise BudgetExceeded(f"token budget reached: {self.tokens} of {self.max_tokens}")

    def add(self, usage: Usage) -> None:
        with self._lock:
            self.cost_usd += usage.cost_usd
            self.tokens += usage.prompt_tokens + usage.completion_tokens


def usd(value: float) -> str:
    """Dollars with enough decimals to tell small amounts apart ($0.0000 never hides $4e-05)."""
    if value == 0 or value >= 0.01:
        return f"${value:.4f}"
    digits = 2
    while value < 10 ** -(digits - 1) and digits < 10:
        digits += 1
    return f"${value:.{digits + 1}f}"


@dataclass
class CallContext:
    """Shared state for the calls of one batch.

    ``limiter`` bounds requests in flight across all documents; ``store`` (when given) logs
    every LLM call and serves the request cache; ``budget`` is checked before every call.
    """

    store: Store | None = None
    limiter: asyncio.Semaphore | None = None
    budget: Budget = field(default_factory=Budget)
    run_id: int | None = None
    fatal: LitdigestError | None = None  # set by a run-stopping error: send nothing more


class Backend(Protocol):
    """A summarizer. ``summarize`` returns a fully grounded ``DocumentSummary``: every quote is
    an exact slice of ``doc.text`` (the batch runner re-checks with ``verify_summary``).

    A backend whose every request waits for ``ctx.limiter`` may say so with a class
    attribute ``bounds_requests = True``: the batch runner then starts a few more documents
    than the concurrency, to keep every request slot busy."""

    name: str
    model: str
    prompt_version: str

    def settings_hash(self) -> str:
        """Hash of every setting that changes the output (part of the summary cache key)."""
        ...

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary: ...
