"""Bootstrap intervals of the eval's means and paired differences (``evaluate.intervals``)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from litdigest.evaluate.intervals import mean_interval, paired_interval


def test_the_interval_holds_the_mean_and_is_reproducible() -> None:
    values = [0.2, 0.5, 0.75, 0.4, 1.0, 0.0, 0.6, 0.25]
    span = mean_interval(values)
    assert span is not None
    low, high = span
    assert low < float(np.mean(values)) < high
    assert low >= 0.0 and high <= 1.0
    assert mean_interval(values) == span  # seeded: the same report gives the same interval
    assert mean_interval(values, seed=1) != span


def test_no_interval_without_spread_to_measure() -> None:
    assert mean_interval([]) is None
    assert mean_interval([0.5]) is None
    assert mean_interval([0.5, 0.5, 0.5]) == (0.5, 0.5)


def test_more_cases_give_a_narrower_interval() -> None:
    rng = np.random.default_rng(7)
    few = rng.random(6).tolist()
    many = rng.random(120).tolist()
    spans = [mean_interval(few), mean_interval(many)]
    assert spans[0] is not None and spans[1] is not None
    assert spans[1][1] - spans[1][0] < (spans[0][1] - spans[0][0]) / 2


def test_a_95_percent_interval_covers_the_true_mean_about_95_times_in_100() -> None:
    rng = np.random.default_rng(11)
    hits = 0
    trials = 300
    for _ in range(trials):
        sample = (rng.random(30) < 0.4).astype(float).tolist()  # recall-like 0/1 outcomes
        span = mean_interval(sample, draws=1000)
        assert span is not None
        hits += span[0] <= 0.4 <= span[1]
    assert 0.88 <= hits / trials <= 0.99


def test_paired_differences_resample_cases_together() -> None:
    system = [0.5, 0.8, 0.2, 0.9, 0.4, 0.7]
    assert paired_interval(system, system) == (0.0, 0.0)
    # a constant lead of 0.1 per case is certain, however spread the cases are
    lead = paired_interval([v + 0.1 for v in system], system)
    assert lead is not None
    assert lead[0] == pytest.approx(0.1) and lead[1] == pytest.approx(0.1)
    # unpaired, the same two samples would overlap widely
    a, b = mean_interval([v + 0.1 for v in system]), mean_interval(system)
    assert a is not None and b is not None and a[0] < b[1]
    with pytest.raises(ValueError, match="differ in length"):
        paired_interval([0.1, 0.2], [0.1])


def test_report_metrics_keep_one_order_across_processes(tmp_path: Path) -> None:
    """``report.json`` lists a case's metrics in sorted order whatever the hash seed, so a
    regenerated baseline differs from the committed one only where a figure changed."""
    code = (
        "from litdigest.evaluate.metrics import _failed_case\n"
        "from litdigest.evaluate.golden import GoldenCase\n"
        "case = GoldenCase.model_validate({'id': 'x', 'document': 'x.txt'})\n"
        "print(list(_failed_case(case, None)))\n"
    )
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        seen.add(out.stdout)
    assert len(seen) == 1
    keys = ast.literal_eval(seen.pop())
    assert keys == sorted(keys)
