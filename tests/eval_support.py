"""Shared helpers for the eval-harness tests (tests/test_eval_*.py)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest

from litdigest.config import load_settings
from litdigest.evaluate.match import Matcher
from litdigest.evaluate.runner import EvalRun, load_sets, run_sets
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
GOLDEN = REPO / "evals" / "golden"
SECRET = "sk-test-LITDIGEST-SECRET-0123456789"


@pytest.fixture
def eval_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No CI summary, no keys or config from the machine; state dir inside tmp_path."""
    for name in ("GITHUB_STEP_SUMMARY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "LITDIGEST_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    yield tmp_path


def write_golden(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


SMALL_SET = f"""
name: small
thresholds: {{quote_verified_rate: 1.0, key_point_recall: 0.5}}
cases:
  - id: cd73
    document: {EXAMPLES / "records.ris"}
    record: 2
    expected:
      mechanism: ["CD73 converts extracellular AMP into adenosine"]
      evidence: ["anti-CD73 extended survival in ID8 mice and depended on NK cells"]
      therapeutic_implication: ["blocking CD73 or A2A may restore NK-cell killing"]
  - id: tls
    document: {EXAMPLES / "records.ris"}
    record: 3
    reference: "Tumours with many lymphoid structures responded more often to PD-1 blockade."
    expected:
      evidence: ["TLS-high sarcomas responded more often to anti-PD-1 than TLS-low sarcomas"]
      therapeutic_implication: ["TLS status can select sarcoma patients for checkpoint therapy"]
    must_not_include: ["Google Scholar"]
  - id: absent
    document: does-not-exist/nowhere.txt
    expected:
      mechanism: ["anything"]
"""


@lru_cache(maxsize=1)
def all_sets_run() -> EvalRun:
    """Every committed golden set summarized by the shipped offline backend (extractive-v3;
    no random draws); sets over ../shared have their cases skipped when it is absent."""
    settings = load_settings()
    sets = load_sets(sorted(GOLDEN.glob("*.yaml")))
    backend = ExtractiveV3Backend.from_settings(settings.summarize)
    return run_sets(sets, backend, settings, Matcher(), random_draws=0)
