"""Messages that screens and widgets post; the app handles them (screens never import it)."""

from __future__ import annotations

from textual.message import Message

from litdigest.review.export import ExportFormat

__all__ = ["DigestExportRequested"]


class DigestExportRequested(Message):
    """Write the accepted-claims digest in ``fmt`` (handled by the app)."""

    def __init__(self, fmt: ExportFormat) -> None:
        super().__init__()
        self.fmt: ExportFormat = fmt
