"""Metadata stated in page text: citation lines, DOIs, journal/year. (stub: to be written)"""

from __future__ import annotations

from litdigest.models import Metadata


def extract_metadata(raw_text: str, cleaned_text: str) -> Metadata:
    """Title, authors, journal, year and DOI where the text states them."""
    return Metadata()
