"""Page-level cleaning of a PDF text layer: running heads and footers, page numbers, tables.

The text arrives page by page (pages separated by form feeds). A running head or footer is a
line among the first or last few lines of a page that recurs, with only its digits changed,
on many pages: "Barnett et al. BMC Evolutionary Biology 2014, 14:70 Page 3 of 11" and the
page-1 form without "Page 1 of 11" are one line. A line that starts or ends with such a line
("4 Gastroenterology Research and Practice Table 3: ...") loses that part.

Tables are runs of lines that are cells rather than prose: mostly numbers, or short lines
without function words and sentence ends. Their rows are removed (the caption, prose, stays);
summarizers have nothing to take from run-on rows of numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["PageCleanStats", "clean_pages"]

_ZONE = 4  # first and last non-empty lines of a page that may be a running head or footer
_MIN_SHARE = 0.3  # ... on at least this share of the pages (and at least two)
_DIGITS_RE = re.compile(r"\d+")
_PAGE_OF_RE = re.compile(r"\bpage # of #|# (?:of|/) #|^# |\s#$|^#$")
_PAGE_NUMBER_RE = re.compile(
    r"(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?", re.I
)
_RULE_RE = re.compile(r"[\W_]+")  # "........", "————"
_WORD_RE = re.compile(r"\S+")
_STOP = frozenset(
    "a an and are as at be by for from has have in into is it its of on or that the their these "
    "this to was were which with we our not than".split()
)
_SENTENCE_END_RE = re.compile(r"[.!?][\"'’”)\]]*$")
_CAPTION_RE = re.compile(r"^(?:fig(?:ure)?s?\.?|table|box|scheme)\s*S?\d+[a-z]?\s*[:.|]", re.I)
_CELL_MAX_WORDS = 12
_NUM_SHARE = 0.4
_NUM_SHARE_NO_STOP = 0.3
_ONE_LINE_TABLE_WORDS = 40  # a whole table on one line (a rotated page)


@dataclass
class PageCleanStats:
    furniture_lines: int = 0
    table_lines: int = 0


def _key(line: str) -> str:
    key = _DIGITS_RE.sub("#", " ".join(line.lower().split()))
    key = _PAGE_OF_RE.sub(" ", key)
    return " ".join(key.split()).strip(" #|·•-–—")


def _zone(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:_ZONE] + filled[-_ZONE:]))


def _furniture_keys(pages: list[list[str]]) -> set[str]:
    seen: dict[str, set[int]] = {}
    for number, lines in enumerate(pages):
        for i in _zone(lines):
            key = _key(lines[i])
            if len(key) >= 4:
                seen.setdefault(key, set()).add(number)
    need = max(2, math.ceil(_MIN_SHARE * len(pages)))
    return {k for k, on in seen.items() if len(on) >= need}


def _strip_merged(line: str, keys: set[str]) -> str | None:
    """``line`` without a running head at its start or end; None when there is none."""
    words = line.split()
    for n in range(min(len(words) - 1, 16), 1, -1):
        if _key(" ".join(words[:n])) in keys:
            return " ".join(words[n:])
        if _key(" ".join(words[-n:])) in keys:
            return " ".join(words[:-n])
    return None


def _strip_furniture(lines: list[str], keys: set[str], stats: PageCleanStats) -> None:
    for i in _zone(lines):
        line = lines[i].strip()
        if (
            _key(line) in keys
            or _PAGE_NUMBER_RE.fullmatch(line)
            or (_RULE_RE.fullmatch(line) and len(line) >= 3)
        ):
            lines[i] = ""
            stats.furniture_lines += 1
            continue
        rest = _strip_merged(line, keys) if len(line) > 20 else None
        if rest is not None:
            lines[i] = rest
            stats.furniture_lines += 1


# --- tables ----------------------------------------------------------------------------------


def _kind(line: str) -> str:
    """Kind of line: "num" (a row of numbers), "cell" (a short label) or "prose"."""
    words = _WORD_RE.findall(line)
    if not words:
        return "blank"
    numeric = sum(any(c.isdigit() for c in w) for w in words)
    stops = sum(w.lower().strip(",;:()") in _STOP for w in words)
    share = numeric / len(words)
    if numeric >= 2 and (share >= _NUM_SHARE or (share >= _NUM_SHARE_NO_STOP and not stops)):
        return "num"
    if (
        len(words) <= _CELL_MAX_WORDS
        and not _SENTENCE_END_RE.search(line)
        and stops <= 0.15 * len(words)
        and not _CAPTION_RE.match(line)
    ):
        return "cell"
    return "prose"


def _strip_tables(lines: list[str], stats: PageCleanStats) -> None:
    kinds = [_kind(line.strip()) for line in lines]
    i = 0
    while i < len(lines):
        if kinds[i] not in ("num", "cell"):
            i += 1
            continue
        j = i
        while j < len(lines) and kinds[j] in ("num", "cell", "blank"):
            j += 1
        run = [k for k in kinds[i:j] if k != "blank"]
        n_num = run.count("num")
        one_line = n_num == 1 and len(run) == 1 and len(lines[i].split()) >= _ONE_LINE_TABLE_WORDS
        if (n_num >= 2 and n_num >= 0.3 * len(run)) or one_line:
            for k in range(i, j):
                if lines[k].strip():
                    stats.table_lines += 1
                lines[k] = ""
        i = j


def clean_pages(pages: list[str]) -> tuple[list[str], PageCleanStats]:
    """Pages without running heads, footers, page numbers and table rows."""
    stats = PageCleanStats()
    split = [page.split("\n") for page in pages]
    keys = _furniture_keys(split) if len(split) >= 2 else set()
    for lines in split:
        _strip_furniture(lines, keys, stats)
        _strip_tables(lines, stats)
    return ["\n".join(lines) for lines in split], stats
