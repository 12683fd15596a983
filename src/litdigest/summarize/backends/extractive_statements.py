"""Statements of extractive claims: the quoted sentence, trimmed of what a reader skips.

Trimmed: leading connectives ("Moreover,", "In this Review, we"), numbered citations
("[12]", "[3–5, 9]"), author–year citations ("(Smith et al., 2019; Lee 2020)") and
parentheses left holding only citations. Never touched: numbers, statistics, units and their
brackets. A bracket right after a letter ("F[1,3] = 81.04", "IL[2]") or before "=", "<", ">"
is a statistic, not a citation; so is anything with a decimal point, "%" or a unit.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CONNECTIVE_V2_RE", "finish_statement", "statement"]

_CONNECTIVES: Final = (
    r"Moreover|Furthermore|However|In addition|Additionally|Indeed|Importantly|Notably|"
    r"Interestingly|Conversely|Similarly|Likewise|Thus|Therefore|Hence|Consequently|"
    r"Accordingly|Of course|In particular|In contrast|By contrast|Finally|First(?:ly)?|"
    r"Second(?:ly)?|Third(?:ly)?|Lastly|Also|Briefly|Strikingly|Remarkably|Encouragingly|"
    r"Nevertheless|Nonetheless|For example|For instance|Specifically|As such|Here|Mechanistically|"
)
_SUMMING_UP: Final = r"Taken together|Together|Overall|In summary|In conclusion|Collectively|"
_IN_THIS: Final = r"In this (?:Review|review|article|Perspective|perspective|study|Focus|paper)"
_CONNECTIVE_END: Final = r"(?:[,:]\s*|\s?[—–]\s*|\s+(?=we\b))"
_CONNECTIVE_RE: Final = re.compile(
    rf"^(?:(?:{_CONNECTIVES}{_SUMMING_UP}{_IN_THIS}){_CONNECTIVE_END})+"
)
# The leading connectives of the v2 backend's statements (no summing-up phrases).
CONNECTIVE_V2_RE: Final = re.compile(rf"^(?:(?:{_CONNECTIVES}{_IN_THIS}){_CONNECTIVE_END})+")
# One numbered citation group: [12], [3-5], [3–5, 9], [1], [2] ...; not after a letter or digit
# (F[1,3]) and not before a comparison (x[2] = 4).
_NUMBERED: Final = r"\[\d{1,3}(?:\s?[–-]\s?\d{1,3})?(?:\s?,\s?\d{1,3}(?:\s?[–-]\s?\d{1,3})?)*\]"
_NUMBERED_RE: Final = re.compile(
    rf"(?<![\w\])])\s?{_NUMBERED}(?:\s?[–,-]?\s?{_NUMBERED})*(?!\s?[=<>≤≥])"
)
_AUTHOR_YEAR: Final = (
    r"[A-Z][A-Za-z'’-]+(?:\s(?:et\sal\.?|and\s[A-Z][A-Za-z'’-]+|&\s[A-Z][A-Za-z'’-]+))?,?\s"
    r"(?:19|20)\d\d[a-z]?"
)
_AUTHOR_YEAR_RE: Final = re.compile(
    rf"\s?\((?:(?:see|e\.g\.,?|reviewed in|cf\.)\s)?{_AUTHOR_YEAR}(?:\s?[;,]\s?{_AUTHOR_YEAR})*\)"
)
_EMPTY_PARENS_RE: Final = re.compile(
    r"\s?\(\s*(?:(?:see|e\.g\.,?|refs?\.?|reviewed in)\s*)?[;,]?\s*\)"
)
_SPACE_BEFORE_PUNCT_RE: Final = re.compile(r"\s+([.,;:])")


def statement(sentence: str) -> str:
    """The claim statement of a quoted sentence (see the module docstring)."""
    flat = " ".join(sentence.split())
    trimmed = _CONNECTIVE_RE.sub("", flat)
    # Each pattern needs its bracket: a substring test spares it on most sentences.
    if "[" in trimmed:
        trimmed = _NUMBERED_RE.sub("", trimmed)
    if "(" in trimmed:
        trimmed = _AUTHOR_YEAR_RE.sub("", trimmed)
        trimmed = _EMPTY_PARENS_RE.sub("", trimmed)
    trimmed = " ".join(_SPACE_BEFORE_PUNCT_RE.sub(r"\1", trimmed).split())
    return finish_statement(flat, trimmed)


def finish_statement(flat: str, trimmed: str) -> str:
    """``trimmed`` (the sentence ``flat`` trimmed) without an unbalanced quote mark and with a
    capital first letter; ``flat`` itself when under 4 words are left."""
    # A sentence cut out of a longer quotation keeps an unbalanced quote mark: drop it.
    if trimmed.startswith("“") and "”" not in trimmed:
        trimmed = trimmed[1:]
    if trimmed.endswith("”") and "“" not in trimmed:
        trimmed = trimmed[:-1]
    if len(trimmed.split()) < 4:
        return flat
    if trimmed[0].islower() and (len(trimmed) == 1 or not trimmed[1].isupper()):
        trimmed = trimmed[0].upper() + trimmed[1:]
    return trimmed
