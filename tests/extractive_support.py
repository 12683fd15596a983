"""Shared fixtures of the extractive backend tests (v2 and v3): an invented review with the
field and evidence kind of each of its claim sentences, helpers to find a claim, the shared
corpora (seeds, Cochrane abstracts) and the checks both backends pass on them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from litdigest.clean import clean_text
from litdigest.config import Settings
from litdigest.documents import CleanMode, Document, Format, Metadata, content_hash
from litdigest.prepare import iter_documents
from litdigest.summarize.backends.extractive_common import BODY, terms
from litdigest.summarize.backends.extractive_cues import CUE_TOKEN_RE
from litdigest.summarize.backends.extractive_v3 import _Sentence
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import SECTIONS, DocumentSummary, EvidenceKind, Section

REVIEW = """\
Tumour-intrinsic STING signalling in melanoma

Abstract

The STING pathway senses cytosolic DNA and induces type I interferon signalling that activates dendritic cells. In a syngeneic mouse model, STING-deficient tumours grew threefold faster than controls (n = 12, P < 0.01). These findings suggest that STING agonists combined with PD-1 blockade may improve responses to immunotherapy.

Mechanism of tumour sensing

Mechanistically, cGAS-derived cGAMP binds STING and activates TBK1, which phosphorylates IRF3 and drives transcription of interferon-stimulated genes.

Fig. 1: STING signalling in tumour cells recruits dendritic cells through CXCL10 and activates them.

Clinical evidence

In a retrospective cohort of 214 patients with melanoma, high STING expression was associated with longer overall survival (hazard ratio 0.61, 95% CI 0.44 to 0.85). In a randomised phase II trial, the objective response rate was 38% with the combination versus 21% with anti-PD-1 alone. A meta-analysis of nine studies pooled 1,532 patients and found a 27% lower risk of progression. In vitro, co-culture of tumour cell lines with T cells showed 45% more killing when STING was activated.

Therapeutic implications

Therefore, STING agonists should be tested in combination with checkpoint inhibitors in patients with immunologically cold tumours.

