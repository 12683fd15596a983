"""The backends the review app can summarize with, and why each unusable one is unusable.

Every name in the backend registry is listed: ``extractive`` (always usable, offline),
``openai`` (checked from the settings without importing the LLM stack) and any other
registered backend (built once to see whether it can be; its error is the reason).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from litdigest.config import OpenAISettings, Settings

__all__ = ["BackendChoice", "backend_choices"]

_FIRST: Final = ("extractive", "openai")


@dataclass(frozen=True, slots=True)
class BackendChoice:
    name: str
    model: str = ""
    unavailable: str | None = None  # why it cannot be used (None: it can)

    @property
    def available(self) -> bool:
        return self.unavailable is None


def openai_problem(openai: OpenAISettings) -> str | None:
    """Why the ``openai`` backend cannot be used with these settings (never shows the key)."""
    if importlib.util.find_spec("langchain_openai") is None:
        return "langchain-openai is not installed (pip install litdigest)"
    if openai.base_url:
        try:
            parts = urlsplit(openai.base_url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok:
            return (
                "the base URL is not an http(s) URL with a host "
                "(OPENAI_BASE_URL or LITDIGEST_OPENAI__BASE_URL)"
            )
        return None
    if openai.api_key is None or not openai.api_key.get_secret_value():
        return (
            "no API key (set OPENAI_API_KEY or LITDIGEST_OPENAI__API_KEY, "
            "or OPENAI_BASE_URL for a local server)"
        )
    return None


def _other(name: str, settings: Settings) -> BackendChoice:
    from litdigest.summarize.backends import registry

    try:
        backend = registry.create(name, settings)
    except Exception as exc:  # a third-party factory may raise anything: that is the reason
        reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return BackendChoice(name, unavailable=" ".join(str(reason).split()))
    return BackendChoice(name, model=str(getattr(backend, "model", "") or ""))


def backend_choices(settings: Settings) -> list[BackendChoice]:
    """Every registered backend, ``extractive`` and ``openai`` first, each with its reason
    if it cannot be used."""
    from litdigest.summarize.backends import registry

    names = registry.available()
    ordered = [n for n in _FIRST if n in names] + [n for n in names if n not in _FIRST]
    choices: list[BackendChoice] = []
    for name in ordered:
        if name == "extractive":
            choices.append(BackendChoice(name))
        elif name == "openai":
            openai = settings.openai
            choices.append(BackendChoice(name, openai.model, openai_problem(openai)))
        else:
            choices.append(_other(name, settings))
    return choices
