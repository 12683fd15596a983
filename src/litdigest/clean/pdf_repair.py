"""Repair of PDF text layers: hard-wrapped lines and lost hyphenation.

Page furniture goes first: page numbers, running heads and footers (recognised by their shape, or
by recurring next to page breaks with only their digits changing) are dropped, so that a
paragraph interrupted by a page break is joined back together. A journal running head at the top
of the first page ("J Clin Invest 2021; 131: 1-9   REVIEW") is kept as a paragraph of its own.

A PDF text layer breaks every paragraph into lines of the column width, and words hyphenated
at a line end either keep the hyphen (``immuno-`` / ``genicity``) or lose it altogether
(``endur`` / ``ing``). ``repair_pdf_text`` joins the lines of each paragraph and decides, for
every line end, whether the two sides are one word (join without a space, dropping a
line-break hyphen), a hyphenated compound (keep the hyphen) or two words (join with a space).
The decision uses English word frequencies (wordfreq) and the document's own vocabulary.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import zipf_frequency

__all__ = [
    "RepairStats",
    "is_front_matter_field",
    "is_running_head",
    "is_section_heading",
    "looks_hard_wrapped",
    "repair_pdf_text",
]


@dataclass
class RepairStats:
    hyphenations_repaired: int = 0
    line_breaks_joined: int = 0


# --- word frequencies -----------------------------------------------------------------------

# Zipf of a common English word (function words and the like are above ~5.5).
_FUNCTION_WORD_ZIPF = 5.5
# A string below this Zipf is treated as a fragment rather than a word.
_FRAGMENT_ZIPF = 1.0
_PART_WORD_ZIPF = 1.5
# Join two parts into one word when  P(joined) > P(left) * P(right) * 10**_JOIN_MARGIN
# in the unigram model, i.e.  zipf(joined) + 9 > zipf(left) + zipf(right) + _JOIN_MARGIN.
_JOIN_MARGIN = 2.0
# ... and be nearly as common as the rarer part: "health care" stays two words.
_RARER_PART_SLACK = 0.5

# Prefixes that are (almost) never a word of their own in prose: "anti" + "tumour" is one word.
_BOUND_PREFIXES = frozenset(
    "anti auto chemo cyto haemato hemato hyper hypo immuno inter intra macro micro multi "
    "nano neuro non onco poly pseudo radio trans tumori tumouri".split()
)

# Prefixes often written with a hyphen: a hyphen after them at a line end is kept unless the
# joined word is common (re-search -> research) or the document spells it joined.
_HYPHEN_PREFIXES = frozenset(
    "anti auto bio co counter de hyper hypo inter intra micro multi non over post pre re self "
    "semi sub super trans ultra un under".split()
)
_COMMON_WORD_ZIPF = 4.0
# Suspended hyphens: "low- to moderate", "patient- and family-centred".
_SUSPENDED_NEXT = frozenset({"to", "or", "and", "nor", "versus", "vs"})

# Line-final words after which a sentence cannot end: the next line continues it.
_CONNECTORS = frozenset(
    "a an and are as at be by for from in into is of on or than that the their to via was "
    "were which with whose".split()
)


# British spellings with an American equivalent that wordfreq knows better.
_BRITISH_TO_AMERICAN = re.compile(
    r"our|aem|haem|^oes|rrhoea|paed|foet|faec|aetiol|isation|ise(?=[ds]?$)|ising$"
)
_AMERICAN = {
    "our": "or",
    "aem": "em",
    "haem": "hem",
    "oes": "es",
    "rrhoea": "rrhea",
    "paed": "ped",
    "foet": "fet",
    "faec": "fec",
    "aetiol": "etiol",
    "isation": "ization",
    "ise": "ize",
    "ising": "izing",
}


@lru_cache(maxsize=1 << 16)
def _zipf(word: str) -> float:
    """Zipf frequency of a lower-case word; British spellings fall back to American ones."""
    z: float = zipf_frequency(word, "en")
    if z == 0.0 and _BRITISH_TO_AMERICAN.search(word):
        z = zipf_frequency(_BRITISH_TO_AMERICAN.sub(lambda m: _AMERICAN[m.group()], word), "en")
    return z


# --- document vocabulary --------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


class _Vocab:
    """Counts of the document's words, hyphenated compounds and word pairs (lower-case)."""

    def __init__(self, text: str) -> None:
        self.words: Counter[str] = Counter()
        self.compounds: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        for line in text.lower().split("\n"):
            prev: str | None = None
            for token in _TOKEN_RE.findall(line):
                if "-" in token:
                    self.compounds[token] += 1
                    parts = token.split("-")
                    self.words.update(parts)
                    prev = parts[-1]
                    continue
                self.words[token] += 1
                if prev is not None:
                    self.pairs[(prev, token)] += 1
                prev = token

    def add(self, word: str) -> None:
        self.words[word.lower()] += 1


