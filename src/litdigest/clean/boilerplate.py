"""Boilerplate removal for scraped page text. (stub: to be written)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BoilerplateStats:
    lines_kept: int = 0
    lines_dropped: int = 0
    duplicates_dropped: int = 0


def strip_boilerplate(text: str, *, drop_references: bool = True) -> tuple[str, BoilerplateStats]:
    """Keep title, standfirst/abstract, body paragraphs and figure captions; drop the rest.

    The title, when present, is the first line of the result. Paragraphs are separated by a
    blank line.
    """
    return text, BoilerplateStats()
