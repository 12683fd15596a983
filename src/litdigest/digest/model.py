"""The digest's data model (claims, themes, relations, references) and shared text helpers.

No rendering and no I/O here: ``build`` fills these, ``render_md``/``render_html`` print them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from litdigest.summarize.schema import SECTION_TITLES, Section
from litdigest.text import one_line

__all__ = [
    "FIELD_TITLES",
    "NUMBER_RE",
    "STOP_WORDS",
    "Digest",
    "DigestClaim",
    "Polarity",
    "Reference",
    "Relation",
    "Sentence",
    "Status",
    "TableRow",
    "Theme",
    "content_words",
    "one_line",
    "stem",
    "topic_text",
    "trim",
    "word_tokens",
]

Status = Literal["accepted", "all"]
Polarity = Literal[-1, 0, 1]

_HEADING_CHARS: Final = 140

FIELD_TITLES: Final[dict[Section, str]] = SECTION_TITLES


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True)
class Reference:
    """One document of the digest, numbered ``[n]`` in order of first citation."""

    n: int
    doc_id: str
    title: str | None
    authors: list[str]
    year: int | None
    journal: str | None
    doi: str | None
    source: str

    def citation(self) -> str:
        """'Authors (year). Title. Journal. doi:…' from whatever metadata is known."""
        parts: list[str] = []
        if self.authors:
            names = self.authors[:3]
            who = "; ".join(names) + (" et al." if len(self.authors) > 3 else "")
            parts.append(f"{who} ({self.year})" if self.year else who)
        elif self.year:
            parts.append(f"({self.year})")
        parts.append(self.title or f"Untitled document ({Path(self.source).name})")
        if self.journal:
            parts.append(self.journal)
        if self.doi:
            parts.append(f"doi:{self.doi}")
        return ". ".join(one_line(p).rstrip(".") for p in parts) + "."


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """A claim as the digest shows it: ``C{id}``, citing document ``[ref]`` with its quote."""

    id: int
    doc_id: str
    ref: int
    field: Section
    index: int  # position within the field of the stored summary (review key)
    statement: str  # edited statement when a reviewer edited it
    quote: str
    evidence_kind: str | None
    status: Literal["accepted", "pending"]
    edited: bool
    support: str | None = None  # "unverified": its quotes do not support it (issue 14)
    unsupported_terms: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"C{self.id}"


@dataclass(frozen=True, slots=True)
class Relation:
    """Two claims of different documents about the same target and subject."""

    kind: Literal["disagree", "agree"]
    a: int  # claim ids
    b: int
    target: str  # the shared target words
    detail: str  # e.g. "increases vs decreases"
    opposition: Literal["opposite", "effect_vs_null", "same"] = "same"


@dataclass(frozen=True, slots=True)
class Sentence:
    """A synthesized sentence and the claim ids it cites (all checked)."""

    text: str
    cites: list[int]


@dataclass
class Theme:
    """Claims of at least two documents about one topic, across fields."""

    id: str
    label: str  # 2-6 words from what the claims share (never a truncated sentence)
    claims: list[int]
    documents: list[int]  # reference numbers
    terms: list[str] = dc_field(default_factory=list)  # the shared terms behind the label
    heading: str | None = None  # a synthesized heading (LLM), cited
    heading_cites: list[int] = dc_field(default_factory=list)
    paragraph: list[Sentence] = dc_field(default_factory=list)
    agreements: list[Relation] = dc_field(default_factory=list)
    disagreements: list[Relation] = dc_field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of the evidence table: a document's claims per field (claim ids)."""

    ref: int
    mechanism: list[int]
    evidence: list[int]
    implication: list[int]


@dataclass
class Digest:
    status: Status
    query: str | None
    claims: dict[int, DigestClaim]
    themes: list[Theme]
    references: list[Reference]
    disagreements: list[Relation]
    agreements: list[Relation]
    embedding: str  # "wordllama" or "lexical"
    synthesis: str  # "extractive" or "<backend> <model>"
    only_in: dict[int, list[int]] = dc_field(default_factory=dict)  # ref -> claim ids
    table: list[TableRow] = dc_field(default_factory=list)
    warnings: list[str] = dc_field(default_factory=list)

    def claim(self, claim_id: int) -> DigestClaim:
        return self.claims[claim_id]

    def reference(self, n: int) -> Reference:
        return self.references[n - 1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "query": self.query,
            "embedding": self.embedding,
            "synthesis": self.synthesis,
            "documents": len(self.references),
            "claims": [
                {**asdict(c), "label": c.label}
                for c in sorted(self.claims.values(), key=lambda c: c.id)
            ],
            "themes": [asdict(t) for t in self.themes],
            "only_in": {str(ref): ids for ref, ids in self.only_in.items()},
            "table": [asdict(row) for row in self.table],
            "disagreements": [asdict(r) for r in self.disagreements],
            "agreements": [asdict(r) for r in self.agreements],
            "references": [{**asdict(r), "citation": r.citation()} for r in self.references],
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------------------------
# Text helpers

_WORD_RE: Final = re.compile(r"[A-Za-z0-9\u0370-\u03ff][A-Za-z0-9\u0370-\u03ff+\-/]*")
NUMBER_RE: Final = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?")
STOP_WORDS: Final = frozenset(
    """a about above after again against all also an and any are as at be because been before
    being between both but by can could did do does doing during each either few for from
    further had has have having here how however i if in into is it its itself may might most
    much must neither nor of on once only or other our out over own same several should since
    so some such than that the their them then there these they this those through thus to too
    under until upon very was we were what when where whether which while who whom why will
    with within would yet via per among across although including include includes included
    overall whereas one two three four five six seven eight nine ten found shown show shows
    showed suggest suggests suggested indicate indicates indicated report reports reported
    study studies review reviews data evidence result results trial trials analysis analyses
    participant participants effect effects compared versus vs new novel use used using""".split()
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    w = word.casefold().strip("-/+")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def word_tokens(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) for each word of ``text``."""
    return [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def content_words(text: str) -> set[str]:
    """Stemmed, case-folded content words of ``text`` (stop words and lone digits removed)."""
    out: set[str] = set()
    for word, _, _ in word_tokens(text):
        stemmed = stem(word)
        if len(stemmed) > 1 and stemmed not in STOP_WORDS and any(ch.isalpha() for ch in stemmed):
            out.add(stemmed)
    return out


_STATS_PAREN_RE: Final = re.compile(r"\s*[(\[][^()\[\]]*\d[^()\[\]]*[)\]]")
_STATS_RE: Final = re.compile(
    r"\b(?:95\s*%\s*)?(?:CI|SMD|MD|RR|OR|HR|I2|p)\b\s*[=<>:]?\s*-?\d[\d.,%]*"
    r"|(?<![A-Za-z\-])-?\d[\d.,]*\s*%?",  # not the digits of a symbol (PD-1, CD8, IL-10)
    re.I,
)


def topic_text(text: str) -> str:
    """``text`` without statistics (parentheses holding numbers, CI/RR/HR values, numbers),
    so that claims are grouped by what they are about, not by how results are reported."""
    previous = None
    out = text
    while previous != out:  # nested parentheses: innermost first
        previous = out
        out = _STATS_PAREN_RE.sub("", out)
    out = _STATS_RE.sub(" ", out)
    return one_line(out) or one_line(text)


def trim(text: str, limit: int = _HEADING_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = one_line(text).rstrip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"
