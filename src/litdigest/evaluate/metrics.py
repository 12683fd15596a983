"""Metrics of one summary against one golden case, and their aggregation.

Per case (``None`` when a metric does not apply, e.g. no key points; ``None`` values are left
out of averages):

* ``schema_valid`` — 1 if the summary validates as a ``DocumentSummary``;
* ``quote_verified_rate`` — share of quotes that are the exact slice of the cleaned text at
  their offsets;
* ``key_point_recall`` — share of key points covered by some claim (any field): a claim
  covers a key point when ``Matcher`` scores them at least ``MATCH_THRESHOLD``; per field as
  ``key_point_recall.<field>`` (the key points of that field);
* ``key_point_precision`` — share of claims that cover at least one key point;
* ``placed_recall`` (and ``.<field>``) — share of key points whose *best* matching claim
  covers them and sits in the key point's field; ``placement_accuracy`` — placed / covered:
  a covered point in the wrong field lowers it;
* ``rouge_l`` (and ``.<field>``) — ROUGE-L F1 of the claim statements against the case's
  reference text when given, else against the key points joined (of that field);
* ``must_not_include_ok`` — 1 if no ``must_not_include`` string occurs (case-insensitive) in
  the tldr, a statement or a quote; ``must_not_include_violations`` counts them;
* ``tokens``, ``cost_usd``, ``calls``, ``latency_s`` — usage of the summarization.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

from pydantic import ValidationError

from litdigest.summarize.schema import SECTIONS, DocumentSummary

if TYPE_CHECKING:
    from litdigest.evaluate.golden import GoldenCase
    from litdigest.evaluate.match import Matcher

__all__ = [
    "COST_METRICS",
    "QUALITY_METRICS",
    "aggregate",
    "known_metrics",
    "quote_verified_rate",
    "rouge_l",
    "score_case",
]

Metrics = dict[str, float | None]

_FIELD_METRICS: Final = ("key_point_recall", "placed_recall", "rouge_l")
# Higher is better; these are gated by thresholds and the regression check.
QUALITY_METRICS: Final[tuple[str, ...]] = (
    "schema_valid",
    "quote_verified_rate",
    "key_point_recall",
    "key_point_precision",
    "placed_recall",
    "placement_accuracy",
    "rouge_l",
    "must_not_include_ok",
    *(f"{m}.{s}" for m in _FIELD_METRICS for s in SECTIONS),
)
COST_METRICS: Final[tuple[str, ...]] = (
    "tokens",
    "cost_usd",
    "calls",
    "latency_s",
    "must_not_include_violations",
)


def known_metrics() -> frozenset[str]:
    return frozenset((*QUALITY_METRICS, *COST_METRICS))


# --------------------------------------------------------------------------------------------
# ROUGE-L

_WORD_RE: Final = re.compile(r"[^\W_]+", re.UNICODE)


def _rouge_tokens(text: str) -> list[str]:
    from litdigest.evaluate.match import stem

    return [stem(w) for w in _WORD_RE.findall(text.lower())]


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            cur[j] = prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1])
        prev = cur
    return prev[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (LCS of lower-cased, lightly stemmed words); 0 when either is empty."""
    cand, ref = _rouge_tokens(candidate), _rouge_tokens(reference)
    if not cand or not ref:
        return 0.0
    lcs = _lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    p, r = lcs / len(cand), lcs / len(ref)
    return 2 * p * r / (p + r)


# --------------------------------------------------------------------------------------------
# Per case


def quote_verified_rate(summary: DocumentSummary, text: str) -> float | None:
    """Share of quotes that are exactly ``text[start:end]`` (None when there is no quote)."""
    total = ok = 0
    for _, _, claim in summary.iter_claims():
        for q in claim.quotes:
            total += 1
            ok += 0 <= q.start <= q.end <= len(text) and text[q.start : q.end] == q.text
    return ok / total if total else None


def _schema_valid(summary: DocumentSummary) -> bool:
    try:
        DocumentSummary.model_validate(summary.model_dump())
    except ValidationError:
        return False
    return True


def _violations(summary: DocumentSummary, forbidden: Iterable[str]) -> int:
    texts = [summary.tldr]
    for _, _, claim in summary.iter_claims():
        texts.append(claim.statement)
        texts.extend(q.text for q in claim.quotes)
    blob = "\n".join(texts).lower()
    return sum(f.lower() in blob for f in forbidden)


