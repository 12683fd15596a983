"""Summarizer backends: ``extractive`` (offline, deterministic) and ``openai`` (any
OpenAI-compatible server)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from litdigest.errors import ConfigError

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.summarize.backends.base import Backend

__all__ = ["BACKEND_NAMES", "BackendName", "choose_backend", "get_backend"]

BackendName = Literal["extractive", "openai"]
BACKEND_NAMES: Final[tuple[str, ...]] = ("auto", "extractive", "openai")


def choose_backend(requested: str, settings: Settings) -> tuple[BackendName, str]:
    """The backend to use for ``requested`` (auto, extractive, openai) and why (never the key).

    ``auto`` picks ``openai`` when an API key or a base URL is configured, else ``extractive``.
    """
    if requested == "extractive":
        return "extractive", "requested"
    if requested == "openai":
        return "openai", "requested"
    if requested != "auto":
        raise ConfigError(f"unknown backend {requested!r} (choose from {', '.join(BACKEND_NAMES)})")
    openai = settings.openai
    if openai.base_url:
        return "openai", "OpenAI-compatible base URL configured"
    if openai.api_key is not None and openai.api_key.get_secret_value():
        return "openai", "API key configured"
    return "extractive", "no OPENAI_API_KEY or OPENAI_BASE_URL set"


def get_backend(name: str, settings: Settings) -> Backend:
    """Build the backend called ``name`` (``extractive`` or ``openai``) from ``settings``.

    Backends are imported here, lazily, so ``litdigest clean`` never loads the LLM stack.
    """
    if name == "extractive":
        from litdigest.summarize.backends.extractive import ExtractiveBackend

        return ExtractiveBackend.from_settings(settings.summarize)
    if name == "openai":
        openai = settings.openai
        has_key = openai.api_key is not None and bool(openai.api_key.get_secret_value())
        if not has_key and not openai.base_url:
            raise ConfigError(
                "the openai backend needs an API key (OPENAI_API_KEY) or an OpenAI-compatible "
                "server URL (OPENAI_BASE_URL or --base-url)"
            )
        # Without a key (a local server) the backend sends a placeholder key.
        from litdigest.summarize.backends.openai import OpenAIBackend

        return OpenAIBackend(settings)
    raise ConfigError(f"unknown backend {name!r} (choose extractive or openai)")
