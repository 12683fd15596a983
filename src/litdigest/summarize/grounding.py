"""Quote grounding: find model-provided quotes in the cleaned text and verify stored ones.

A quote is accepted only if it occurs in the cleaned text, either exactly or after a
*typographic* normalisation applied identically to quote and text:

* every run of whitespace (spaces, tabs, line breaks, NBSP...) becomes one space;
* curly and other double quote marks (“ ” „ ‟ ″ « » ＂) become ``"``; single ones
  (‘ ’ ‚ ‛ ′ ＇) become ``'``; double and single quote marks stay distinct;
* hyphens and dashes (‐ ‑ ‒ – — ― − ⁃ ﹘ ﹣ －) become ``-``;
* ``…`` becomes ``...``;
* invisible characters (soft hyphen, zero-width spaces and joiners, BOM, bidi marks) vanish;
* typographic ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ) become their letters;
* Markdown emphasis marks vanish: ``*``, a backtick, and ``_`` runs at a word edge
  (``**PD-1**``, ``_in vivo_``; ``snake_case`` keeps its underscore).

Leading and trailing whitespace and punctuation (``.,;:!?``, quote marks, ellipses) of the
quote are trimmed. Letter case is **not** folded: in this domain case carries meaning (human
``FOXP3`` vs mouse ``Foxp3``, ``PD-L1`` vs a sentence-initial word), and a model that changes
case has not copied the text. Nothing fuzzier is done, so a paraphrased or invented quote is
never found. Quotes under ``MIN_QUOTE_WORDS`` words or ``MIN_QUOTE_CHARS`` characters are
refused: they would match by accident and ground nothing.

Matching returns offsets into the *original* text through an exact index map, and the quote
stored is always the slice ``text[start:end]``, never the model's string.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from litdigest.documents import content_hash
from litdigest.summarize.schema import (
    Claim,
    DocumentSummary,
    ModelClaim,
    ModelEvidenceClaim,
    Quote,
)

__all__ = [
    "MIN_QUOTE_CHARS",
    "MIN_QUOTE_WORDS",
    "GroundingFailure",
    "GroundingIndex",
    "GroundingResult",
    "Located",
    "NotFound",
    "ground_claims",
    "locate_quote",
    "normalize_quote",
    "quote_problem",
    "verify_summary",
]

MIN_QUOTE_WORDS: Final = 3
MIN_QUOTE_CHARS: Final = 12

_FOLD: Final[dict[str, str]] = {
    **dict.fromkeys("“”„‟″«»〝〞＂", '"'),
    **dict.fromkeys("‘’‚‛′＇", "'"),
    **dict.fromkeys("‐‑‒–—―−⁃﹘﹣－", "-"),
    "…": "...",
    "ﬁ": "fi",
    "ﬂ": "fl",
    "ﬀ": "ff",
    "ﬃ": "ffi",
    "ﬄ": "ffl",
    "ﬅ": "st",
    "ﬆ": "st",
    "*": "",
    "`": "",
    **dict.fromkeys(
        "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
        "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
        "",
    ),
}
# A whitespace run, or one character that folds. ``\s`` is ``str.isspace`` for str patterns.
_SPECIAL_RE: Final = re.compile(
    r"\s+|[" + re.escape("".join(_FOLD)) + r"]|(?<!\w)_+(?=\w)|(?<=\w)_+(?!\w)"
)
# Trimmed from both ends of a folded quote (the fold already made quotes/ellipses ASCII).
_TRIM: Final = " \"'.,;:!?"
# Elided quotes: "a ... b", "a [...] b", "a (…) b" after folding.
_ELISION_RE: Final = re.compile(r"\S\s*[\[(]?\.\.\.[\])]?\s*\S")
# Scripts written without spaces: each character counts as a word.
_UNSPACED_RE: Final = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]"
)
_ALNUM_RE: Final = re.compile(r"[^\W_]")
# The special characters of ``_SPECIAL_RE`` other than whitespace (one must not be sure of
# an underscore's context: any underscore sends the text through ``_fold``).
_NOT_SPACE_RE: Final = re.compile("[" + re.escape("".join(_FOLD)) + "_]")
_SPACES_RE: Final = re.compile(r"\s+")


def _fold(text: str) -> tuple[str, array[int], array[int]]:
    """Folded copy of ``text`` with, for each folded character, its source span.

    ``starts[i]:ends[i]`` is the span of ``text`` that folded character ``i`` came from: one
    character, a whole whitespace run (one space), or ``…`` (three dots share its span).
    Built in O(len(text)); unchanged stretches are copied in bulk.
    """
    parts: list[str] = []
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    pos = 0
    prev_space = False
    for m in _SPECIAL_RE.finditer(text):
        a, b = m.span()
        if a > pos:
            parts.append(text[pos:a])
            starts.extend(range(pos, a))
            ends.extend(range(pos + 1, a + 1))
            prev_space = False
        s = m.group()
        if s[0].isspace():
            if prev_space:  # "a \u200b b": one run despite the invisible character
                ends[-1] = b
            else:
                parts.append(" ")
                starts.append(a)
                ends.append(b)
                prev_space = True
        else:
            rep = _FOLD.get(s, "")  # an emphasis underscore run vanishes
            for ch in rep:
                parts.append(ch)
                starts.append(a)
                ends.append(b)
            if rep:
                prev_space = False
        pos = b
    if pos < len(text):
        parts.append(text[pos:])
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    return "".join(parts), starts, ends


def _folded(text: str) -> str:
    """``_fold(text)[0]``; without the span arrays, and without the loop when every special
    character of ``text`` is whitespace (then each run is one space, none adjacent)."""
    if _NOT_SPACE_RE.search(text) is None:
        return _SPACES_RE.sub(" ", text)
    return _fold(text)[0]


def normalize_quote(quote: str) -> str:
    """The form in which quotes are matched: folded, with edge punctuation trimmed."""
    return _folded(quote).strip(_TRIM)


def _word_count(core: str) -> int:
    words = 0
    for token in core.split(" "):
        unspaced = len(_UNSPACED_RE.findall(token))
        if unspaced:
            words += unspaced
        elif _ALNUM_RE.search(token):
            words += 1
    return words


def quote_problem(quote: str) -> str | None:
    """Why ``quote`` cannot ground a claim whatever the text (too short, empty), else None."""
    core = normalize_quote(quote)
    if not core:
        return "empty quote"
    n_words, n_chars = _word_count(core), len(core)
    if n_words < MIN_QUOTE_WORDS or n_chars < MIN_QUOTE_CHARS:
        return (
            f"quote too short to ground a claim ({n_words} words, {n_chars} characters; "
            f"quote at least {MIN_QUOTE_WORDS} words and {MIN_QUOTE_CHARS} characters)"
        )
    return None


@dataclass(frozen=True, slots=True)
class Located:
    """Where a quote was found: ``text[start:end]``; ``exact`` if no normalisation was needed."""

    start: int
    end: int
    exact: bool


@dataclass(frozen=True, slots=True)
class NotFound:
    """Why a quote was refused, phrased so it can be sent back to the model."""

    reason: str


def _nearest(hay: str, needle: str, hint: int, valid: Callable[[int], bool]) -> int | None:
    """Start of the valid occurrence of ``needle`` nearest ``hint`` (earlier wins a tie)."""
    n = len(needle)
    before: int | None = None
    end = min(len(hay), max(hint, 0) + n)
    while (i := hay.rfind(needle, 0, end)) >= 0:
        if valid(i):
            before = i
            break
        end = i + n - 1
    after: int | None = None
    start = max(hint, -1) + 1
    while (i := hay.find(needle, start)) >= 0:
        if valid(i):
            after = i
            break
        start = i + 1
    if before is None:
        return after
    if after is None or hint - before <= after - hint:
        return before
    return after


class GroundingIndex:
    """Normalised index of one cleaned text; build once, locate many quotes.

    Building is O(len(text)); each lookup is a few ``str.find`` calls on the original and
    the folded text.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._index: tuple[str, array[int], array[int]] | None = None
        self._lower: str | None = None

    def _fold_index(self) -> tuple[str, array[int], array[int]]:
        """The folded text and its span arrays, built on first use (an exact quote, the
        common case, needs neither)."""
        if self._index is None:
            self._index = _fold(self.text)
        return self._index

    def search(self, quote: str, *, hint: int = 0) -> Located | NotFound:
        """Locate ``quote``, preferring the occurrence nearest ``hint`` (an offset in text)."""
        problem = quote_problem(quote)
        if problem:
            return NotFound(problem)
        text = self.text
        stripped = quote.strip()
        i = _nearest(text, stripped, hint, lambda _: True)
        if i is not None:
            return Located(i, i + len(stripped), exact=True)
        candidates = [quote]
        nfc = unicodedata.normalize("NFC", quote)  # cleaned text is NFC; models may not be
        if nfc != quote:
            candidates.append(nfc)
        for candidate in candidates:
            folded = _folded(candidate).strip(" ")
            for needle in dict.fromkeys((folded, folded.strip(_TRIM))):
                found = self._search_folded(needle, hint)
                if found is not None:
                    return found
        return NotFound(self._why_not_found(normalize_quote(quote)))

    def locate(self, quote: str, *, hint: int = 0) -> tuple[int, int] | None:
        """(start, end) of ``quote`` in the text, or None if it is not grounded there."""
        found = self.search(quote, hint=hint)
        return (found.start, found.end) if isinstance(found, Located) else None

    def _search_folded(self, needle: str, hint: int) -> Located | None:
        if not needle:
            return None
        folded, starts, ends = self._fold_index()
        n, total = len(needle), len(folded)

        def on_boundaries(i: int) -> bool:
            # A match may not begin or end inside the expansion of one character ("…").
            j = i + n
            return (i == 0 or starts[i] != starts[i - 1]) and (
                j == total or starts[j] != starts[j - 1]
            )

        i = _nearest(folded, needle, bisect_left(starts, hint), on_boundaries)
        if i is None:
            return None
        return Located(starts[i], ends[i + n - 1], exact=False)

    def _why_not_found(self, core: str) -> str:
        if _ELISION_RE.search(core) or "[...]" in core:
            return (
                "quote joins separate passages with '...'; quote one contiguous passage "
                "verbatim instead"
            )
        if self._lower is None:
            self._lower = self._fold_index()[0].lower()
        if core.lower() in self._lower:
            return "quote differs from the article in letter case; copy it exactly"
        return "quote not found verbatim in the article text"


