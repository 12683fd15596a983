"""How far the matcher can be trusted, reported with every eval run.

* ``pair_report`` — precision, recall and F1 at the stored threshold on the labelled pairs
  of ``evals/calibration/pairs.yaml``, per split (``train`` calibrates; ``heldout`` reports),
  and ``train-cv``: the threshold chosen on 4 of 5 folds of the train pairs, grouped by topic
  (``match.pair_groups``), scored on the fifth;
* ``cross_case_rate`` — the share of (key point, key point) pairs of *different* cases of
  one golden set that the matcher says cover each other: key points should stay with their
  own document, so this should be near 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litdigest.evaluate.golden import GoldenSet
from litdigest.evaluate.match import Matcher, cross_validate, evaluate_pairs, load_pairs

__all__ = [
    "DEFAULT_PAIRS",
    "cross_case_counts",
    "cross_case_rate",
    "matcher_info",
    "pair_report",
]

DEFAULT_PAIRS = Path("evals/calibration/pairs.yaml")


def pair_report(path: Path, threshold: float) -> dict[str, dict[str, float]]:
    pairs = load_pairs(path)
    out: dict[str, dict[str, float]] = {}
    for split in ("train", "heldout"):
        chosen = [p for p in pairs if p.split == split]
        if chosen:
            out[split] = {k: round(v, 4) for k, v in evaluate_pairs(chosen, threshold).items()}
        if chosen and split == "train":
            # the calibration procedure cross-validated within the train pairs
            out["train-cv"] = {k: round(v, 4) for k, v in cross_validate(chosen).items()}
    return out


def cross_case_rate(gs: GoldenSet, matcher: Matcher) -> float | None:
    """Share of key-point pairs from different cases of ``gs`` that match (None: < 2 cases)."""
    hits, total = cross_case_counts(gs, matcher)
    return hits / total if total else None


def cross_case_counts(gs: GoldenSet, matcher: Matcher) -> tuple[int, int]:
    """(matching, all) ordered key-point pairs from different cases of ``gs``."""
    owners: list[str] = []
    texts: list[str] = []
    for case in gs.cases:
        for _, kp in case.key_points:
            owners.append(case.id)
            texts.append(kp)
    if len(set(owners)) < 2:
        return 0, 0
    parts = matcher.parts(texts, texts)
    hits = total = 0
    for i, row in enumerate(parts):
        for j, p in enumerate(row):
            if owners[i] != owners[j]:
                total += 1
                hits += p.covers(matcher.threshold)
    return hits, total


def matcher_info(
    sets: Sequence[GoldenSet], matcher: Matcher, pairs: Path | None = DEFAULT_PAIRS
) -> dict[str, Any]:
    """The report's ``matcher`` block (pairs are skipped when the file is absent)."""
    info: dict[str, Any] = {"threshold": matcher.threshold}
    if pairs is not None and pairs.is_file():
        info["pairs"] = pair_report(pairs, matcher.threshold)
    rates: dict[str, float | None] = {}
    all_hits = all_total = 0
    for gs in sets:
        hits, total = cross_case_counts(gs, matcher)
        rates[gs.name] = round(hits / total, 4) if total else None
        all_hits, all_total = all_hits + hits, all_total + total
    known = [r for r in rates.values() if r is not None]
    rates["mean"] = round(sum(known) / len(known), 4) if known else None
    rates["pooled"] = round(all_hits / all_total, 4) if all_total else None
    info["cross_case"] = rates
    return info