# --- deciding how a line end joins ------------------------------------------------------------

# A word at the end of a line, with an optional line-end hyphen.
_TAIL_RE = re.compile(r"(?:^|(?<=[\s(\[{/\"'‘“-]))([^\W\d_]+)(-?)$")
_HEAD_RE = re.compile(r"^([^\W\d_]+)")
_URL_TAIL_RE = re.compile(r"(?:https?://|www\.|doi:\s?|\b10\.\d{4,9}/)\S*$", re.IGNORECASE)
_URL_HEAD_RE = re.compile(r"^[\w/?&=#%~+.-]+")
_URL_JOIN_END = frozenset("/-_.?=&#%~+")
# Bullets that always start an item, and markers that do so only after the end of a sentence
# or another item ("(N =\n43) found" and "Scale\n- Cognition" are running text).
_BULLET_RE = re.compile(r"^[•▪◦●■]\s")
_LIST_MARKER_RE = re.compile(r"^(?:[*–—-]\s|\(?\d{1,3}[.)]\s|\[\d{1,3}\]\s?)")
_ITEM_END_RE = re.compile(r"[.!?:;][\"'’”)\]]*$")
_SENTENCE_END_RE = re.compile(r"[.!?:][\"'’”)\]]*$")
_SPACE_RUN_RE = re.compile(r"[ \t]{2,}")
_FORM_FEED_RE = re.compile(r"[ \t]*\f[ \t]*")


def _is_title_or_lower(word: str) -> bool:
    return word.islower() or (word[0].isupper() and (len(word) == 1 or word[1:].islower()))


def _is_fragment(word: str, vocab: _Vocab) -> bool:
    """Not an English word and not used as a word elsewhere in the document."""
    return _zipf(word) < _PART_WORD_ZIPF and vocab.words[word] <= 1


def _should_dehyphenate(left: str, right: str, vocab: _Vocab) -> bool:
    """For ``left-`` at a line end and ``right`` on the next line: drop the hyphen?"""
    if len(left) < 2 or not _is_title_or_lower(left) or not right.islower():
        return False  # T-cell, IFN-gamma, anti-PD-...
    lo = left.lower()
    joined = lo + right
    n_compound, n_joined = vocab.compounds[f"{lo}-{right}"], vocab.words[joined]
    if n_compound or n_joined:
        return n_joined > n_compound
    zl, zr, zj = _zipf(lo), _zipf(right), _zipf(joined)
    if lo in _HYPHEN_PREFIXES and zj < _COMMON_WORD_ZIPF:
        return False  # post-operative, re-assessed, non-steroidal: both spellings are in use
    if zj == 0.0:
        # Unknown as one word: a fragment on either side means a line-break hyphen, unless
        # both sides are long (lopinavir-ritonavir).
        if len(lo) >= 7 and len(right) >= 7:
            return False
        return _is_fragment(lo, vocab) or _is_fragment(right, vocab)
    if zl < _PART_WORD_ZIPF or zr < _PART_WORD_ZIPF:
        return True
    return zj + 9.0 > zl + zr + _JOIN_MARGIN and zj >= min(zl, zr) - _RARER_PART_SLACK


