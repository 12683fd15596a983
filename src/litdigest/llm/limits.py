"""Context windows of known models, and the request sizes litdigest derives from them.

The table gives the context window (input + output tokens) of model families by name
prefix; ``LLMSettings.context_window`` or ``LLMSettings.context_windows`` override it.
Unknown models (most local servers) get ``DEFAULT_CONTEXT_WINDOW``: local servers are often
started with a smaller window than the model supports, so configure it when you know better.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from litdigest.config import Settings

__all__ = [
    "CONTEXT_WINDOWS",
    "DEFAULT_CONTEXT_WINDOW",
    "context_window",
    "map_chunk_tokens",
    "output_tokens",
    "single_call_tokens",
]

DEFAULT_CONTEXT_WINDOW: Final = 32_768
CONTEXT_WINDOWS: Final[dict[str, int]] = {
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-5": 400_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "gpt-4-turbo": 128_000,
    "gpt-3.5-turbo": 16_385,
    "llama3.1": 131_072,
    "llama3.2": 131_072,
    "llama3.3": 131_072,
    "llama-3.1": 131_072,
    "llama-3.3": 131_072,
    "meta-llama-3.1": 131_072,
    "qwen2.5": 32_768,
    "qwen3": 40_960,
    "deepseek-r1": 131_072,
    "deepseek-v3": 131_072,
    "mistral-small": 32_768,
    "mistral-nemo": 131_072,
    "gemma3": 131_072,
    "gemma2": 8_192,
    "phi4": 16_384,
}
_SINGLE_CALL_SHARE: Final = 4  # a quarter of the window for the document
_SINGLE_CALL_MAX: Final = 64_000
_SINGLE_CALL_MIN: Final = 2_000
_MAP_CHUNK_MAX: Final = 8_000
# Output sizing: tokens per claim (statement, up to three quotes, keys) and fixed overhead.
_TOKENS_PER_CLAIM: Final = 260
_TOKENS_PER_REDUCED_CLAIM: Final = 90
_OUTPUT_OVERHEAD: Final = 200


def _lookup(model: str, table: dict[str, int]) -> int | None:
    name = model.strip().lower().rsplit("/", 1)[-1].replace(":", "-")
    best: str | None = None
    for key in table:
        k = key.lower()
        if (name == k or name.startswith(k + "-") or name.startswith(k)) and (
            best is None or len(k) > len(best)
        ):
            best = key
    return table[best] if best is not None else None


def context_window(settings: Settings) -> int:
    """The model's context window: the setting, the user's table, the known table, default."""
    llm = settings.llm
    if llm.context_window is not None:
        return llm.context_window
    model = settings.openai.model
    return (
        _lookup(model, llm.context_windows)
        or _lookup(model, CONTEXT_WINDOWS)
        or DEFAULT_CONTEXT_WINDOW
    )


def single_call_tokens(settings: Settings) -> int:
    """Documents up to this many tokens are summarized in one call."""
    explicit = settings.summarize.single_call_max_tokens
    if explicit is not None:
        return explicit
    share = context_window(settings) // _SINGLE_CALL_SHARE
    return max(_SINGLE_CALL_MIN, min(_SINGLE_CALL_MAX, share))


def map_chunk_tokens(settings: Settings) -> int:
    """Largest map chunk: a quarter of the single-call window, at least the stored chunks."""
    explicit = settings.llm.map_chunk_tokens
    if explicit is not None:
        return explicit
    return max(settings.chunk.max_tokens, min(_MAP_CHUNK_MAX, single_call_tokens(settings) // 4))


def output_tokens(claims: int, *, reduced: bool = False, settings: Settings | None = None) -> int:
    """``max_tokens`` for a reply holding up to ``claims`` claims (and a tldr)."""
    per = _TOKENS_PER_REDUCED_CLAIM if reduced else _TOKENS_PER_CLAIM
    wanted = _OUTPUT_OVERHEAD + claims * per
    if settings is not None and settings.llm.max_output_tokens is not None:
        return settings.llm.max_output_tokens
    if settings is not None:
        wanted += settings.llm.reasoning_tokens
        wanted = min(wanted, max(256, context_window(settings) // 4))
    return wanted
