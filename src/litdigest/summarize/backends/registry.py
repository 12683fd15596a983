"""The backend registry: name -> factory ``(Settings) -> Backend``.

Backends are found through the entry-point group ``litdigest.backends``; litdigest's own
(``extractive``, ``openai``) are declared there in ``pyproject.toml`` exactly as a third-party
package would declare its own::

    [project.entry-points."litdigest.backends"]
    mybackend = "mypackage.backend:create"   # create(settings) -> Backend

``register(name, factory)`` adds one at run time (tests, scripts); it wins over an entry point
of the same name. Entry points are loaded only when their backend is built, so listing the
names never imports the LLM stack.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Final

from litdigest.errors import ConfigError

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.summarize.backends.base import Backend

__all__ = ["ENTRY_POINT_GROUP", "BackendFactory", "available", "create", "register", "unregister"]

ENTRY_POINT_GROUP: Final = "litdigest.backends"

BackendFactory = Callable[["Settings"], "Backend"]

# Used only when litdigest's own entry points are missing (src/ on sys.path, not installed).
_BUILTIN: Final[dict[str, str]] = {
    "extractive": "litdigest.summarize.backends.builtin:extractive_v3",
    "extractive-v2": "litdigest.summarize.backends.builtin:extractive",
    "extractive-v3": "litdigest.summarize.backends.builtin:extractive_v3",
    "openai": "litdigest.summarize.backends.builtin:openai",
}

_registered: dict[str, BackendFactory] = {}


def register(name: str, factory: BackendFactory) -> None:
    """Make ``factory`` the backend called ``name`` (replacing any other of that name)."""
    if not name or name == "auto":
        raise ValueError(f"invalid backend name {name!r}")
    _registered[name] = factory


def unregister(name: str) -> None:
    """Forget a backend added with ``register`` (entry points stay)."""
    _registered.pop(name, None)


def _entry_points() -> dict[str, EntryPoint]:
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for name, value in _BUILTIN.items():
        found.setdefault(name, EntryPoint(name, value, ENTRY_POINT_GROUP))
    return found


def available() -> list[str]:
    """Every backend name that can be built, sorted."""
    return sorted(set(_entry_points()) | set(_registered))


def create(name: str, settings: Settings) -> Backend:
    """Build the backend called ``name``; ``ConfigError`` if there is none."""
    factory = _registered.get(name)
    if factory is None:
        entry = _entry_points().get(name)
        if entry is None:
            choices = ", ".join(available())
            raise ConfigError(f"unknown backend {name!r} (choose from {choices})")
        factory = entry.load()
    return factory(settings)
