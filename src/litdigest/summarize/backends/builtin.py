"""Factories of the built-in backends (entry points of the ``litdigest.backends`` group).

Each imports its backend lazily, so ``litdigest clean`` never loads the LLM stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litdigest.errors import ConfigError

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.summarize.backends.base import Backend

__all__ = ["extractive", "extractive_v3", "openai"]


def extractive(settings: Settings) -> Backend:
    """The offline, deterministic sentence-selection backend."""
    from litdigest.summarize.backends.extractive import ExtractiveBackend

    return ExtractiveBackend.from_settings(settings.summarize)


def extractive_v3(settings: Settings) -> Backend:
    """The offline backend with the learned sentence-role classifier (issue 13)."""
    from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend

    return ExtractiveV3Backend.from_settings(settings.summarize)


def openai(settings: Settings) -> Backend:
    """Any OpenAI-compatible server; needs an API key or a base URL."""
    cfg = settings.openai
    has_key = cfg.api_key is not None and bool(cfg.api_key.get_secret_value())
    if not has_key and not cfg.base_url:
        raise ConfigError(
            "the openai backend needs an API key (OPENAI_API_KEY) or an OpenAI-compatible "
            "server URL (OPENAI_BASE_URL or --base-url)"
        )
    # Without a key (a local server) the backend sends a placeholder key.
    from litdigest.summarize.backends.openai import OpenAIBackend

    return OpenAIBackend(settings)
