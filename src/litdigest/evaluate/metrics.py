"""Metrics of one summary against one golden case, and their aggregation.

Per case (``None`` when a metric does not apply, e.g. no key points; ``None`` values are left
out of averages):

* ``budgeted_placed_recall`` — **the headline**: share of key points covered by one of the
  first ``Budget.claims`` (K = 3) claims of the key point's own field, each claim cut to its
  first ``Budget.words`` (40) words (statement and quotes), a claim that repeats an earlier
  one not counted again; a summary that pastes the document gains nothing from what lies
  beyond its budget. In every view a claim whose statement shuffles the words of its own
  quotes (``match.coherent``) covers nothing. ``budgeted_recall``: the same in any field;
* ``key_point_recall`` / ``placed_recall`` / ``placement_accuracy`` / ``key_point_precision``
  — unbudgeted (every claim, whole text): a claim covers a key point when ``Matcher`` says so
  (salient-term gate and calibrated score, see ``match``); per field as ``<metric>.<field>``;
* ``schema_valid``, ``quote_verified_rate`` (quotes that are the exact slice of the cleaned
  text at their offsets), ``rouge_l`` (and ``.<field>``; against the case's reference text
  when given, else the key points), ``must_not_include_ok`` / ``_violations``;
* concision: ``compression`` (words of the quoted passages / document words), ``statement_ratio``
  (statement words / document words), ``claims_per_field``;
* faithfulness: ``unsupported_rate`` (and ``.<field>``) — share of claims whose statement its
  quotes do not support (``summarize.support.check_support``, the chains' own check: a
  number or salient term absent, a negation dropped or added, a direction contradicted);
  ``tldr_unsupported`` — 1 when the TL;DR holds a number or salient term absent from all of
  the summary's verified quotes;
* ``tokens``, ``cost_usd``, ``calls``, ``latency_s`` — usage of the summarization.

``score_summary`` also returns the explanations: per key point the best claim, its score and
the parts of the score; per claim the key point it covers, or "unmatched".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, ParamSpec

from pydantic import ValidationError

from litdigest.evaluate.match import coherent
from litdigest.summarize.schema import SECTIONS, Claim, DocumentSummary, Section

if TYPE_CHECKING:
    from litdigest.evaluate.golden import GoldenCase
    from litdigest.evaluate.match import Matcher, MatchParts

__all__ = [
    "COST_METRICS",
    "HEADLINE_METRICS",
    "INFO_METRICS",
    "QUALITY_METRICS",
    "Budget",
    "CaseScore",
    "aggregate",
    "known_metrics",
    "quote_verified_rate",
    "rouge_l",
    "score_case",
    "score_summary",
]

Metrics = dict[str, float | None]

P = ParamSpec("P")

_FIELD_METRICS: Final = ("budgeted_placed_recall", "key_point_recall", "placed_recall", "rouge_l")
# The metrics shown with their margin over the `random` baseline (first: the CI gate's).
HEADLINE_METRICS: Final[tuple[str, ...]] = (
    "budgeted_placed_recall",
    "budgeted_recall",
    "placed_recall",
    "key_point_recall",
)
# Higher is better; these are gated by thresholds and the regression check.
QUALITY_METRICS: Final[tuple[str, ...]] = (
    *HEADLINE_METRICS,
    "schema_valid",
    "quote_verified_rate",
    "key_point_precision",
    "placement_accuracy",
    "rouge_l",
    "must_not_include_ok",
    *(f"{m}.{s}" for m in _FIELD_METRICS for s in SECTIONS),
)
# Reported, not gated by the regression check (lower is usually better).
INFO_METRICS: Final[tuple[str, ...]] = (
    "compression",
    "statement_ratio",
    "claims_per_field",
    "unsupported_rate",
    *(f"unsupported_rate.{s}" for s in SECTIONS),
    "tldr_unsupported",
)
COST_METRICS: Final[tuple[str, ...]] = (
    "tokens",
    "cost_usd",
    "calls",
    "latency_s",
    "must_not_include_violations",
)


def known_metrics() -> frozenset[str]:
    return frozenset((*QUALITY_METRICS, *INFO_METRICS, *COST_METRICS))


@dataclass(frozen=True)
class Budget:
    """What the headline recall may use: the first ``claims`` claims of each field, each cut
    to its first ``words`` words."""

    claims: int = 3
    words: int = 40


@dataclass
class CaseScore:
    metrics: Metrics
    explanation: dict[str, Any] = field(default_factory=dict)


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
    shared = set(cand) & set(ref)  # words outside both cannot be in the LCS
    lcs = _lcs_length([w for w in cand if w in shared], [w for w in ref if w in shared])
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
            ok += _verified(q.text, q.start, q.end, text)
    return ok / total if total else None


def _verified(quote: str, start: int, end: int, text: str) -> bool:
    return 0 <= start <= end <= len(text) and text[start:end] == quote


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
    out: Metrics = dict.fromkeys(sorted(known_metrics()), None)
    out.update(schema_valid=0.0, quote_verified_rate=0.0, rouge_l=0.0)
    if case.key_points:
        for m in (*HEADLINE_METRICS, "placement_accuracy"):
            out[m] = 0.0
        for s in SECTIONS:
            if case.expected.get(s):
                for m in _FIELD_METRICS[:3]:
                    out[f"{m}.{s}"] = 0.0
    for s in SECTIONS:
        if reference or case.expected.get(s):
            out[f"rouge_l.{s}"] = 0.0
    if case.must_not_include:
        out["must_not_include_ok"] = 0.0
    return out


@dataclass(frozen=True)
class _View:
    """Claims as the matcher sees them: (field, index in field, statement, quotes text)."""

    claims: list[tuple[Section, int, str, str]]

    @classmethod
    def of(cls, summary: DocumentSummary, budget: Budget | None) -> _View:
        """Every claim (``budget`` None), or the first ``budget.claims`` of each field cut to
        ``budget.words`` words, without repeats: a claim that restates an earlier one (same
        statement, or quotes mostly inside earlier quotes) is not counted again."""
        out: list[tuple[Section, int, str, str]] = []
        seen: set[str] = set()
        used: list[tuple[int, int]] = []
        for section in SECTIONS:
            claims = summary.section(section)
            if budget is not None:
                claims = claims[: budget.claims]
            for i, c in enumerate(claims):
                statement, quotes = c.statement, " ".join(q.text for q in c.quotes)
                if not coherent(statement, quotes):
                    continue  # a word salad of its own quotes covers nothing
                if budget is not None:
                    key = " ".join(statement.lower().split())
                    if key in seen or _repeated(c, used):
                        continue
                    seen.add(key)
                    used += [(q.start, q.end) for q in c.quotes]
                    statement, quotes = _cut(statement, budget.words), _cut(quotes, budget.words)
                out.append((section, i, statement, quotes))
        return cls(out)


def _repeated(claim: Claim, used: Sequence[tuple[int, int]]) -> bool:
    """More than half of the claim's quoted characters lie inside ``used`` spans."""
    total = sum(q.end - q.start for q in claim.quotes)
    inside = 0
    for q in claim.quotes:
        for a, b in used:
            inside += max(0, min(q.end, b) - max(q.start, a))
    return total > 0 and inside > total / 2


