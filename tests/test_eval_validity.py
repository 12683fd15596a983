"""Metric validity: for every golden case, deliberately degraded summaries score lower than
the real one on the metric meant to catch the degradation. A metric that cannot tell good
from bad is a defect."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from litdigest.evaluate.match import Matcher
from litdigest.evaluate.metrics import aggregate, score_case
from litdigest.evaluate.runner import CaseResult, EvalRun
from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    DocumentSummary,
    EvidenceKind,
    Quote,
    Section,
)
from tests.eval_support import extractive_run

ROTATE: dict[str, Section] = {
    "mechanism": "evidence",
    "evidence": "therapeutic_implication",
    "therapeutic_implication": "mechanism",
}


def _in_section(claim: Claim, section: Section) -> Claim:
    kind = (claim.evidence_kind or EvidenceKind.UNSPECIFIED) if section == "evidence" else None
    return claim.model_copy(update={"evidence_kind": kind})


def swap_fields(summary: DocumentSummary, _: DocumentSummary) -> DocumentSummary:
    """Every claim moved to another field (mechanism → evidence → implication → mechanism)."""
    moved: dict[str, list[Claim]] = {s: [] for s in SECTIONS}
    for section, _i, claim in summary.iter_claims():
        target = ROTATE[section]
        moved[target].append(_in_section(claim, target))
    return summary.model_copy(update=moved)


def other_document(summary: DocumentSummary, donor: DocumentSummary) -> DocumentSummary:
    """The claims (with their quotes) of another document's summary."""
    update: dict[str, list[Claim]] = {s: list(donor.section(s)) for s in SECTIONS}
    return summary.model_copy(update=update)


def alter_quotes(summary: DocumentSummary, _: DocumentSummary) -> DocumentSummary:
    """Each quote's text changed (one word swapped), offsets kept: no longer the source slice."""

    def alter(q: Quote) -> Quote:
        words = q.text.split(" ")
        words[len(words) // 2] = "x" * len(words[len(words) // 2])
        return Quote(text=" ".join(words), start=q.start, end=q.end)

    update: dict[str, list[Claim]] = {
        s: [
            c.model_copy(update={"quotes": [alter(q) for q in c.quotes]})
            for c in summary.section(s)
        ]
        for s in SECTIONS
    }
    return summary.model_copy(update=update)


def truncate_claims(summary: DocumentSummary, _: DocumentSummary) -> DocumentSummary:
    """Each statement cut to its first three words."""
    update: dict[str, list[Claim]] = {
        s: [
            c.model_copy(update={"statement": " ".join(c.statement.split()[:3])})
            for c in summary.section(s)
        ]
        for s in SECTIONS
    }
    return summary.model_copy(update=update)


Degrade = Callable[[DocumentSummary, DocumentSummary], DocumentSummary]
# degradation → the metric(s) that must drop, for every case where the real value is > 0
CASES: list[tuple[Degrade, tuple[str, ...]]] = [
    (swap_fields, ("placed_recall",)),
    (other_document, ("key_point_recall", "quote_verified_rate")),
    (alter_quotes, ("quote_verified_rate",)),
    (truncate_claims, ("key_point_recall",)),
]


@pytest.fixture(scope="module")
def real_run() -> EvalRun:
    run, _ = extractive_run()
    assert all(c.status == "ok" and c.summary is not None for c in run.cases)
    return run


def _donor(item: CaseResult, cases: list[CaseResult]) -> DocumentSummary:
    assert item.doc is not None
    i = cases.index(item)
    for other in cases[i + 1 :] + cases[:i]:
        if other.doc is not None and other.doc.doc_id != item.doc.doc_id and other.summary:
            return other.summary
    raise AssertionError("no donor document")


@pytest.mark.parametrize(("degrade", "metrics"), CASES, ids=[d.__name__ for d, _ in CASES])
def test_degraded_summaries_score_lower(
    real_run: EvalRun, degrade: Degrade, metrics: tuple[str, ...]
) -> None:
    matcher = Matcher()
    cases = real_run.cases
    real_scores, bad_scores = [], []
    for item in cases:
        assert item.summary is not None and item.doc is not None
        bad = degrade(item.summary, _donor(item, cases))
        DocumentSummary.model_validate(bad.model_dump())  # still a well-formed summary
        real = item.metrics
        worse = score_case(bad, item.doc.text, item.case, matcher, reference=item.reference)
        real_scores.append(real)
        bad_scores.append(worse)
        for m in metrics:
            r, b = real[m], worse[m]
            assert r is not None and b is not None, (item.case.id, m)
            if r > 0:
                assert b < r, f"{degrade.__name__}: {item.case.id}: {m} {b} is not below {r}"
    real_agg, bad_agg = aggregate(real_scores), aggregate(bad_scores)
    for m in metrics:
        assert (bad_agg[m] or 0.0) < (real_agg[m] or 0.0) - 0.1, (m, bad_agg[m], real_agg[m])