def _should_join(left: str, right: str, vocab: _Vocab) -> bool:
    """For ``left`` at a line end (no hyphen) and ``right`` next: one word whose hyphen was lost?"""
    # Hyphenation leaves at least two letters on the line and carries at least three over.
    if len(left) < 2 or len(right) < 3 or not _is_title_or_lower(left) or not right.islower():
        return False
    lo = left.lower()
    joined = lo + right
    zl, zr = _zipf(lo), _zipf(right)
    if zl >= _FUNCTION_WORD_ZIPF and zr >= _FUNCTION_WORD_ZIPF:
        return False  # "may be", "in to", "out side"
    n_joined = vocab.words[joined]
    if n_joined and n_joined >= vocab.pairs[(lo, right)]:
        return True
    if lo in _BOUND_PREFIXES:
        return True
    zj = _zipf(joined)
    if zj == 0.0:
        # Unknown as one word: join only two fragments (pembroli + zumab), never a word, and
        # not a capitalised word (Cajanus cajan).
        return (
            left.islower()
            and _is_fragment(lo, vocab)
            and _is_fragment(right, vocab)
            and len(lo) >= 3
            and not (len(lo) >= 7 and len(right) >= 7)
        )
    # The joined word must beat the two-word reading clearly, and be at least as common as
    # the rarer part (health + care stays "health care", dif + ferent becomes "different").
    return zj + 9.0 > zl + zr + _JOIN_MARGIN and zj >= min(zl, zr) - _RARER_PART_SLACK


def _url_continues(prev: str, line: str) -> bool:
    """Is ``line`` the rest of the URL or DOI that ends ``prev``?"""
    head = _URL_HEAD_RE.match(line)
    if head is None:
        return False
    if prev[-1] == "/":
        return True  # http://www.nature.com/ + reviews/focus/...
    if line[0].isupper():
        return False  # www.cochrane.dk. + Because ...
    # Broken after a separator (not a full stop, which usually ends the sentence), or the
    # next line carries on with a path.
    return (prev[-1] in _URL_JOIN_END and prev[-1] != ".") or "/" in head.group()


class _Joiner:
    """Joins one line onto the previous one: with a space, without, or minus a hyphen."""

    def __init__(self, vocab: _Vocab | None, stats: RepairStats) -> None:
        self.vocab = vocab
        self.stats = stats

    def join(self, pieces: list[str], prev: str, line: str) -> None:
        """Append ``line`` to ``pieces`` (the paragraph so far, ending with ``prev``)."""
        self.stats.line_breaks_joined += 1
        if _URL_TAIL_RE.search(prev) and _url_continues(prev, line):
            pieces.append(line)
            return
        tail = _TAIL_RE.search(prev)
        head = _HEAD_RE.match(line)
        if (
            head is not None
            and prev.endswith("-")
            and head.group(1) in _SUSPENDED_NEXT
            and line[head.end() : head.end() + 1] in ("", " ")
        ):
            pieces.append(" " + line)
            return
        if tail is None:
            if prev.endswith(("-", "–")) and len(prev) > 1 and not prev[-2].isspace():
                pieces.append(line)  # IL-2-\nmediated, 1990–\n2000: keep the dash, no space
            else:
                pieces.append(" " + line)
            return
        left, hyphen = tail.group(1), tail.group(2)
        if hyphen:
            if (
                self.vocab is not None
                and head is not None
                and _should_dehyphenate(left, head.group(1), self.vocab)
            ):
                pieces[-1] = pieces[-1][:-1]
                self._joined_word(left + head.group(1))
            pieces.append(line)
            return
        if (
            self.vocab is not None
            and head is not None
            and _should_join(left, head.group(1), self.vocab)
        ):
            self._joined_word(left + head.group(1))
            pieces.append(line)
            return
        pieces.append(" " + line)

    def _joined_word(self, word: str) -> None:
        self.stats.hyphenations_repaired += 1
        if self.vocab is not None:
            self.vocab.add(word)


def _last_word(line: str) -> str:
    cut = line.rfind(" ")
    return line[cut + 1 :].lower()


def _first_word_len(line: str) -> int:
    cut = line.find(" ")
    return len(line) if cut < 0 else cut


def _starts_item(prev: str, line: str) -> bool:
    """Does ``line`` start a list item (bullet, number) rather than continue ``prev``?"""
    if _BULLET_RE.match(line):
        return True
    if not _LIST_MARKER_RE.match(line):
        return False
    return bool(_ITEM_END_RE.search(prev)) or bool(
        _BULLET_RE.match(prev) or _LIST_MARKER_RE.match(prev)
    )