This article is licensed under a Creative Commons Attribution 4.0 International License.
"""

EXPECTED: dict[str, Section] = {
    "The STING pathway senses cytosolic DNA": "mechanism",
    "Mechanistically, cGAS-derived cGAMP binds STING": "mechanism",
    "In a syngeneic mouse model": "evidence",
    "In a retrospective cohort of 214 patients": "evidence",
    "In a randomised phase II trial": "evidence",
    "A meta-analysis of nine studies": "evidence",
    "In vitro, co-culture of tumour cell lines": "evidence",
    "These findings suggest that STING agonists": "therapeutic_implication",
    "Therefore, STING agonists should be tested": "therapeutic_implication",
}
KINDS: dict[str, EvidenceKind] = {
    "In a syngeneic mouse model": EvidenceKind.ANIMAL_MODEL,
    "In a retrospective cohort of 214 patients": EvidenceKind.PATIENT_COHORT,
    "In a randomised phase II trial": EvidenceKind.CLINICAL_TRIAL,
    "A meta-analysis of nine studies": EvidenceKind.META_ANALYSIS,
    "In vitro, co-culture of tumour cell lines": EvidenceKind.IN_VITRO,
}


def make_doc(text: str, source: str = "review.txt", title: str | None = None) -> Document:
    return Document(
        doc_id=content_hash(text),
        text=text,
        metadata=Metadata(title=title),
        format=Format.TEXT,
        source=source,
    )


def long_review(copies: int) -> str:
    """The invented review's body ``copies`` times, each copy's gene renamed."""
    body = REVIEW.split("\n\n", 1)[1]
    return "\n\n".join(body.replace("STING", f"STING{i}") for i in range(copies))


def field_of(summary: DocumentSummary, prefix: str) -> Section | None:
    for section, _, claim in summary.iter_claims():
        if claim.quotes[0].text.startswith(prefix):
            return section
    return None


def claim_for(summary: DocumentSummary, prefix: str) -> tuple[Section, int]:
    for section, i, claim in summary.iter_claims():
        if claim.quotes[0].text.startswith(prefix):
            return section, i
    raise AssertionError(f"no claim quotes {prefix!r}")


def seed_documents(seeds_dir: Path) -> list[Document]:
    """The five scraped seed reviews of ../shared/seeds, prepared."""
    return [
        d
        for d in iter_documents(sorted(seeds_dir.glob("*.txt")), Settings())
        if isinstance(d, Document)
    ]


def check_seed_claims(doc: Document, summary: DocumentSummary) -> list[Section]:
    """Grounded, no caption, label or page chrome quoted; the fields filled."""
    assert verify_summary(summary, doc.text) == [], doc.source
    assert summary.tldr
    for _, _, claim in summary.iter_claims():
        quote = claim.quotes[0].text
        assert not quote.startswith(("Fig.", "Abstract |")), quote
        assert "http" not in quote and "Register for free" not in quote
    return [s for s in SECTIONS if summary.section(s)]


def cochrane_documents(shared_dir: Path) -> list[Document]:
    """The 480 cleaned Cochrane abstracts of ../shared (skips the test without them)."""
    source = shared_dir / "corpus" / "cochrane" / "test.source"
    if not source.is_file():
        pytest.skip("no Cochrane corpus")
    docs = []
    for i, line in enumerate(source.read_text(encoding="utf-8").splitlines()):
        text, _ = clean_text(line, CleanMode.SCRAPED)
        docs.append(make_doc(text, source=f"test.source#{i + 1}"))
    assert len(docs) == 480
    return docs


def summarize_timed(
    summarize: Callable[[Document], DocumentSummary], docs: list[Document]
) -> tuple[list[DocumentSummary], float]:
    """The summaries of ``docs`` and the documents per second of CPU time, best of two (a busy
    CI machine should not fail a speed guard)."""
    rate = 0.0
    summaries: list[DocumentSummary] = []
    for _ in range(2):
        start = time.process_time()
        summaries = [summarize(d) for d in docs]
        rate = max(rate, len(docs) / max(time.process_time() - start, 1e-9))
    for doc, summary in zip(docs, summaries, strict=True):
        assert verify_summary(summary, doc.text) == [], doc.source
    return summaries, rate


def check_inline_labels(summary: DocumentSummary, pooled: str) -> None:
    """On the labelled vaccine abstract: the pooled result (its quote starts with ``pooled``)
    is meta-analysis evidence, the authors' conclusion an implication, and no quote starts
    with its label."""
    section, i = claim_for(summary, pooled)
    assert section == "evidence"
    assert summary.evidence[i].evidence_kind is EvidenceKind.META_ANALYSIS
    section, _ = claim_for(summary, "The vaccine may reduce infections")
    assert section == "therapeutic_implication"
    for _, _, claim in summary.iter_claims():
        assert not claim.quotes[0].text.startswith(("Main results", "Authors'"))


def v3_sentence(text: str, index: int = 0, **overrides: Any) -> _Sentence:
    """An extractive-v3 body sentence of invented text, its tokens computed; ``overrides``
    set any other field (scores, probabilities, paragraph)."""
    lower = text.lower()
    tokens = CUE_TOKEN_RE.findall(lower)
    fields: dict[str, Any] = {
        "start": 0,
        "end": len(text),
        "index": index,
        "ordinal": index,
        "paragraph": 0,
        "first_in_paragraph": index == 0,
        "section": BODY,
        "category": 0,
        "heading": None,
        "text": text,
        "lower": lower,
        "words": set(tokens),
        "n_words": len(text.split()),
        "token_list": tokens,
        "tokens": terms(tokens),
        "importance": 0.5,
    }
    fields.update(overrides)
    return _Sentence(**fields)
