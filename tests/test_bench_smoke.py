"""Smoke test of the benchmark code on tiny inputs (not a timed test): it must not rot."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench_memory, bench_peers, bench_summarize, bench_tokens, run  # noqa: E402

ABSTRACTS = [
    "A total of 12 trials involving 1800 participants were included. Vaccination reduced the "
    "risk of influenza compared with placebo (RR 0.4, 95% CI 0.3 to 0.6). Adverse events were "
    "mild and transient in most studies. The quality of the evidence was moderate.",
    "We included four randomised trials with 320 patients with asthma. Inhaled steroids "
    "improved lung function and reduced exacerbations compared with placebo. The mechanism "
    "involves suppression of airway inflammation through reduced cytokine signalling. "
    "Longer trials are needed to assess safety in children.",
    "Six cohort studies of 5400 adults were found. Higher physical activity was associated "
    "with lower mortality in patients with heart failure. Exercise training may improve "
    "outcomes by increasing cardiac output and reducing sympathetic activation. Further "
    "randomised evidence is required.",
]
TARGETS = [
    "Flu vaccines reduce the risk of flu and have mild side effects.",
    "Steroid inhalers improve breathing and reduce asthma attacks.",
    "Being active is linked with living longer with heart failure.",
]


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    cochrane = root / "corpus" / "cochrane"
    cochrane.mkdir(parents=True)
    (cochrane / "test.source").write_text("\n".join(ABSTRACTS) + "\n", encoding="utf-8")
    (cochrane / "test.target").write_text("\n".join(TARGETS) + "\n", encoding="utf-8")
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "000_seed.txt").write_text(
        (ROOT / "examples" / "scraped-page.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return root


def test_peers(shared: Path) -> None:
    result = bench_peers.run(shared)
    assert result["documents"] == 3
    assert {r["system"].split(" ")[0] for r in result["table"]} >= {"ours:", "sumy", "lead-3"}
    assert all(0.0 <= r["rougeL"] <= 1.0 for r in result["table"])


def test_span_tokenizer() -> None:
    tok = bench_peers.SpanTokenizer()
    assert tok.to_sentences("One two three. Four five six.") == ("One two three.", "Four five six.")
    assert tok.to_words("T cells, IL-2.") == ("T", "cells", "IL", "2")


def test_llm_throughput_and_cache(shared: Path) -> None:
    result = bench_summarize.run(shared, latency_s=0.01, concurrencies=(1, 4), subset_at_1=2)
    rows = {r["concurrency"]: r for r in result["llm"]}
    assert rows[1]["documents"] == 2 and rows[4]["documents"] == 3
    assert all(r["calls"] >= r["documents"] and r["rerun_calls"] == 0 for r in rows.values())
    assert len(result["raw_sdk"]) == 2


def test_tokens(shared: Path) -> None:
    result = bench_tokens.run(shared)
    assert result["documents"] == 1
    row = result["rows"][0]
    assert row["our_calls"] >= 1 and row["their_calls"] >= 1
    assert row["our_prompt_tokens"] > 0 and row["their_prompt_tokens"] > 0
    assert row["our_grounding"] == 1.0


def test_memory(shared: Path) -> None:
    result = bench_memory.run(shared, sizes=(1, 3))
    assert [r["outputs"] for r in result["rows"]] == [1, 3]
    assert all(r["exit_code"] == 0 and r["peak_rss_mb"] > 0 for r in result["rows"])


def test_markdown_renders_every_section(shared: Path) -> None:
    results = {
        "machine": run.machine(),
        "peers": bench_peers.run(shared),
        "memory": bench_memory.run(shared, sizes=(1, 2)),
        "cleaning": {"skipped": "not here"},
    }
    md = run.markdown(results)
    assert "sumy LexRank" in md and "peak RSS" in md and "met?" in md