def _breaks_paragraph(prev: str, prev_indent: int, line: str, indent: int, width: int) -> bool:
    """Does a paragraph end between ``prev`` and the next line ``line`` (same block)?"""
    if _starts_item(prev, line):
        return True
    first = line[0]
    if first.islower() or prev.endswith("-") or _last_word(prev) in _CONNECTORS:
        return False
    if _SENTENCE_END_RE.search(prev) and indent >= prev_indent + 2:
        return True  # first-line indent of a new paragraph
    # A wrapped line ends because the next word would not fit; a line that ends well short of
    # the column width, before a capitalised line, ends its paragraph (or is a heading).
    return len(prev) + 1 + _first_word_len(line) < 0.85 * width


def _continues_across_blank(prev: str, line: str) -> bool:
    """Is ``line``, after a blank line, the continuation of ``prev`` (page or column break)?"""
    if _starts_item(prev, line):
        return False
    if _last_word(prev) in _CONNECTORS:
        return True
    if _SENTENCE_END_RE.search(prev):
        return False
    return line[0].islower()


def _percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- lost hyphens inside a line ----------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W\d_]+")
# Compounds whose hyphen the PDF text lost: "tumourspecific", "DCbased", "everexpanding".
_COMPOUND_SUFFIXES = (
    "activated|associated|based|bearing|binding|dependent|derived|driven|expanding|expressing|"
    "free|independent|induced|infiltrating|like|mediated|negative|positive|primed|producing|"
    "related|resistant|restricted|rich|sensitive|specific|targeted"
)
_LOST_COMPOUND_RE = re.compile(
    rf"\b(?P<left>[A-Z]{{2,6}}|[a-z]{{3,}})(?P<right>{_COMPOUND_SUFFIXES})\b"
)


def _repair_inline(paragraph: str, vocab: _Vocab, stats: RepairStats) -> str:
    """Rejoin "immuno genicity" (when the document has "immunogenicity") and re-insert lost
    hyphens of common compounds ("tumourspecific" -> "tumour-specific")."""
    words = list(_WORD_RE.finditer(paragraph))
    cuts: list[int] = []  # positions of spaces to delete
    for prev, cur in itertools.pairwise(words):
        right = cur.group()
        if (
            prev.end() + 1 == cur.start()
            and paragraph[prev.end()] == " "
            and len(right) >= 3
            and right.islower()
            and _zipf(right) < _FRAGMENT_ZIPF
        ):
            left = prev.group()
            joined = (left + right).lower()
            if len(left) >= 2 and _is_title_or_lower(left) and vocab.words[joined] > 0:
                cuts.append(prev.end())
    if cuts:
        stats.hyphenations_repaired += len(cuts)
        out: list[str] = []
        start = 0
        for cut in cuts:
            out.append(paragraph[start:cut])
            start = cut + 1
        out.append(paragraph[start:])
        paragraph = "".join(out)

    def _hyphenate(m: re.Match[str]) -> str:
        word = m.group()
        left = m.group("left")
        if _zipf(word.lower()) > 0.0 or vocab.words[word.lower()] > 1:
            return word
        if not left.isupper() and _zipf(left) < 2.5:
            return word
        stats.hyphenations_repaired += 1
        return f"{left}-{m.group('right')}"

    return _LOST_COMPOUND_RE.sub(_hyphenate, paragraph)


# --- page furniture: page numbers, running heads and footers -----------------------------------

