"""Metric definitions on hand-made summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.documents import content_hash
from litdigest.evaluate.golden import GoldenCase
from litdigest.evaluate.match import Matcher
from litdigest.evaluate.metrics import (
    Budget,
    aggregate,
    quote_verified_rate,
    rouge_l,
    score_case,
    score_summary,
)
from litdigest.summarize.schema import Claim, DocumentSummary, EvidenceKind, Quote, Usage

TEXT = (
    "CD73 converts extracellular AMP into adenosine in ovarian tumours. "
    "Anti-CD73 extended median survival of ID8 mice from 41 to 63 days. "
    "Blocking CD73 may restore NK-cell killing. Google Scholar"
)


def _claim(sentence: str, statement: str | None = None, evidence: bool = False) -> Claim:
    start = TEXT.index(sentence)
    return Claim(
        statement=statement or sentence,
        quotes=[Quote(text=sentence, start=start, end=start + len(sentence))],
        evidence_kind=EvidenceKind.ANIMAL_MODEL if evidence else None,
    )


S_MECH = "CD73 converts extracellular AMP into adenosine in ovarian tumours."
S_EVID = "Anti-CD73 extended median survival of ID8 mice from 41 to 63 days."
S_IMPL = "Blocking CD73 may restore NK-cell killing."


def _summary(**fields: list[Claim]) -> DocumentSummary:
    return DocumentSummary(
        doc_id=content_hash(TEXT),
        source="t",
        tldr="CD73 and adenosine.",
        backend="test",
        model="m",
        prompt_version="p",
        usage=Usage(calls=2, prompt_tokens=100, completion_tokens=20, cost_usd=0.01),
        **fields,
    )


CASE = GoldenCase(
    id="c",
    document=Path("x"),
    expected={
        "mechanism": ("CD73 generates adenosine from AMP",),
        "evidence": ("blocking CD73 prolonged survival of ID8 mice",),
        "therapeutic_implication": ("CD73 blockade could restore NK-cell activity",),
    },
    must_not_include=("google scholar", "Buy article"),
)


def test_rouge_l() -> None:
    assert rouge_l("the cat sat", "the cat sat") == pytest.approx(1.0)
    assert rouge_l("dogs bark", "the cat sat") == 0.0
    assert rouge_l("", "x") == 0.0
    # LCS("a b c d", "a c d e") = 3 → P = R = 3/4
    assert rouge_l("a b c d", "a c d e") == pytest.approx(0.75)
    assert rouge_l("tumours induced", "tumor inducing") == pytest.approx(1.0)  # light stemming


def test_perfect_summary() -> None:
    summary = _summary(
        mechanism=[_claim(S_MECH)],
        evidence=[_claim(S_EVID, evidence=True)],
        therapeutic_implication=[_claim(S_IMPL)],
    )
    m = score_case(summary, TEXT, CASE, Matcher(), latency_s=0.5)
    assert m["schema_valid"] == 1.0
    assert m["quote_verified_rate"] == 1.0
    assert m["key_point_recall"] == m["placed_recall"] == m["placement_accuracy"] == 1.0
    assert m["key_point_precision"] == 1.0
    assert m["must_not_include_ok"] == 1.0 and m["must_not_include_violations"] == 0.0
    assert m["tokens"] == 120 and m["cost_usd"] == 0.01 and m["calls"] == 2
    assert m["latency_s"] == 0.5
    assert m["rouge_l.mechanism"] is not None and m["rouge_l.mechanism"] > 0


def test_wrong_field_and_extra_claim_and_forbidden_text() -> None:
    forbidden = "Google Scholar"
    summary = _summary(
        mechanism=[_claim(S_MECH), _claim(S_IMPL)],  # implication sitting in mechanism
        evidence=[
            _claim(S_EVID, evidence=True),
            _claim(forbidden, "Unrelated statement about stents and bile ducts", evidence=True),
        ],
    )
    m = score_case(summary, TEXT, CASE, Matcher())
    assert m["key_point_recall"] == 1.0
    assert m["placed_recall"] == pytest.approx(2 / 3)
    assert m["placed_recall.therapeutic_implication"] == 0.0
    assert m["placement_accuracy"] == pytest.approx(2 / 3)
    assert m["key_point_precision"] == pytest.approx(3 / 4)
    assert m["must_not_include_ok"] == 0.0 and m["must_not_include_violations"] == 1.0


def test_quote_verified_rate_detects_altered_quotes() -> None:
    good = _claim(S_MECH)
    q = good.quotes[0]
    bad = Claim(statement="x", quotes=[Quote(text="X" + q.text[1:], start=q.start, end=q.end)])
    summary = _summary(mechanism=[good, bad])
    assert quote_verified_rate(summary, TEXT) == 0.5
    assert quote_verified_rate(_summary(), TEXT) is None


def test_failed_summary_scores_zero_and_reference_is_used() -> None:
    m = score_case(None, TEXT, CASE, Matcher(), reference="a plain summary", latency_s=1.0)
    assert m["schema_valid"] == 0.0 and m["key_point_recall"] == 0.0
    assert m["must_not_include_ok"] == 0.0 and m["latency_s"] == 1.0
    summary = _summary(mechanism=[_claim(S_MECH)])
    with_ref = score_case(summary, TEXT, CASE, Matcher(), reference=S_MECH)
    assert with_ref["rouge_l.mechanism"] == pytest.approx(1.0)
    assert with_ref["rouge_l.evidence"] == 0.0


def test_aggregate_skips_none() -> None:
    agg = aggregate([{"a": 1.0, "b": None}, {"a": 0.0, "b": None}, {"a": 0.5, "b": 1.0}])
    assert agg == {"a": 0.5, "b": 1.0}
    assert aggregate([{"a": None}]) == {"a": None}


def _whole_claim(section: str) -> Claim:
    return Claim(
        statement=TEXT,
        quotes=[Quote(text=TEXT, start=0, end=len(TEXT))],
        evidence_kind=EvidenceKind.UNSPECIFIED if section == "evidence" else None,
    )


def test_copying_never_beats_a_concise_summary() -> None:
    concise = _summary(
        mechanism=[_claim(S_MECH)],
        evidence=[_claim(S_EVID, evidence=True)],
        therapeutic_implication=[_claim(S_IMPL)],
    )
    pasted = _summary(
        **{s: [_whole_claim(s)] for s in ("mechanism", "evidence", "therapeutic_implication")}
    )
    padded = _summary(
        mechanism=[_claim(S_MECH, S_MECH + " " + TEXT * 3)],
        evidence=[_claim(S_EVID, S_EVID + " " + TEXT * 3, evidence=True)],
        therapeutic_implication=[_claim(S_IMPL, S_IMPL + " " + TEXT * 3)],
    )
    budget = Budget(claims=3, words=12)
    real = score_case(concise, TEXT, CASE, Matcher(), budget=budget)["budgeted_placed_recall"]
    for copy in (pasted, padded):
        copied = score_case(copy, TEXT, CASE, Matcher(), budget=budget)
        assert copied["budgeted_placed_recall"] is not None and real is not None
        assert copied["budgeted_placed_recall"] <= real
    m = score_case(pasted, TEXT, CASE, Matcher(), budget=budget)
    assert m["compression"] == pytest.approx(1.0) and m["claims_per_field"] == 1.0
    # the same passage in three fields counts once
    assert (m["budgeted_placed_recall"] or 0.0) <= 1 / 3


def test_budget_counts_only_the_first_claims_of_a_field() -> None:
    filler = [_claim("Google Scholar", "An unrelated claim about bile ducts") for _ in range(3)]
    late = _summary(mechanism=[*filler, _claim(S_MECH)])
    m = score_case(late, TEXT, CASE, Matcher())
    assert m["key_point_recall.mechanism"] == 1.0
    assert m["budgeted_placed_recall.mechanism"] == 0.0


def test_unsupported_rate_and_explanations() -> None:
    unsupported = _claim(S_MECH, "CD73 converts AMP into adenosine in 90% of PD-L2+ tumours.")
    summary = _summary(mechanism=[_claim(S_MECH), unsupported])
    scored = score_summary(summary, TEXT, CASE, Matcher())
    assert scored.metrics["unsupported_rate"] == pytest.approx(0.5)
    assert scored.metrics["unsupported_rate.mechanism"] == pytest.approx(0.5)
    assert scored.metrics["tldr_unsupported"] == 0.0
    kps = scored.explanation["key_points"]
    assert kps[0]["covered"] and kps[0]["best_claim"]["field"] == "mechanism"
    assert kps[1]["covered"] is False
    assert scored.explanation["claims"][0]["covers"] == "CD73 generates adenosine from AMP"
