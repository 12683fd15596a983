"""Summarizer backends: ``extractive`` (offline, deterministic), ``openai`` (any
OpenAI-compatible server), and any other registered in ``backends.registry``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from litdigest.errors import ConfigError

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.summarize.backends.base import Backend

__all__ = ["BACKEND_NAMES", "BackendName", "choose_backend", "get_backend"]

BackendName = Literal["extractive", "openai"]
BACKEND_NAMES: Final[tuple[str, ...]] = ("auto", "extractive", "openai")


def choose_backend(requested: str, settings: Settings) -> tuple[str, str]:
    """The backend to use for ``requested`` (auto, extractive, openai) and why (never the key).

    ``auto`` picks ``openai`` when an API key or a base URL is configured, else ``extractive``.
    """
    if requested != "auto":
        from litdigest.summarize.backends import registry

        if requested not in registry.available():
            choices = ", ".join(["auto", *registry.available()])
            raise ConfigError(f"unknown backend {requested!r} (choose from {choices})")
        return requested, "requested"
    openai = settings.openai
    if openai.base_url:
        return "openai", "OpenAI-compatible base URL configured"
    if openai.api_key is not None and openai.api_key.get_secret_value():
        return "openai", "API key configured"
    return "extractive", "no OPENAI_API_KEY or OPENAI_BASE_URL set"


def get_backend(name: str, settings: Settings) -> Backend:
    """Build the backend called ``name`` from ``settings`` (see ``backends.registry``)."""
    from litdigest.summarize.backends import registry

    return registry.create(name, settings)