# "77", "- 78 -", "Page 3 of 10", "3 / 10".
_PAGE_NUMBER_RE = re.compile(
    r"(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE
)
_PAGE_WORD_RE = re.compile(r"page\s", re.IGNORECASE)
_PAGE_NUMBER_MAX_CHARS = 20
# A line recurring beside flush-left numbers is a running head only if it is this long ("Group 1"
# beside table cells is not).
_MIN_RECURRING_CHARS = 12
# A page number beside a running head: "78    Smith et al. | Title", "Title | Journal    79".
_NUMBERED_HEAD_RE = re.compile(
    r"\d{1,4}(?P<sep>\s+)(?P<text>\S.{2,100})|(?P<text2>\S.{2,100}?)(?P<sep2>\s+)\d{1,4}"
)
_ET_AL_HEAD_RE = re.compile(r"\bet al\.?\s*[|•·]")
_ET_AL_END_RE = re.compile(r"\bet al\.?$")
# "J Tumour Immunol Lett 2024; 19: 77-81", "Nat Rev Cancer 2012;12(4):237-51", optionally
# followed by an article-type label or a DOI.
_JOURNAL_HEAD_RE = re.compile(
    r"(?:[A-Z][\w.&'’-]*\s){1,8}(?:1[89]|20)\d{2}\s?;\s?\d{1,4}(?:\([^)]{1,10}\))?\s?:\s?"
    r"[A-Za-z]?\d+(?:[–-][A-Za-z]?\d+)?\.?(?:\s{2,}\S.{0,60}|\s+(?:doi|https?:)\S*.{0,60}|"
    r"\s+[A-Z]{3,}(?:\s[A-Z]{3,})?)?"
)
# Non-empty lines next to a page break that may be a running head or footer.
_MARGIN_LINES = 2
_SHORT_HEAD_CHARS = 80
_WIDE_GAP = 3  # spaces between the parts of a running head ("Title    79")
_PAGE_NUMBER_INDENT = 8  # a page number set far from the left margin (centred, right-aligned)


def _is_running_head(line: str) -> bool:
    """A running head or footer by its shape alone (``line`` stripped, inner spaces kept)."""
    if len(line) > 120:
        return False
    if _JOURNAL_HEAD_RE.fullmatch(line):
        return True
    m = _NUMBERED_HEAD_RE.fullmatch(line)
    if m is not None:
        text = m.group("text") or m.group("text2")
        sep = m.group("sep") or m.group("sep2")
        return (
            len(sep) >= _WIDE_GAP
            or " | " in text
            or _ET_AL_HEAD_RE.search(text) is not None
            or (len(text) <= 60 and _ET_AL_END_RE.search(text) is not None)
        )
    if len(line) > _SHORT_HEAD_CHARS or _SENTENCE_END_RE.search(line):
        return "et al" in line and _ET_AL_HEAD_RE.search(line) is not None
    # Short, no sentence end: "Journal name | www.journal.org", "Smith et al. • Title".
    return " | " in line or _ET_AL_HEAD_RE.search(line) is not None


def is_running_head(line: str) -> bool:
    """A running head or footer by its shape alone ("J Immunol 2024; 19: 77-81   REVIEW")."""
    return _is_running_head(" ".join(line.split()))


def _recurrence_key(line: str) -> str:
    return " ".join(re.sub(r"\d+", "#", line).split()).lower()


def _page_furniture(raw_lines: list[str]) -> tuple[set[int], int | None]:
    """Indices of lines that are page furniture, and of a journal head to keep on its own.

    A page break is a form feed (a line of its own here) or a page-number line. The non-empty
    lines just before and after a break, and at the ends of the document, are running heads and
    footers when their shape says so or when they recur at other breaks with only their
    digits changed.
    """
    stripped = [line.strip(" \t") for line in raw_lines]
    breaks, drop = _page_breaks(raw_lines, stripped)
    if not breaks and "et al" not in "".join(stripped[:3] + stripped[-3:]):
        # No page break: only the top line can be furniture (a journal running head).
        return drop, _top_head(stripped)
    keys: dict[int, str] = {}
    where: dict[str, set[int]] = {}  # recurrence key -> margin lines with that key
    for zone in _margin_zones(stripped, breaks, drop):
        for j in zone:
            if j not in keys:
                keys[j] = key = _recurrence_key(stripped[j])
                where.setdefault(key, set()).add(j)
    top = _top_head(stripped)
    for j, key in keys.items():
        if j == top:
            continue
        if (len(where[key]) >= 2 and len(key) >= 3) or _is_running_head(stripped[j]):
            drop.add(j)
    if top is not None and top in keys and len(where[keys[top]]) >= 2:
        drop.add(top)  # the journal head recurs on every page: furniture throughout
        top = None
    return drop, top


