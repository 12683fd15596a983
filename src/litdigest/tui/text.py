"""Untrusted text for display: literal, one character for one character, no control codes.

Document text, titles, statements, quotes and notes come from scraped pages or from a
model. They are never parsed as Textual markup (every widget gets ``Content`` built from plain
strings, or ``markup=False``), and control characters are replaced *one for one* by visible
symbols, so character offsets into the cleaned text (quote spans) still hold for the
displayed string:

* C0 controls (ESC of an ANSI sequence, BEL, CR, backspace…) become their Unicode "control
  picture" (``\\x1b`` → ``␛``), DEL becomes ``␡``; newline stays, a tab becomes a space;
* C1 controls and bidirectional overrides/isolates (which could reorder what is shown)
  become ``�``.
"""

from __future__ import annotations

from typing import Final

from textual.content import Content

from litdigest.text import ellipsize
from litdigest.text import one_line as text_one_line

__all__ = ["ellipsize", "one_line", "safe_text", "source_content"]

_REPLACEMENT: Final = "\ufffd"
_BIDI: Final = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
)


def _table() -> dict[int, str]:
    table: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20)}
    table[0x0A] = "\n"
    table[0x09] = " "
    table[0x7F] = "\u2421"
    for c in range(0x80, 0xA0):
        table[c] = _REPLACEMENT
    for ch in _BIDI:
        table[ord(ch)] = _REPLACEMENT
    return table


_TABLE: Final = _table()


def safe_text(text: str) -> str:
    """``text`` with every control character replaced by one visible character."""
    return text.translate(_TABLE)


def one_line(text: str) -> str:
    """Safe text on one line (whitespace runs collapsed)."""
    return text_one_line(safe_text(text))


def source_content(
    text: str, spans: list[tuple[int, int]], *, style: str, primary_style: str
) -> Content:
    """The cleaned text as literal ``Content`` with ``spans`` (character offsets) styled; the
    first span gets ``primary_style``."""
    content = Content(safe_text(text), strip_control_codes=False)
    length = len(text)
    for n, (start, end) in enumerate(spans):
        start, end = max(0, start), min(length, end)
        if start < end:
            content = content.stylize(primary_style if n == 0 else style, start, end)
    return content
