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

from litdigest.clean.pdf_repair import is_section_heading

__all__ = ["PageCleanStats", "clean_pages"]

_ZONE = 4  # first and last non-empty lines of a page that may be a running head or footer
_MIN_SHARE = 0.3  # ... on at least this share of the pages (and at least two)
_DIGITS_RE = re.compile(r"\d+")
_PAGE_OF_RE = re.compile(r"\bpage # of #|\bpage #$|# (?:of|/) #|^# |\s#$|^#$")
_PAGE_NUMBER_RE = re.compile(
    r"(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?", re.I
)
_RULE_RE = re.compile(r"[\W_]+")  # "........", "————"
_STOP = frozenset(
    "a an and are as at be by for from has have in into is it its of on or that the their these "
    "this to was were which with we our not than".split()
)
_SENTENCE_END_RE = re.compile(r"[.!?][\"'’”)\]]*$")
_CAPTION_RE = re.compile(r"^(?:fig(?:ure)?s?\.?|table|box|scheme)\s*S?\d+[a-z]?\s*[:.|]", re.I)
_CELL_MAX_WORDS = 12
_SHORT_CELL_WORDS = 4  # "treatment or at": a wrapped cell, whatever its words
_URL_LINE_RE = re.compile(r"(?:https?://|www\.|doi:\s?|dx\.doi\.org/)\S+", re.IGNORECASE)
_ZONE_BLOCK_WORDS = 8
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
    zone = _zone(lines)
    dropped: set[int] = set()
    for i in zone:
        line = lines[i].strip()
        if (
            _key(line) in keys
            or _PAGE_NUMBER_RE.fullmatch(line)
            or (_RULE_RE.fullmatch(line) and len(line) >= 3)
            or _URL_LINE_RE.fullmatch(line)
        ):
            dropped.add(i)
            continue
        rest = _strip_merged(line, keys) if len(line) > 20 else None
        if rest is not None:
            lines[i] = rest
            stats.furniture_lines += 1
    # A publisher block around the furniture ("Hindawi Publishing Corporation" / "Volume 2016,
    # Article ID 2527349, 5 pages" / URL): short non-prose lines next to dropped ones.
    grown = True
    while grown:
        grown = False
        for i in zone:
            if i in dropped or not lines[i].strip():
                continue
            near = any(j in dropped for j in _neighbours(lines, i))
            line = lines[i].strip()
            if (
                near
                and len(line.split()) <= _ZONE_BLOCK_WORDS
                and _kind(line) in ("num", "cell")
                and not is_section_heading(line)
            ):
                dropped.add(i)
                grown = True
    for i in dropped:
        lines[i] = ""
    stats.furniture_lines += len(dropped)


def _neighbours(lines: list[str], i: int) -> list[int]:
    """Indices of the non-empty lines just before and after line ``i``."""
    out: list[int] = []
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(lines) and not lines[j].strip():
            j += step
        if 0 <= j < len(lines):
            out.append(j)
    return out


# --- tables ----------------------------------------------------------------------------------


