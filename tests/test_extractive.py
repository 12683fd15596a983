"""The extractive backend: offline, deterministic, grounded, fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.summarize.backends.extractive import ExtractiveBackend
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import SECTIONS, DocumentSummary
from tests.extractive_support import (
    EXPECTED,
    KINDS,
    REVIEW,
    check_inline_labels,
    check_seed_claims,
    claim_for,
    cochrane_documents,
    field_of,
    long_review,
    make_doc,
    seed_documents,
    summarize_timed,
)


@pytest.fixture
def backend() -> ExtractiveBackend:
    return ExtractiveBackend()


@pytest.fixture
def review(backend: ExtractiveBackend) -> DocumentSummary:
    return backend.summarize_sync(make_doc(REVIEW))


# --- the invented review --------------------------------------------------------------------


def test_names() -> None:
    backend = ExtractiveBackend()
    assert (backend.name, backend.model, backend.prompt_version) == (
        "extractive",
        "extractive-v2",
        "extractive-v2",
    )


def test_every_field_filled_at_any_limit_and_length() -> None:
    for limit in (1, 2, 3):
        summary = ExtractiveBackend(max_claims_per_field=limit).summarize_sync(make_doc(REVIEW))
        assert all(summary.section(section) for section in SECTIONS)
    summary = ExtractiveBackend().summarize_sync(make_doc(long_review(150)))
    assert all(summary.section(section) for section in SECTIONS)


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_each_sentence_lands_in_its_field(review: DocumentSummary, prefix: str) -> None:
    assert field_of(review, prefix) == EXPECTED[prefix]


@pytest.mark.parametrize("prefix", sorted(KINDS))
def test_evidence_kind_from_cues(review: DocumentSummary, prefix: str) -> None:
    section, i = claim_for(review, prefix)
    assert section == "evidence"
    assert review.evidence[i].evidence_kind is KINDS[prefix]


def test_statements_are_trimmed_sentences(review: DocumentSummary) -> None:
    section, i = claim_for(review, "Therefore, STING agonists")
    assert review.section(section)[i].statement.startswith("STING agonists should be tested")
    section, i = claim_for(review, "Mechanistically,")
    # "cGAS" keeps its case: only an all-lower-case first word is capitalised.
    assert review.section(section)[i].statement.startswith("cGAS-derived cGAMP binds STING")
    for _, _, claim in review.iter_claims():
        assert claim.statement[1:] in " ".join(claim.quotes[0].text.split())


def test_claims_in_document_order(review: DocumentSummary) -> None:
    for section in SECTIONS:
        starts = [c.quotes[0].start for c in review.section(section)]
        assert starts == sorted(starts)


# --- determinism, settings, limits ----------------------------------------------------------


# --- degenerate input -----------------------------------------------------------------------


def test_one_sentence_document(backend: ExtractiveBackend) -> None:
    text = "PD-1 blockade restores the function of exhausted CD8 T cells through TCF1 signalling."
    summary = backend.summarize_sync(make_doc(text))
    assert verify_summary(summary, text) == []
    assert [c.quotes[0].text for c in summary.mechanism] == [text]
    assert summary.tldr == text
    assert len(summary.warnings) == 2


def test_inline_section_labels() -> None:
    text = (
        "Main results: We included 12 trials with 2,310 participants; the vaccine reduced "
        "infections (RR 0.62, 95% CI 0.50 to 0.77). Adverse events were rare and mild in both "
        "groups of participants. Authors' conclusions: The vaccine may reduce infections in "
        "adults, and further well-designed trials are needed in children."
    )
    summary = ExtractiveBackend().summarize_sync(make_doc(text))
    assert verify_summary(summary, text) == []
    check_inline_labels(summary, "We included 12 trials")


# --- shared corpora -------------------------------------------------------------------------


@pytest.mark.shared
def test_seeds(seeds_dir: Path) -> None:
    backend = ExtractiveBackend()
    docs = seed_documents(seeds_dir)
    assert len(docs) == 5
    for doc in docs:
        summary = backend.summarize_sync(doc)
        filled = check_seed_claims(doc, summary)
        assert len(filled) >= 2, (doc.source, summary.warnings)


@pytest.mark.shared
def test_cochrane_abstracts(shared_dir: Path) -> None:
    docs = cochrane_documents(shared_dir)
    summaries, rate = summarize_timed(ExtractiveBackend().summarize_sync, docs)
    # A guard against pathological slowdowns, not a benchmark: ~700 docs/s measured.
    assert rate >= 50, f"{rate:.0f} docs/s"
    # Results with figures → evidence; authors' conclusions → therapeutic implication.
    assert sum(bool(s.evidence) for s in summaries) >= 0.95 * len(docs)
    assert sum(bool(s.therapeutic_implication) for s in summaries) >= 0.95 * len(docs)
