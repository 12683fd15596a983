"""The benchmark scorer (bench/extraction_score.py) follows the extraction benchmark's evaluate.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "bench" / "extraction_score.py"
    spec = importlib.util.spec_from_file_location("extraction_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["extraction_score"] = module
    spec.loader.exec_module(module)
    return module


es = _load()


def test_shingles_counts_and_short_texts() -> None:
    assert es.shingles("a b c d e")[("a", "b", "c", "d")] == 1
    assert sum(es.shingles("a b c d e").values()) == 2
    assert list(es.shingles("only two")) == [("only", "two")]
    assert not es.shingles("")


def test_perfect_and_disjoint_pages() -> None:
    text = "one two three four five six"
    perfect = es.score_page(text, text)
    assert (perfect.precision, perfect.recall) == (1.0, 1.0)
    wrong = es.score_page("alpha beta gamma delta", text)
    assert wrong.precision == 0.0 and wrong.recall == 0.0
    empty = es.score_page("", text)
    assert empty.precision is None and empty.recall == 0.0


def test_partial_page_and_means() -> None:
    truth = "w1 w2 w3 w4 w5 w6 w7"  # 4 shingles
    pred = "w1 w2 w3 w4 w5 x y z"  # 2 true shingles, 3 false
    s = es.score_page(pred, truth)
    assert s.precision == pytest.approx(2 / 5)
    assert s.recall == pytest.approx(2 / 4)
    summary = es.evaluate({"a": pred, "b": truth}, {"a": truth, "b": truth})
    assert summary.precision == pytest.approx((0.4 + 1.0) / 2)
    assert summary.recall == pytest.approx((0.5 + 1.0) / 2)
    p, r = summary.precision, summary.recall
    assert summary.f1 == pytest.approx(2 * p * r / (p + r))


def test_pages_without_prediction_are_left_out_of_precision() -> None:
    summary = es.evaluate({}, {"a": "w1 w2 w3 w4 w5"})
    assert summary.recall == 0.0
    assert summary.precision == 0.0  # no page counted: mean over nothing is reported as 0