_MONTH_YEAR_RE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (?:\d{1,2},? )?(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_MIN_NUM_ROWS = 3
_NUMERIC_TOKEN_RE = re.compile(r"\S*\d\S*")
_HEADING_WORDS = 8


def _kind(line: str) -> str:
    """Kind of line: "num" (a row of numbers), "cell" (a short label) or "prose"."""
    words = line.split()
    if not words:
        return "blank"
    numeric = len(_NUMERIC_TOKEN_RE.findall(line))
    if numeric < 2 and len(words) > _CELL_MAX_WORDS:
        return "prose"
    if (len(words) <= _HEADING_WORDS and is_section_heading(line)) or (
        numeric and _MONTH_YEAR_RE.search(line)
    ):
        return "prose"  # "References", "Received: 18 December 2013 Accepted: ..."
    stops = sum(w.lower().strip(",;:()") in _STOP for w in words)
    share = numeric / len(words)
    if numeric >= 2 and (share >= _NUM_SHARE or (share >= _NUM_SHARE_NO_STOP and not stops)):
        return "num"
    if (
        not _SENTENCE_END_RE.search(line)
        and not _CAPTION_RE.match(line)
        and (
            len(words) <= _SHORT_CELL_WORDS
            or (len(words) <= _CELL_MAX_WORDS and stops <= 0.15 * len(words))
        )
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
        joined = "".join(run)
        rows = "num" * _MIN_NUM_ROWS in joined  # three rows of numbers in a row
        # Figure text (axis ticks and labels): two number lines together among labels.
        words = sum(len(lines[k].split()) for k in range(i, j))
        figure = (
            "numnum" in joined
            and len(run) >= _MIN_NUM_ROWS
            and words <= _FIGURE_WORDS_PER_LINE * len(run)
        )
        if (n_num >= _MIN_NUM_ROWS and (rows or n_num >= 0.3 * len(run))) or one_line or figure:
            for k in range(i, j):
                if lines[k].strip():
                    stats.table_lines += 1
                lines[k] = ""
        i = j


_TABLE_CAPTION_RE = re.compile(r"^Table\s*S?\d+[A-Za-z]?(?:\s*[.:|]|\s+[A-Z(])")
_BODY_RUN = 3  # column-wide prose lines in a row: the text has resumed after a table
_BODY_WORDS = 5
_FIGURE_WORDS_PER_LINE = 6  # axis ticks and labels are short
_CELL_SHARE = 0.3
_WIDE = 1.5  # a table region has at least this share of cell and number lines


def _column_width(pages: list[list[str]]) -> int:
    """Median length of the longer lines: the width of the body text column."""
    lengths = sorted(len(x.strip()) for lines in pages for x in lines if len(x.split()) >= 6)
    return lengths[len(lengths) // 2] if lengths else 0


def _caption_end(lines: list[str], start: int) -> int:
    """Index after the caption starting at ``start``: it runs on while its lines are full."""
    first = len(lines[start].strip())
    end = start + 1
    while end < len(lines) and len(lines[end - 1].strip()) >= 0.85 * first and lines[end].strip():
        if _kind(lines[end].strip()) == "num":
            break
        end += 1
    return end


def _strip_table_regions(lines: list[str], width: int, stats: PageCleanStats) -> None:
    """Rows of a table whatever their words (cells may quote prose): from the end of a
    "Table N" caption to where prose lines of the column's width resume."""
    i = 0
    while i < len(lines):
        if not _TABLE_CAPTION_RE.match(lines[i].strip()):
            i += 1
            continue
        start = _caption_end(lines, i)
        j, run = start, 0
        while j < len(lines) and run < _BODY_RUN:
            line = lines[j].strip()
            body = (
                0.8 * width <= len(line) <= 1.1 * width
                and len(line.split()) >= _BODY_WORDS
                and _kind(line) != "num"
            )
            run = run + 1 if body else 0
            j += 1
        end = j - run if run >= _BODY_RUN else j
        region = [x.strip() for x in lines[start:end] if x.strip()]
        cells = sum(_kind(x) in ("cell", "num") for x in region)
        # Rows set across both columns of a two-column page are wider than its text.
        wide = bool(region) and sorted(map(len, region))[len(region) // 2] >= _WIDE * width
        if region and (cells >= _CELL_SHARE * len(region) or wide):
            for k in range(start, end):
                if lines[k].strip():
                    stats.table_lines += 1
                lines[k] = ""
        i = max(end, i + 1)


def _join_comma_lines(page: str) -> list[str]:
    """Lines starting with a comma continue the line before (superscripts break bylines:
    "Nobuyuki Yamaguchi2" / ", Beth Shapiro3")."""
    lines: list[str] = []
    for line in page.split("\n"):
        if line.startswith(",") and lines and lines[-1].strip():
            lines[-1] += line
        else:
            lines.append(line)
    return lines


def _drop_rules(lines: list[str], stats: PageCleanStats) -> None:
    """Lines of dots or dashes (rules, leaders) are never text."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if len(stripped) >= 3 and _RULE_RE.fullmatch(stripped.replace(" ", "")):
            lines[i] = ""
            stats.furniture_lines += 1


def clean_pages(pages: list[str]) -> tuple[list[str], PageCleanStats]:
    """Pages without running heads, footers, page numbers and table rows."""
    stats = PageCleanStats()
    split = [_join_comma_lines(page) for page in pages]
    for lines in split:
        _drop_rules(lines, stats)
    keys = _furniture_keys(split) if len(split) >= 2 else set()
    width = _column_width(split)
    for lines in split:
        _strip_furniture(lines, keys, stats)
        _strip_tables(lines, stats)
        _strip_table_regions(lines, width, stats)
    return ["\n".join(lines) for lines in split], stats
