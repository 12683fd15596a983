"""HTML ingest through a maintained main-content extractor. (stub: to be written)"""

from __future__ import annotations

from litdigest.models import RawRecord


def read_html(data: bytes, source: str) -> list[RawRecord]:
    """Extract the main article content and metadata from an HTML page."""
    raise NotImplementedError
