"""Repair of PDF text layers: hard-wrapped lines and lost hyphenation. (stub: to be written)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RepairStats:
    hyphenations_repaired: int = 0
    line_breaks_joined: int = 0


def looks_hard_wrapped(text: str) -> bool:
    """True when the text looks like a PDF text layer with lines broken mid-paragraph."""
    return False


def repair_pdf_text(text: str, *, dehyphenate: bool = True) -> tuple[str, RepairStats]:
    """Join wrapped lines into paragraphs (blank line between paragraphs) and rejoin split words."""
    return text, RepairStats()
