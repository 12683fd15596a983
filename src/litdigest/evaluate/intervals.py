"""Bootstrap confidence intervals for eval means, and for paired differences.

A golden set holds 2 to 20 cases, so a mean moves by several hundredths when one case changes.
Every headline figure and its margin over ``random`` is therefore reported with a 95%
percentile-bootstrap interval over the cases, and a comparison with a baseline report with
the interval of the paired per-case difference. Resampling is seeded (the same report gives
the same intervals) and vectorised: 2,000 draws over 68 cases take about a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

__all__ = ["DRAWS", "LEVEL", "mean_interval", "paired_interval"]

DRAWS: Final = 2000
LEVEL: Final = 0.95
_SEED: Final = 20261201


def mean_interval(
    values: Sequence[float], *, draws: int = DRAWS, level: float = LEVEL, seed: int = _SEED
) -> tuple[float, float] | None:
    """The percentile-bootstrap interval of the mean of ``values`` (None under two values:
    one case says nothing about the spread)."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, data.size, size=(draws, data.size))
    means = data[picks].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def paired_interval(
    values: Sequence[float],
    others: Sequence[float],
    *,
    draws: int = DRAWS,
    level: float = LEVEL,
    seed: int = _SEED,
) -> tuple[float, float] | None:
    """The interval of the mean of ``values[i] - others[i]``: the same cases, resampled
    together (a margin over a baseline, or a change against an earlier report)."""
    if len(values) != len(others):
        raise ValueError(f"paired samples differ in length: {len(values)} vs {len(others)}")
    diffs = [a - b for a, b in zip(values, others, strict=True)]
    return mean_interval(diffs, draws=draws, level=level, seed=seed)