def _cut(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words])


def _coverage(
    view: _View, kps: Sequence[tuple[Section, str]], matcher: Matcher
) -> tuple[list[int | None], list[bool], list[list[MatchParts]]]:
    """Per key point: the best claim (index into ``view``), whether it covers; the parts."""
    parts = matcher.parts(
        [c[2] for c in view.claims], [k for _, k in kps], [c[3] for c in view.claims]
    )
    best: list[int | None] = []
    covered: list[bool] = []
    for j in range(len(kps)):
        column = [
            (row[j].covers(matcher.threshold), row[j].score, i) for i, row in enumerate(parts)
        ]
        if not column:
            best.append(None)
            covered.append(False)
            continue
        hit, _, i = max(column)
        best.append(i)
        covered.append(hit)
    return best, covered, parts


def _placed(
    view: _View, kps: Sequence[tuple[Section, str]], parts: list[list[MatchParts]], t: float
) -> list[bool]:
    """Per key point: covered by some claim of its own field."""
    return [
        any(view.claims[i][0] == s and parts[i][j].covers(t) for i in range(len(view.claims)))
        for j, (s, _) in enumerate(kps)
    ]


def _recall_metrics(
    out: Metrics, summary: DocumentSummary, case: GoldenCase, matcher: Matcher, budget: Budget
) -> dict[str, Any]:
    """Budgeted and unbudgeted recall metrics into ``out``; returns the explanation."""
    kps = case.key_points
    full, cut = _View.of(summary, None), _View.of(summary, budget)
    _, covered, parts = _coverage(full, kps, matcher)
    placed = _placed(full, kps, parts, matcher.threshold)
    b_best, b_covered, b_parts = _coverage(cut, kps, matcher)
    b_placed = _placed(cut, kps, b_parts, matcher.threshold)
    n = len(kps)
    out["key_point_recall"] = sum(covered) / n
    out["placed_recall"] = sum(placed) / n
    out["placement_accuracy"] = sum(placed) / sum(covered) if any(covered) else 0.0
    out["budgeted_recall"] = sum(b_covered) / n
    out["budgeted_placed_recall"] = sum(b_placed) / n
    for s in SECTIONS:
        idx = [j for j, (section, _) in enumerate(kps) if section == s]
        if idx:
            out[f"key_point_recall.{s}"] = sum(covered[j] for j in idx) / len(idx)
            out[f"placed_recall.{s}"] = sum(placed[j] for j in idx) / len(idx)
            out[f"budgeted_placed_recall.{s}"] = sum(b_placed[j] for j in idx) / len(idx)
    if full.claims:
        hits = [any(p.covers(matcher.threshold) for p in row) for row in parts]
        out["key_point_precision"] = sum(hits) / len(hits)
    return _explain(cut, kps, b_best, b_covered, b_placed, b_parts, matcher.threshold)