def _page_breaks(raw_lines: list[str], stripped: list[str]) -> tuple[list[int], set[int]]:
    """Form-feed and page-number lines (the breaks), and the page-number lines to drop."""
    n = len(stripped)
    breaks: list[int] = []  # indices of form-feed or page-number lines
    drop: set[int] = set()
    # Page numbers set flush in running text, to be confirmed by the lines around them.
    beside: dict[str, set[int]] = {}  # recurrence key of a neighbour -> numbers it is beside
    for i, line in enumerate(stripped):
        if not line:
            continue
        if line == "\f":
            breaks.append(i)
            continue
        if len(line) > _PAGE_NUMBER_MAX_CHARS or not _PAGE_NUMBER_RE.fullmatch(line):
            continue
        prev = stripped[i - 1] if i > 0 else ""
        nxt = stripped[i + 1] if i + 1 < n else ""
        isolated = (
            not prev
            or not nxt
            or prev == "\f"
            or nxt == "\f"
            or len(raw_lines[i]) - len(raw_lines[i].lstrip()) >= _PAGE_NUMBER_INDENT
            or _PAGE_WORD_RE.match(line) is not None
            or _is_running_head(nxt)
            or _is_running_head(prev)
        )
        if isolated:
            breaks.append(i)
            drop.add(i)
        else:
            for neighbour in (prev, nxt):
                beside.setdefault(_recurrence_key(neighbour), set()).add(i)
    for key, numbers in beside.items():
        if len(numbers) >= 2 and len(key) >= _MIN_RECURRING_CHARS:
            breaks.extend(numbers - drop)
            drop.update(numbers)
    return breaks, drop


def _margin_zones(stripped: list[str], breaks: list[int], drop: set[int]) -> list[list[int]]:
    """Up to _MARGIN_LINES non-empty lines on each side of every break and at both ends."""
    n = len(stripped)

    def zone(start: int, step: int) -> list[int]:
        found: list[int] = []
        j = start
        while 0 <= j < n and len(found) < _MARGIN_LINES:
            if j in drop or stripped[j] == "\f":
                break
            if stripped[j]:
                found.append(j)
            j += step
        return found

    margins = [zone(0, 1), zone(n - 1, -1)]
    for b in breaks:
        margins.append(zone(b - 1, -1))
        margins.append(zone(b + 1, 1))
    return margins


def _top_head(stripped: list[str]) -> int | None:
    """Index of a journal running head that is the document's first line, if any."""
    for i, line in enumerate(stripped):
        if line and line != "\f":
            return i if _JOURNAL_HEAD_RE.fullmatch(line) else None
    return None


# --- public API ---------------------------------------------------------------------------------


def looks_hard_wrapped(text: str) -> bool:
    """True when the text looks like a PDF text layer with lines broken mid-paragraph.

    Hard-wrapped text has many lines of similar, moderate width, and a large share of them
    run on into the next line (no sentence punctuation at the end, next line starts in lower
    case). Scraped pages have one long line per paragraph and short menu lines.
    """
    lines = [line.strip() for line in text.split("\n")]
    lengths = [len(line) for line in lines if line]
    if len(lengths) < 4:
        return False
    n_long = sum(1 for n in lengths if n > 160)
    if n_long > 0.1 * len(lengths):
        return False
    runs_on = 0
    pairs = 0
    for prev, line in itertools.pairwise(lines):
        if not prev or not line:
            continue
        pairs += 1
        lower_next = line[0].islower() and not _SENTENCE_END_RE.search(prev)
        if lower_next or prev.endswith("-") or _last_word(prev) in _CONNECTORS:
            runs_on += 1
    if runs_on < 3 or runs_on < 0.3 * pairs:
        return False
    # Width regularity: most prose lines are close to the common (upper-quartile) width.
    body = [n for n in lengths if n >= 20]
    if len(body) < 4:
        return False
    width = _percentile(body, 0.75)
    if not 25 <= width <= 160:
        return False
    near = sum(1 for n in body if 0.7 * width <= n <= 1.2 * width)
    return near >= 0.6 * len(body)


