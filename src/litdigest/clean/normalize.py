"""Character-level normalisation applied to every text before cleaning. (stub: to be written)"""

from __future__ import annotations


def normalize_text(text: str) -> str:
    """Unicode/whitespace normalisation and mojibake repair; keeps line structure."""
    return text