def _explain(
    view: _View,
    kps: Sequence[tuple[Section, str]],
    best: list[int | None],
    covered: list[bool],
    placed: list[bool],
    parts: list[list[MatchParts]],
    t: float,
) -> dict[str, Any]:
    """Per key point the best (budgeted) claim and the parts of its score; per claim the key
    point it covers best, or "unmatched"."""
    kp_out: list[dict[str, Any]] = []
    for j, (section, text) in enumerate(kps):
        i = best[j]
        entry: dict[str, Any] = {"field": section, "key_point": text, "covered": covered[j]}
        entry["placed"] = placed[j]
        if i is not None:
            f, k, statement, _ = view.claims[i]
            entry["best_claim"] = {"field": f, "index": k, "statement": statement}
            entry["parts"] = parts[i][j].as_dict()
        kp_out.append(entry)
    claims_out: list[dict[str, Any]] = []
    for i, (f, k, statement, _) in enumerate(view.claims):
        row = [(p.covers(t), p.score, j) for j, p in enumerate(parts[i])]
        hit = max(row) if row else None
        covers = kps[hit[2]][1] if hit is not None and hit[0] else "unmatched"
        claims_out.append({"field": f, "index": k, "statement": statement, "covers": covers})
    return {"key_points": kp_out, "claims": claims_out}


def _word_count(text: str) -> int:
    return len(text.split())


