"""Reference summaries computed on every case, reported beside the system under test.

* ``random`` — length-matched: as many claims per field as the system's summary, each a
  random sentence of the cleaned text (quoted verbatim); averaged over ``RANDOM_DRAWS``
  seeded draws;
* ``lead`` — the first sentences of the text, dealt to the fields in order, as many per field
  as the system has;
* ``whole`` — the whole document as one claim per field (the ceiling of leniency).

Also the degenerate summaries of the validity checks: ``generic_summary`` (the same three
cancer-immunology sentences for every document, with quotes that do not verify) and
``shuffled_words``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final

from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    DocumentSummary,
    EvidenceKind,
    Quote,
    Section,
)

__all__ = [
    "BASELINES",
    "GENERIC_STATEMENTS",
    "RANDOM_DRAWS",
    "claim_counts",
    "document_sentences",
    "generic_summary",
    "lead_summary",
    "random_summary",
    "whole_summary",
]

RANDOM_DRAWS: Final = 20
BASELINES: Final = ("random", "lead", "whole")
MIN_SENTENCE_WORDS: Final = 5
GENERIC_STATEMENTS: Final[Mapping[Section, str]] = {
    "mechanism": "The tumour microenvironment suppresses antitumour immune responses.",
    "evidence": "Studies in mice and patients show that immune cells shape tumour growth.",
    "therapeutic_implication": "Immunotherapy may improve outcomes for patients with cancer.",
}


@lru_cache(maxsize=256)
def document_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the sentences of ``text`` with at least ``MIN_SENTENCE_WORDS`` words."""
    from litdigest.chunk.chunker import sentence_spans

    spans = [
        (s, e) for s, e in sentence_spans(text) if len(text[s:e].split()) >= MIN_SENTENCE_WORDS
    ]
    return tuple(spans) or ((0, len(text)),)


def claim_counts(summary: DocumentSummary | None) -> dict[Section, int]:
    """Claims per field of ``summary`` (one per field when there is none)."""
    if summary is None:
        return dict.fromkeys(SECTIONS, 1)
    return {s: len(summary.section(s)) for s in SECTIONS}


def _claim(text: str, start: int, end: int, section: Section) -> Claim:
    kind = EvidenceKind.UNSPECIFIED if section == "evidence" else None
    quote = Quote(text=text[start:end], start=start, end=end)
    return Claim(statement=" ".join(quote.text.split()), quotes=[quote], evidence_kind=kind)


def _summary(
    doc_id: str, source: str, claims: Mapping[Section, list[Claim]], name: str, tldr: str
) -> DocumentSummary:
    return DocumentSummary(
        doc_id=doc_id,
        source=source,
        tldr=tldr,
        mechanism=list(claims.get("mechanism", [])),
        evidence=list(claims.get("evidence", [])),
        therapeutic_implication=list(claims.get("therapeutic_implication", [])),
        backend=name,
        model=name,
        prompt_version=name,
    )


def random_summary(
    doc_id: str, source: str, text: str, counts: Mapping[Section, int], seed: int
) -> DocumentSummary:
    """``counts[field]`` random sentences per field (without replacement while they last)."""
    spans = document_sentences(text)
    rng = random.Random(f"{doc_id}:{seed}")
    total = sum(counts.values())
    order = rng.sample(range(len(spans)), min(total, len(spans)))
    order += [rng.randrange(len(spans)) for _ in range(total - len(order))]
    claims: dict[Section, list[Claim]] = {}
    pos = 0
    for s in SECTIONS:
        picked = order[pos : pos + counts.get(s, 0)]
        pos += counts.get(s, 0)
        claims[s] = [_claim(text, *spans[i], s) for i in picked]
    tldr = " ".join(text[a:b] for a, b in spans[: 1 if spans else 0])
    return _summary(doc_id, source, claims, "random", tldr)


def lead_summary(
    doc_id: str, source: str, text: str, counts: Mapping[Section, int]
) -> DocumentSummary:
    """The first sentences, dealt to the fields in order (``counts[field]`` each)."""
    spans = document_sentences(text)
    claims: dict[Section, list[Claim]] = {}
    pos = 0
    for s in SECTIONS:
        n = counts.get(s, 0)
        claims[s] = [_claim(text, *spans[i % len(spans)], s) for i in range(pos, pos + n)]
        pos += n
    return _summary(doc_id, source, claims, "lead", text[spans[0][0] : spans[0][1]])


def whole_summary(doc_id: str, source: str, text: str) -> DocumentSummary:
    """The whole document as the single claim of every field."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    claims = {s: [_claim(text, start, max(end, start + 1), s)] for s in SECTIONS}
    return _summary(doc_id, source, claims, "whole", text[start:end])


def generic_summary(doc_id: str, source: str) -> DocumentSummary:
    """The same generic three claims for every document; their quotes do not verify."""
    claims: dict[Section, list[Claim]] = {}
    for s in SECTIONS:
        statement = GENERIC_STATEMENTS[s]
        kind = EvidenceKind.UNSPECIFIED if s == "evidence" else None
        quote = Quote(text=statement, start=0, end=len(statement))
        claims[s] = [Claim(statement=statement, quotes=[quote], evidence_kind=kind)]
    return _summary(doc_id, source, claims, "generic", GENERIC_STATEMENTS["mechanism"])


def shuffled_words(summary: DocumentSummary, seed: int = 0) -> DocumentSummary:
    """Each statement with its words in a random order (quotes kept)."""
    rng = random.Random(seed)

    def shuffle(claim: Claim) -> Claim:
        words = claim.statement.split()
        rng.shuffle(words)
        return claim.model_copy(update={"statement": " ".join(words)})

    update: dict[str, list[Claim]] = {s: [shuffle(c) for c in summary.section(s)] for s in SECTIONS}
    return summary.model_copy(update=update)


def draws(
    doc_id: str, source: str, text: str, counts: Mapping[Section, int], n: int = RANDOM_DRAWS
) -> Sequence[DocumentSummary]:
    """``n`` seeded random summaries of one document."""
    return [random_summary(doc_id, source, text, counts, seed) for seed in range(n)]
