"""Extractive backend: offline, deterministic and fast; no model, no network.

Algorithm (``extractive-v2``: v1 plus note-keeping fields such as "Status:" skipped):

1. **Sentences.** The cleaned text is split into paragraphs (lines) and sentences
   (``chunk.sentence_spans``). Short lines without final punctuation are headings: they are
   never quoted, but they set the *section* of what follows (abstract, results, conclusions,
   methods, back matter...). An inline label (``Abstract |``, ``Main results:``) is kept out of
   the quote and sets the section too.
2. **Candidates.** Captions, reference-like lines, boilerplate (copyright, licences, URLs,
   access notices), questions, truncated sentences and sentences under 6 or over 80 words are
   dropped; back matter (methods details, appendices, acknowledgements...) is down-weighted or
   dropped.
3. **Importance** = TF-IDF cosine of the sentence to the centroid of the other sentences
   (O(n): leave-one-out from one centroid) × position/section weight (first sentences,
   abstract and conclusions up; methods down).
4. **Fields.** A weighted cue lexicon scores each sentence for mechanism, evidence and
   therapeutic implication (plus section biases: results → evidence, conclusions →
   implication). A sentence goes to its best field when that score reaches a threshold.
   Per field, the ``max_claims_per_field`` sentences with the best importance × cue score
   are kept, then put back in document order. An empty field takes the best-suited sentence
   from a field that has more than one claim, or from those left over.
5. **Claims.** The quote is the sentence (label excluded), an exact slice of the text; the
   statement is the sentence lightly trimmed of leading connectives and bracketed citations.
   Evidence claims get an ``EvidenceKind`` from cue words, falling back to the document's
   kind (systematic review → meta-analysis, review article → review).
6. **tldr**: the one or two most important sentences, verbatim, in document order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from litdigest.chunk.chunker import sentence_spans
from litdigest.summarize.backends.extractive_common import (
    BACK_MATTER,
    CONCLUSION,
    CONCLUSION_START_RE,
    METHODS,
    RESULTS,
    SENTENCE,
    ExtractiveBase,
    assemble,
    candidate,
    claims_tldr,
    pick_tldr,
    pieces,
    score_importance,
)
from litdigest.summarize.backends.extractive_cues import CLAIM_CUE_ROLES, cue_scores
from litdigest.summarize.backends.extractive_statements import (
    CONNECTIVE_V2_RE,
    finish_statement,
)
from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    DocumentSummary,
    EvidenceKind,
    Quote,
    Section,
)

if TYPE_CHECKING:
    from litdigest.config import SummarizeSettings
    from litdigest.documents import Document

__all__ = ["ExtractiveBackend"]

VERSION: Final = "extractive-v2"

# Minimum cue score for a sentence to join a field (one weak cue is not a mechanism).
FIELD_THRESHOLD: Final[dict[Section, float]] = {
    "mechanism": 1.6,
    "evidence": 1.0,
    "therapeutic_implication": 1.0,
}
FILL_THRESHOLD: Final = 0.8  # minimum cue score to fill an otherwise empty field


def _cue_scores(sentence: str, lower: str, words: set[str]) -> dict[Section, float]:
    """Cue score per field of ``sentence`` (``lower``: lower-cased; ``words``: its tokens)."""
    mechanism, evidence, implication = cue_scores(sentence, lower, words, CLAIM_CUE_ROLES)
    return {"mechanism": mechanism, "evidence": evidence, "therapeutic_implication": implication}


# Statistics: sentences reporting figures belong to evidence, not conclusions.
_STATS_RE: Final = re.compile(
    r"\d\s?%|\b[Pp]\s?[<=>≤≥]\s?0?\.\d|(?-i:\bCI\b)|confidence interval|\b[nN]\s?=\s?\d|"
    r"(?-i:\b(?:HR|OR|RR|MD|SMD|RD)\b)\s?[\d(=:,]|\bratio\s?[\d(=:,]|"
    r"\b\d[\d,]*\s(?:participants|patients|people|children|women|men|studies|trials|mice)\b",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------------------------
# Evidence kinds, tested in order; the first that matches wins.
# --------------------------------------------------------------------------------------------

_KIND_CUES: Final[tuple[tuple[EvidenceKind, re.Pattern[str]], ...]] = (
    (
        EvidenceKind.META_ANALYSIS,
        re.compile(
            r"\bmeta-?analys[ie]s\b|\bsystematic reviews?\b|\bpooled\b|"
            r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+-[a-z]+)"
            r" (?:included |eligible |randomi[sz]ed (?:controlled )?)?(?:studies|trials|RCTs)\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.CLINICAL_TRIAL,
        re.compile(
            r"\btrials?\b|\bphase (?:I{1,3}V?|IV|[1-4])(?:/(?:I{1,3}|[1-3]))?\b|"
            r"\brandomi[sz]\w+|\bplacebo\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.ANIMAL_MODEL,
        re.compile(
            r"\b(?:mice|mouse|murine|xenografts?|syngeneic|rats?|zebrafish|animal models?|"
            r"in vivo|primates?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.IN_VITRO,
        re.compile(
            r"\bin vitro\b|\bcell lines?\b|\borganoids?\b|\bco-?cultur\w+|\bcultured\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.PATIENT_COHORT,
        re.compile(
            r"\bpatients?\b|\bcohorts?\b|\bretrospective\w*|\bprospective\w*|\bparticipants\b|"
            r"\bcase series\b|\bregistr(?:y|ies)\b|\bbiops(?:y|ies)\b|\bindividuals\b",
            re.IGNORECASE,
        ),
    ),
)
_SYSTEMATIC_REVIEW_RE: Final = re.compile(
    r"\b(?:this|our|the present|we (?:performed|conducted|undertook) a) "
    r"(?:systematic review|meta-?analysis|review)\b|"
    r"\b(?:we )?included (?:\d+|[a-z-]+) (?:studies|trials|RCTs)\b|"
    r"\b(?:\d+|[a-z-]+) (?:studies|trials|RCTs)(?:,| with| involving| including)? .{0,40}"
    r"\b(?:were|was) included\b",
    re.IGNORECASE,
)
_REVIEW_TITLE_RE: Final = re.compile(r"\breview\b", re.IGNORECASE)
_ONE_TRIAL_RE: Final = re.compile(r"\btrial\b(?!s)", re.IGNORECASE)
_REVIEW_ARTICLE_RE: Final = re.compile(
    r"\b(?:in this|this|our) (?:review|focus|perspective|commentary|editorial)\b|"
    r"\bwe (?:discuss|review|summari[sz]e|highlight|outline)\b|\bhere,? we discuss\b",
    re.IGNORECASE,
)

_CITATION_RE: Final = re.compile(
    r"\s?\[\d+(?:\s?[–-]\s?\d+)?(?:,\s?\d+(?:\s?[–-]\s?\d+)?)*\](?:\s?[–,-]\s?\[\d+\])*"
)


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    index: int  # among candidates, document order
    paragraph: int
    first_in_paragraph: bool
    section: int
    text: str
    lower: str
    words: set[str]
    n_words: int
    tokens: Counter[str] = field(default_factory=Counter)
    importance: float = 0.0
    scores: dict[Section, float] = field(default_factory=dict)
    has_stats: bool = False


class ExtractiveBackend(ExtractiveBase):
    """Lexicon-and-centrality extractive summarizer (see the module docstring)."""

    name = "extractive"
    model = VERSION
    prompt_version = VERSION

    def __init__(self, max_claims_per_field: int = 5, tldr_sentences: int = 2) -> None:
        if max_claims_per_field < 1:
            raise ValueError("max_claims_per_field must be at least 1")
        if tldr_sentences < 1:
            raise ValueError("tldr_sentences must be at least 1")
        self.max_claims_per_field = max_claims_per_field
        self.tldr_sentences = tldr_sentences

    @classmethod
    def from_settings(cls, settings: SummarizeSettings) -> ExtractiveBackend:
        return cls(max_claims_per_field=settings.max_claims_per_field)

    # ----------------------------------------------------------------------------------------

    def summarize_sync(self, doc: Document) -> DocumentSummary:
        text = doc.text
        sentences = _candidates(text)
        _score(sentences)
        fields = self._select(sentences)
        kinds = _evidence_kinds([s.text for s in fields["evidence"]], text, doc.metadata.title)
        claims: dict[Section, list[Claim]] = {}
        for section in SECTIONS:
            claims[section] = [
                Claim(
                    statement=_statement(s.text),
                    quotes=[Quote(text=s.text, start=s.start, end=s.end)],
                    evidence_kind=kinds[i] if section == "evidence" else None,
                )
                for i, s in enumerate(fields[section])
            ]
        tldr, citations = claims_tldr(claims, self.tldr_sentences)
        tldr = tldr or self._tldr(sentences, text, doc.metadata.title)
        return assemble(self, doc, claims, tldr, citations)

    def _select(self, sentences: list[_Sentence]) -> dict[Section, list[_Sentence]]:
        k = self.max_claims_per_field
        pools: dict[Section, list[_Sentence]] = {section: [] for section in SECTIONS}
        seen: set[str] = set()
        for s in sentences:
            if s.section == BACK_MATTER or s.lower in seen:
                continue  # back matter, or a sentence repeated (abstract and conclusions)
            seen.add(s.lower)
            eligible = [f for f in SECTIONS if s.scores[f] >= FIELD_THRESHOLD[f]]
            if eligible:
                pools[max(eligible, key=lambda f: s.scores[f])].append(s)
        chosen: dict[Section, list[_Sentence]] = {}
        for section in SECTIONS:
            pool = sorted(pools[section], key=lambda s: (-_rank(s, section), s.index))
            chosen[section] = pool[:k]
        # Fill empty fields from leftovers or from fields that can spare a claim.
        for section in SECTIONS:
            if chosen[section]:
                continue
            used = {s.index: f for f in SECTIONS for s in chosen[f]}
            best_s: _Sentence | None = None
            for s in sentences:
                if s.section == BACK_MATTER or s.scores[section] < FILL_THRESHOLD:
                    continue
                owner = used.get(s.index)
                if owner is not None and len(chosen[owner]) < 2:
                    continue
                if best_s is None or _rank(s, section) > _rank(best_s, section):
                    best_s = s
            if best_s is not None:
                owner = used.get(best_s.index)
                if owner is not None:
                    chosen[owner].remove(best_s)
                chosen[section] = [best_s]
        return {section: sorted(chosen[section], key=lambda s: s.index) for section in SECTIONS}

    def _tldr(self, sentences: list[_Sentence], text: str, title: str | None) -> str:
        pool = [s for s in sentences if s.section != BACK_MATTER]
        if not pool:
            if title:
                return title
            first = next(sentence_spans(text), None)
            return " ".join(text[first[0] : first[1]].split()) if first else ""
        ranked = sorted(pool, key=lambda s: (-_tldr_rank(s), s.index))
        return pick_tldr(ranked, self.tldr_sentences)


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


def _candidates(text: str) -> list[_Sentence]:
    out: list[_Sentence] = []
    for piece in pieces(text):
        if piece.kind != SENTENCE:
            continue
        sentence = text[piece.start : piece.end]
        fit = candidate(sentence)
        if fit is not None:
            lower, words, n_words = fit
            out.append(
                _Sentence(
                    start=piece.start,
                    end=piece.end,
                    index=len(out),
                    paragraph=piece.paragraph,
                    first_in_paragraph=piece.first,
                    section=piece.section,
                    text=sentence,
                    lower=lower,
                    words=words,
                    n_words=n_words,
                )
            )
    return out


def _score(sentences: list[_Sentence]) -> None:
    score_importance(sentences, ends=True)
    n = len(sentences)
    single_paragraph = n > 0 and sentences[0].paragraph == sentences[-1].paragraph
    for i, s in enumerate(sentences):
        s.has_stats = bool(_STATS_RE.search(s.text))
        s.scores = _cue_scores(s.text, s.lower, s.words)
        _section_bias(s, i, n, single_paragraph)


def _section_bias(s: _Sentence, i: int, n: int, single_paragraph: bool) -> None:
    scores = s.scores
    if s.has_stats:
        scores["evidence"] += 1.5
        scores["therapeutic_implication"] *= 0.6
        scores["mechanism"] *= 0.8
    conclusion = s.section == CONCLUSION or bool(CONCLUSION_START_RE.match(s.text))
    if single_paragraph and n >= 4 and i >= n * 0.6 and not s.has_stats:
        conclusion = True  # Cochrane-style abstracts: results, then the authors' conclusions
    if conclusion and not s.has_stats:
        scores["therapeutic_implication"] += 1.2
        scores["evidence"] *= 0.7
    if s.section == RESULTS:
        scores["evidence"] += 0.8
    if s.section == METHODS:
        scores["evidence"] *= 0.6


def _rank(s: _Sentence, section: Section) -> float:
    return s.importance * (0.5 + min(s.scores[section], 5.0) / 5.0)


def _tldr_rank(s: _Sentence) -> float:
    return s.importance * (1.0 + 0.05 * min(max(s.scores.values()), 6.0))


def _statement(sentence: str) -> str:
    flat = " ".join(sentence.split())
    trimmed = CONNECTIVE_V2_RE.sub("", flat)
    trimmed = _CITATION_RE.sub("", trimmed).strip()
    return finish_statement(flat, trimmed)


def _document_kind(text: str, title: str | None) -> EvidenceKind | None:
    """META_ANALYSIS for a systematic review, REVIEW for a review article, judged from the
    title and the opening (abstract) only."""
    head = text[:3000]
    if _SYSTEMATIC_REVIEW_RE.search(head):
        return EvidenceKind.META_ANALYSIS
    if _REVIEW_ARTICLE_RE.search(head) or (title and _REVIEW_TITLE_RE.search(title)):
        return EvidenceKind.REVIEW
    return None


def _cue_kind(sentence: str) -> EvidenceKind | None:
    for kind, pattern in _KIND_CUES:
        if pattern.search(sentence):
            return kind
    return None


def _evidence_kinds(sentences: list[str], text: str, title: str | None) -> list[EvidenceKind]:
    """Kind of each evidence sentence: its own cue words; without any, the document's kind
    (systematic review, review article), else the kind most of the other evidence claims
    name (a cohort study's unlabelled hazard ratio is from the cohort), else unspecified."""
    document = _document_kind(text, title)
    cued = [_cue_kind(s) for s in sentences]
    counts = Counter(k for k in cued if k is not None)
    fallback = document or EvidenceKind.UNSPECIFIED
    if document is None and counts:
        order = [k for k, _ in _KIND_CUES]
        fallback = max(counts, key=lambda k: (counts[k], -order.index(k)))
    out: list[EvidenceKind] = []
    for sentence, kind in zip(sentences, cued, strict=True):
        if kind is None:
            kind = fallback
        elif (
            kind is EvidenceKind.CLINICAL_TRIAL
            and document is EvidenceKind.META_ANALYSIS
            and not _ONE_TRIAL_RE.search(sentence)
        ):
            kind = EvidenceKind.META_ANALYSIS  # trials pooled by a systematic review
        out.append(kind)
    return out