def _concision(out: Metrics, summary: DocumentSummary, text: str) -> None:
    doc_words = max(_word_count(text), 1)
    spans = sorted(
        (q.start, q.end)
        for _, _, c in summary.iter_claims()
        for q in c.quotes
        if _verified(q.text, q.start, q.end, text)
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    quoted = sum(_word_count(text[a:b]) for a, b in merged)
    claims = [c for _, _, c in summary.iter_claims()]
    out["compression"] = quoted / doc_words
    out["statement_ratio"] = sum(_word_count(c.statement) for c in claims) / doc_words
    out["claims_per_field"] = len(claims) / len(SECTIONS)


def _unsupported(claim: Claim) -> bool:
    """The chains' own check (summarize.support): names, numbers, negations, directions."""
    from litdigest.summarize.support import check_support

    return not check_support(claim.statement, [q.text for q in claim.quotes]).ok


def _faithfulness(out: Metrics, summary: DocumentSummary, text: str) -> None:
    from litdigest.summarize.support import check_terms

    flags: list[bool] = []
    for s in SECTIONS:
        claims = summary.section(s)
        field_flags = [_unsupported(c) for c in claims]
        flags += field_flags
        if field_flags:
            out[f"unsupported_rate.{s}"] = sum(field_flags) / len(field_flags)
    if flags:
        out["unsupported_rate"] = sum(flags) / len(flags)
    verified = " ".join(
        q.text
        for _, _, c in summary.iter_claims()
        for q in c.quotes
        if _verified(q.text, q.start, q.end, text)
    )
    if summary.tldr.strip():
        out["tldr_unsupported"] = 0.0 if check_terms(summary.tldr, verified).ok else 1.0


def score_summary(
    summary: DocumentSummary | None,
    text: str,
    case: GoldenCase,
    matcher: Matcher,
    *,
    reference: str | None = None,
    latency_s: float | None = None,
    budget: Budget | None = None,
    rouge: bool = True,
) -> CaseScore:
    """Every metric of ``summary`` (None: the summarizer failed) for ``case``, explained
    (``rouge=False`` skips ROUGE-L, e.g. for the baselines)."""
    if summary is None:
        out = _failed_case(case, reference)
        out["latency_s"] = latency_s
        return CaseScore(out)
    out = dict.fromkeys(sorted(known_metrics()), None)
    out["schema_valid"] = 1.0 if _schema_valid(summary) else 0.0
    out["quote_verified_rate"] = quote_verified_rate(summary, text)
    explanation: dict[str, Any] = {}
    if case.key_points:
        explanation = _recall_metrics(out, summary, case, matcher, budget or Budget())
    if rouge:
        _rouge(out, summary, case, reference)
    _concision(out, summary, text)
    _faithfulness(out, summary, text)
    if case.must_not_include:
        n = _violations(summary, case.must_not_include)
        out["must_not_include_violations"] = float(n)
        out["must_not_include_ok"] = 0.0 if n else 1.0
    usage = summary.usage
    out["tokens"] = float(usage.total_tokens)
    out["cost_usd"] = usage.cost_usd
    out["calls"] = float(usage.calls)
    out["latency_s"] = latency_s
    return CaseScore(out, explanation)


def _rouge(out: Metrics, summary: DocumentSummary, case: GoldenCase, reference: str | None) -> None:
    claims = [(s, c.statement) for s, _, c in summary.iter_claims()]
    overall_ref = reference or "\n".join(k for _, k in case.key_points)
    if overall_ref:
        out["rouge_l"] = rouge_l("\n".join(c for _, c in claims), overall_ref)
    for s in SECTIONS:
        ref = reference or "\n".join(case.expected.get(s, ()))
        if ref:
            out[f"rouge_l.{s}"] = rouge_l("\n".join(c for sec, c in claims if sec == s), ref)


def _metrics_only(score: Callable[P, CaseScore]) -> Callable[P, Metrics]:
    def metrics(*args: P.args, **kwargs: P.kwargs) -> Metrics:
        return score(*args, **kwargs).metrics

    metrics.__name__ = metrics.__qualname__ = "score_case"
    metrics.__doc__ = "The metrics of ``score_summary`` (same arguments) without the explanations."
    return metrics


score_case = _metrics_only(score_summary)


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
