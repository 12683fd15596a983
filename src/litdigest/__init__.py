"""litdigest: grounded, structured summaries of life-science review articles.

The Python API lives in ``litdigest.api`` (``summarize``, ``clean``, ``open_store``); the
package exposes it lazily, so ``import litdigest`` stays fast. ``summarize`` and ``clean``
are the names of layer packages too, so at the top level they are ``summarize_files`` and
``clean_file``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "clean_file", "open_store", "summarize_files"]

_API = {"summarize_files": "summarize", "clean_file": "clean", "open_store": "open_store"}


def __getattr__(name: str) -> Any:
    if name in _API:  # imported by name: the root package does not depend on the layers
        return getattr(import_module("litdigest.api"), _API[name])
    raise AttributeError(f"module 'litdigest' has no attribute {name!r}")