def repair_pdf_text(
    text: str, *, dehyphenate: bool = True, layout: bool = False
) -> tuple[str, RepairStats]:
    """Join wrapped lines into paragraphs (blank line between paragraphs) and rejoin split words.

    Each output paragraph is one line; paragraphs are separated by one blank line. Page
    numbers, running heads and footers are dropped first (a form feed is a page break), and a
    journal running head on the first line becomes a paragraph of its own. With
    ``dehyphenate=False`` lines are joined with a space (no space after a line-end hyphen,
    which is kept) and no words are rejoined.

    ``layout=True`` is for a text layer read page by page (pypdfium2), which has no blank lines
    between paragraphs and mixes column-wide and page-wide lines: the width a line is measured
    against is that of the lines around it, section headings stand alone, and text runs on
    across a page break whenever the sentence does.
    """
    stats = RepairStats()
    if "\f" in text:
        text = _FORM_FEED_RE.sub("\n\f\n", text)
    raw_lines = text.split("\n")
    drop, top_head = _page_furniture(raw_lines)
    for i in drop:
        raw_lines[i] = ""
    indents = [len(line) - len(line.lstrip()) for line in raw_lines]
    lines = [_SPACE_RUN_RE.sub(" ", line.strip()) for line in raw_lines]
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return "", stats
    global_width = _percentile(lengths, 0.75)

    vocab = _Vocab(text) if dehyphenate else None
    joiner = _Joiner(vocab, stats)
    paragraphs: list[list[str]] = []
    pieces: list[str] | None = None
    prev = ""
    prev_indent = 0
    after_blank = False
    field_block = False  # the paragraph began with a front-matter field ("Citation: ...")
    block_width = global_width
    for i, line in enumerate(lines):
        if not line:
            after_blank = True
            continue
        if layout:
            block_width = _local_width(lines, i - 1)
        elif after_blank or pieces is None:
            block_width = max(global_width, _block_width(lines, i))
        if i == top_head:
            if pieces is not None:
                paragraphs.append(pieces)
            paragraphs.append([line])
            pieces, prev, after_blank = None, "", False
            continue
        if pieces is not None and _joins(
            _Break(prev, prev_indent, line, indents[i], block_width, after_blank),
            layout,
            field_block,
        ):
            joiner.join(pieces, prev, line)
        else:
            if pieces is not None:
                paragraphs.append(pieces)
            pieces = [line]
            field_block = layout and bool(_FIELD_LINE_RE.match(line))
        prev, prev_indent, after_blank = line, indents[i], False
    if pieces is not None:
        paragraphs.append(pieces)

    out = ["".join(p) for p in paragraphs]
    if vocab is not None:
        out = [_repair_inline(p, vocab, stats) for p in out]
    return "\n\n".join(out), stats


_LOCAL_WINDOW = 5


@dataclass
class _Break:
    """A line end between ``prev`` and ``line``, and what surrounds it."""

    prev: str
    prev_indent: int
    line: str
    indent: int
    width: int
    after_blank: bool


def _joins(b: _Break, layout: bool, field_block: bool) -> bool:
    """Does ``b.line`` continue the paragraph that ends with ``b.prev``?"""
    if layout and (
        is_section_heading(b.line) or is_section_heading(b.prev) or _starts_block(b.prev, b.line)
    ):
        return False
    if b.after_blank:
        if layout:
            return not field_block and _runs_on_across_break(b.prev, b.line)
        return _continues_across_blank(b.prev, b.line)
    return not _breaks_paragraph(b.prev, b.prev_indent, b.line, b.indent, b.width)


def _local_width(lines: list[str], at: int) -> int:
    """Upper-quartile length of the non-empty lines around ``lines[at]`` (column width)."""
    around = [len(x) for x in lines[max(0, at - _LOCAL_WINDOW) : at + _LOCAL_WINDOW + 1] if x]
    return _percentile(around, 0.75) if around else 0


