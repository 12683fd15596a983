"""Page-1 layout from pypdfium2's character boxes: the title (largest type) and the byline.

Each line of page 1 gets the median height of its characters' loose boxes (the font size as
set on the page). The title is the run of consecutive lines set in the largest type that
holds a few words (an article-type label such as "Research Article" is shorter); the byline
is the run of lines just under it in the next type size.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from dataclasses import dataclass
from typing import Any

__all__ = ["PageOneLayout", "page_one_layout"]

_MAX_CHARS = 20_000  # page 1 of a real article has a few thousand characters
_SIZE_TOLERANCE = 0.6  # points: lines of one type size differ by less than this
_MIN_TITLE_WORDS = 3
_MAX_TITLE_CHARS = 400
_MAX_BYLINE_CHARS = 800
_TITLE_LINES = 6
# A trailing "[v2; ref status: indexed, http://...]" is a platform note, not part of the title.
_TITLE_NOTE_RE = re.compile(r"\s*\[[^\]]*(?:ref status|https?://)[^\]]*\]\s*$", re.IGNORECASE)
_LABEL_RE = re.compile(
    r"^(?:research|review|original|clinical|case|brief|short|editorial|letter|commentary|"
    r"perspective|report|note|article|study|communication|open access|research note)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PageOneLayout:
    title: str | None
    byline: str | None


@dataclass
class _Line:
    text: str
    size: float


def _lines(textpage: Any) -> list[_Line]:
    import pypdfium2.raw as pdfium_c

    handle = textpage.raw
    n_chars = min(textpage.count_chars(), _MAX_CHARS)
    rect = pdfium_c.FS_RECTF()
    lines: list[_Line] = []
    chars: list[str] = []
    sizes: list[float] = []
    for i in range(n_chars):
        code = pdfium_c.FPDFText_GetUnicode(handle, i)
        if 0xD800 <= code < 0xE000 or code in (0xFFFE, 0xFFFF):
            continue  # halves of a surrogate pair (math italics) and pdfium's hyphen marks
        char = chr(code)
        if char in "\r\n":
            if chars:
                lines.append(_Line("".join(chars), statistics.median(sizes) if sizes else 0.0))
            chars, sizes = [], []
            continue
        chars.append(char)
        if not char.isspace() and pdfium_c.FPDFText_GetLooseCharBox(handle, i, ctypes.byref(rect)):
            sizes.append(rect.top - rect.bottom)
    if chars:
        lines.append(_Line("".join(chars), statistics.median(sizes) if sizes else 0.0))
    return [line for line in lines if line.text.strip()]


def _runs(lines: list[_Line]) -> list[tuple[int, int]]:
    """[start, end) of each run of consecutive lines in one type size."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(lines) + 1):
        if i == len(lines) or abs(lines[i].size - lines[start].size) > _SIZE_TOLERANCE:
            runs.append((start, i))
            start = i
    return runs


def _join(lines: list[_Line]) -> str:
    out = ""
    for line in lines:
        text = " ".join(line.text.split())
        if not out:
            out = text
        elif out.endswith("-") and not out.endswith(" -"):
            out += text
        else:
            out += " " + text
    return out


def _body_size(lines: list[_Line]) -> float:
    """The type size that sets the most characters of the page."""
    chars: dict[float, int] = {}
    for line in lines:
        key = round(line.size)
        chars[key] = chars.get(key, 0) + len(line.text)
    return float(max(chars, key=lambda k: chars[k])) if chars else 0.0


def _title_run(lines: list[_Line], runs: list[tuple[int, int]]) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    body = _body_size(lines)
    for start, end in runs:
        if lines[start].size < body + 1.0:
            continue  # the title is set larger than the text
        if end - start > _TITLE_LINES:
            continue
        text = _join(lines[start:end])
        words = text.split()
        if len(words) < _MIN_TITLE_WORDS or len(text) > _MAX_TITLE_CHARS:
            continue
        if len(words) <= 4 and _LABEL_RE.match(text):
            continue
        if sum(c.isalpha() for c in text) < 0.6 * len(text.replace(" ", "")):
            continue
        if best is None or lines[start].size > lines[best[0]].size + _SIZE_TOLERANCE:
            best = (start, end)
    return best


def page_one_layout(page: Any) -> PageOneLayout:
    """Title and byline of a pypdfium2 page (page 1 of the article)."""
    textpage = page.get_textpage()
    try:
        lines = _lines(textpage)
    finally:
        textpage.close()
    runs = _runs(lines)
    found = _title_run(lines, runs)
    if found is None:
        return PageOneLayout(None, None)
    start, end = found
    title = _TITLE_NOTE_RE.sub("", _join(lines[start:end])).strip()
    byline: str | None = None
    after = next((r for r in runs if r[0] == end), None)
    if after is not None and lines[after[0]].size < lines[start].size:
        text = _join(lines[after[0] : after[1]])
        byline = text if len(text) <= _MAX_BYLINE_CHARS else None
    return PageOneLayout(title or None, byline)