def _failed_case(case: GoldenCase, reference: str | None) -> Metrics:
    """Metrics of a case whose summary could not be produced: every quality metric is 0."""
    out: Metrics = dict.fromkeys((*QUALITY_METRICS, *COST_METRICS), None)
    out.update(schema_valid=0.0, quote_verified_rate=0.0, rouge_l=0.0)
    if case.key_points:
        for m in ("key_point_recall", "placed_recall", "placement_accuracy"):
            out[m] = 0.0
        for s in SECTIONS:
            if case.expected.get(s):
                out[f"key_point_recall.{s}"] = out[f"placed_recall.{s}"] = 0.0
    for s in SECTIONS:
        if reference or case.expected.get(s):
            out[f"rouge_l.{s}"] = 0.0
    if case.must_not_include:
        out["must_not_include_ok"] = 0.0
    return out


def score_case(
    summary: DocumentSummary | None,
    text: str,
    case: GoldenCase,
    matcher: Matcher,
    *,
    reference: str | None = None,
    latency_s: float | None = None,
) -> Metrics:
    """Every metric of ``summary`` (None: the summarizer failed) for ``case``."""
    if summary is None:
        out = _failed_case(case, reference)
        out["latency_s"] = latency_s
        return out
    out = dict.fromkeys((*QUALITY_METRICS, *COST_METRICS), None)
    out["schema_valid"] = 1.0 if _schema_valid(summary) else 0.0
    out["quote_verified_rate"] = quote_verified_rate(summary, text)

    claims = [(s, c.statement) for s, _, c in summary.iter_claims()]
    kps = case.key_points
    if kps:
        scores = matcher.matrix([c for _, c in claims], [k for _, k in kps])
        covered: list[bool] = []
        placed: list[bool] = []
        for j, (section, _) in enumerate(kps):
            if not claims:
                covered.append(False)
                placed.append(False)
                continue
            column = scores[:, j]
            best = int(column.argmax())
            hit = bool(column[best] >= matcher.threshold)
            covered.append(hit)
            placed.append(hit and claims[best][0] == section)
        out["key_point_recall"] = sum(covered) / len(kps)
        out["placed_recall"] = sum(placed) / len(kps)
        out["placement_accuracy"] = sum(placed) / sum(covered) if any(covered) else 0.0
        for s in SECTIONS:
            idx = [j for j, (section, _) in enumerate(kps) if section == s]
            if idx:
                out[f"key_point_recall.{s}"] = sum(covered[j] for j in idx) / len(idx)
                out[f"placed_recall.{s}"] = sum(placed[j] for j in idx) / len(idx)
        if claims:
            out["key_point_precision"] = float(
                sum(bool(scores[i].max() >= matcher.threshold) for i in range(len(claims)))
                / len(claims)
            )
    # ROUGE-L
    all_text = "\n".join(c for _, c in claims)
    overall_ref = reference or "\n".join(k for _, k in kps)
    if overall_ref:
        out["rouge_l"] = rouge_l(all_text, overall_ref)
    for s in SECTIONS:
        ref = reference or "\n".join(case.expected.get(s, ()))
        if ref:
            out[f"rouge_l.{s}"] = rouge_l("\n".join(c for sec, c in claims if sec == s), ref)
    if case.must_not_include:
        n = _violations(summary, case.must_not_include)
        out["must_not_include_violations"] = float(n)
        out["must_not_include_ok"] = 0.0 if n else 1.0
    usage = summary.usage
    out["tokens"] = float(usage.total_tokens)
    out["cost_usd"] = usage.cost_usd
    out["calls"] = float(usage.calls)
    out["latency_s"] = latency_s
    return out


def aggregate(per_case: Iterable[Mapping[str, float | None]]) -> Metrics:
    """Mean of each metric over the cases where it applies (None when it applies nowhere)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    keys: list[str] = []
    for metrics in per_case:
        for k, v in metrics.items():
            if k not in sums:
                sums[k], counts[k] = 0.0, 0
                keys.append(k)
            if v is not None:
                sums[k] += v
                counts[k] += 1
    return {k: (sums[k] / counts[k] if counts[k] else None) for k in keys}
