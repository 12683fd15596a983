"""The review app (``litdigest review``), built with Textual."""

from __future__ import annotations

__all__ = ["review_command"]

from litdigest.tui.cli import review_command
