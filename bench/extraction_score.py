"""Scoring of main-content extraction, identical to the extraction benchmark's evaluate.py.

Tokens are ``\\w+`` runs; each text becomes a multiset of 4-token shingles. Per page,
tp/fp/fn are normalised by their sum; precision and recall are averaged over pages and F1 is
computed from the two means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """Shingle multiset; like evaluate.py, a text shorter than ``n`` tokens is one shingle."""
    tokens = _TOKEN.findall(text or "")
    grams = (tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


@dataclass(frozen=True)
class PageScore:
    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float | None:
        if self.tp + self.fp == 0:
            return None
        if self.fp == 0 and self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        if self.tp + self.fn == 0:
            return None
        if self.fp == 0 and self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def score_page(predicted: str, truth: str) -> PageScore:
    pred, true = shingles(predicted), shingles(truth)
    tp = sum(min(pred[k], true[k]) for k in pred.keys() & true.keys())
    fp = sum(max(0, c - true[k]) for k, c in pred.items())
    fn = sum(max(0, c - pred[k]) for k, c in true.items())
    total = tp + fp + fn
    if total == 0:
        return PageScore(0.0, 0.0, 0.0)
    return PageScore(tp / total, fp / total, fn / total)


@dataclass(frozen=True)
class Summary:
    precision: float
    recall: float
    f1: float
    pages: int

    def as_dict(self) -> dict[str, float]:
        return {
            "f1": round(self.f1, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "pages": self.pages,
        }


def summarize(scores: Iterable[PageScore]) -> Summary:
    scores = list(scores)
    precisions = [p for s in scores if (p := s.precision) is not None]
    recalls = [r for s in scores if (r := s.recall) is not None]
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Summary(p, r, f1, len(scores))


def evaluate(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Summary:
    """Score ``predicted`` id → text against ``truth`` id → text (missing predictions are empty)."""
    return summarize(score_page(predicted.get(k, ""), t) for k, t in truth.items())