def locate_quote(quote: str, text: str, *, hint: int = 0) -> tuple[int, int] | None:
    """One-off ``GroundingIndex(text).locate(quote)``; build an index to locate many quotes."""
    return GroundingIndex(text).locate(quote, hint=hint)


@dataclass(frozen=True, slots=True)
class GroundingFailure:
    """A quote (or a claim without any quote) that could not be verified.

    ``claim_dropped`` is True when the claim had no verified quote left and was removed.
    """

    claim_index: int
    claim: ModelClaim
    quote: str | None
    reason: str
    claim_dropped: bool

    def describe(self) -> str:
        quoted = "(no quote given)" if self.quote is None else f"quote {self.quote!r}"
        outcome = "; the claim was dropped" if self.claim_dropped else ""
        return (
            f"claim {self.claim_index} ({self.claim.statement!r}): {quoted}: {self.reason}{outcome}"
        )


@dataclass(slots=True)
class GroundingResult:
    """Grounded claims (only verified quotes) and every quote that failed verification."""

    claims: list[Claim] = field(default_factory=list)
    failures: list[GroundingFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def dropped(self) -> list[GroundingFailure]:
        """One failure per dropped claim (the last reason recorded for it)."""
        last: dict[int, GroundingFailure] = {}
        for f in self.failures:
            if f.claim_dropped:
                last[f.claim_index] = f
        return list(last.values())

    def feedback(self) -> str:
        """The failures as a message for re-asking the model."""
        lines = [
            "Some quotes could not be found verbatim in the article text:",
            *(f"- {f.describe()}" for f in self.failures),
            "Copy every quote exactly, character for character, as one contiguous passage "
            "of the article.",
        ]
        return "\n".join(lines)


def ground_claims(
    claims: Sequence[ModelClaim], text: str | GroundingIndex, *, hint: int = 0
) -> GroundingResult:
    """Verify the quotes of model claims against the cleaned text.

    Each quote is looked up near the previous verified quote (starting at ``hint``, e.g. the
    start of the chunk the claims came from). A claim keeps its verified quotes, as exact
    slices of the text, with duplicates removed; a claim with none is dropped. Every refused
    quote is reported in ``failures``. ``evidence_kind`` is carried over from
    ``ModelEvidenceClaim``.
    """
    index = text if isinstance(text, GroundingIndex) else GroundingIndex(text)
    source = index.text
    result = GroundingResult()
    for ci, claim in enumerate(claims):
        quotes: list[Quote] = []
        seen: set[tuple[int, int]] = set()
        failed: list[tuple[str | None, str]] = []
        if not claim.quotes:
            failed.append((None, "the claim has no supporting quote"))
        for raw in claim.quotes:
            found = index.search(raw, hint=hint)
            if isinstance(found, NotFound):
                failed.append((raw, found.reason))
                continue
            hint = found.start
            span = (found.start, found.end)
            if span not in seen:
                seen.add(span)
                quotes.append(
                    Quote(text=source[found.start : found.end], start=span[0], end=span[1])
                )
        dropped = not quotes
        result.failures.extend(
            GroundingFailure(ci, claim, q, reason, claim_dropped=dropped) for q, reason in failed
        )
        if quotes:
            kind = claim.evidence_kind if isinstance(claim, ModelEvidenceClaim) else None
            result.claims.append(
                Claim(statement=claim.statement, quotes=quotes, evidence_kind=kind)
            )
    return result


def verify_summary(summary: DocumentSummary, text: str) -> list[str]:
    """Final gate before storing or printing: every quote must be the exact slice it claims.

    Returns the problems (empty when the summary is consistent with ``text``), including a
    ``doc_id`` that is not the content hash of ``text``.
    """
    problems: list[str] = []
    expected_id = content_hash(text)
    if summary.doc_id != expected_id:
        problems.append(
            f"doc_id {summary.doc_id!r} is not the content hash of the text ({expected_id!r})"
        )
    for section, i, claim in summary.iter_claims():
        where = f"{section}[{i}]"
        if not claim.quotes:
            problems.append(f"{where}: claim has no quote")
        for qi, quote in enumerate(claim.quotes):
            if not 0 <= quote.start <= quote.end <= len(text):
                problems.append(
                    f"{where}.quotes[{qi}]: span [{quote.start}, {quote.end}) is outside the "
                    f"text ({len(text)} characters)"
                )
            elif text[quote.start : quote.end] != quote.text:
                problems.append(
                    f"{where}.quotes[{qi}]: {quote.text[:60]!r} is not the text at "
                    f"[{quote.start}, {quote.end}): {text[quote.start : quote.end][:60]!r}"
                )
            elif not quote.text:
                problems.append(f"{where}.quotes[{qi}]: empty quote")
    return problems