# Section headings that stand on a line of their own in an article.
_SECTION_NAMES = (
    r"abstract|summary|background|introduction|objectives?|aims?|methods?|methodology|"
    r"materials? and methods|patients and methods|subjects and methods|study design|"
    r"statistical analys[ie]s|results?|results and discussion|discussion|conclusions?|"
    r"limitations|case (?:report|presentation|description)s?|comments?|responses?|replies|"
    r"references?|bibliography|literature cited|acknowledge?ments?|funding|"
    r"competing interests?|conflicts? of interests?|declaration of interests?|"
    r"authors?['’]? contributions?|abbreviations|additional files?|supporting information|"
    r"supplementary (?:information|materials?|data)|author details|authors?['’]? information|"
    r"keywords|endnotes|open peer review|referee reports?|data availability|declarations|"
    r"availability of data and materials?|ethics approval(?: and consent to participate)?|"
    r"consent for publication|electronic supplementary material"
)
_SECTION_HEADING_RE = re.compile(
    rf"(?:\d{{1,2}}(?:\.\d{{1,2}})*\.?\s+|[IVX]{{1,4}}\.\s+)?(?:{_SECTION_NAMES})\s*:?",
    re.IGNORECASE,
)
# "2. Patients and Methods", "3.1. Study Population": a numbered heading (no comma, short).
_NUMBERED_HEADING_RE = re.compile(r"\d{1,2}(?:\.\d{1,2})*\.?\s+[A-Z][^,;:.]{2,70}")


def is_section_heading(line: str) -> bool:
    """A line that is a section heading of an article ("Methods", "2.1. Study design")."""
    if len(line) > 80 or line.count(" ") > 8:
        return False
    if _SECTION_HEADING_RE.fullmatch(line):
        return True
    return bool(_NUMBERED_HEADING_RE.fullmatch(line)) and len(line.split()) <= 8


# Lines that start a block of their own in a page layout: front-matter fields and footnotes
# ("* Correspondence: ...", "Citation: ..."), which interrupt the text wherever they are set.
_FIELD_LINE_RE = re.compile(
    r"(?:\*\s?|†\s?)?(?i:citation|correspondence|received|accepted|published|copyright|"
    r"academic editor|editor|competing interests|funding|data availability|keywords|e-?mail|"
    r"how to cite this article|cite this article as|current address|present address)\s*:|"
    r"©\s?(?:19|20)\d\d\b|full list of author information|"
    r"(?:©\s?)?(?:19|20)\d\d,? (?i:the authors?)\.? (?i:published by)"
)
# Figure and table captions ("Table 1 All samples ...", "Figure 2. ...") and run-in headings
# ("Acknowledgments This work ..."): a new block after a finished sentence.
_CAPTION_START_RE = re.compile(
    r"(?:Fig(?:ure)?s?\.?|Table|Box)\s*S?\d+[A-Za-z]?(?:\s*[.:|]|\s+[A-Z])"
)
_RUN_IN_HEADING_RE = re.compile(rf"(?i:{_SECTION_NAMES})\s*[.:]?\s+[A-Z]")


def is_front_matter_field(line: str) -> bool:
    """A front-matter field or footnote: "Citation: ...", "* Correspondence: ...", "© 2014 ..."."""
    return bool(_FIELD_LINE_RE.match(line))


def _starts_block(prev: str, line: str) -> bool:
    """Does ``line`` start a block of its own: a front-matter field or footnote, a caption
    (floats interrupt sentences), a run-in heading after a finished sentence?"""
    if _FIELD_LINE_RE.match(line) or _CAPTION_START_RE.match(line):
        return True
    return bool(_SENTENCE_END_RE.search(prev)) and bool(_RUN_IN_HEADING_RE.match(line))


def _runs_on_across_break(prev: str, line: str) -> bool:
    """Does the sentence ending ``prev`` run on into ``line`` across a page or column break?

    It does when the next line starts in lower case, with "(" or a digit, or when ``prev``
    has no final punctuation (and is not a heading).
    """
    if _starts_item(prev, line) or is_section_heading(prev) or is_section_heading(line):
        return False
    if _last_word(prev) in _CONNECTORS or prev.endswith(("-", ",")):
        return True
    if _SENTENCE_END_RE.search(prev):
        return False
    first = line[0]
    return first.islower() or first in "([" or first.isdigit() or len(prev) > 30


def _block_width(lines: list[str], start: int) -> int:
    """Longest line of the block (run of non-empty lines) starting at ``start``."""
    width = 0
    for line in lines[start:]:
        if not line:
            break
        width = max(width, len(line))
    return width
