"""Model faults on the loopback server, end to end through ``summarize --backend openai``.

For each fault at a set rate: every document is summarized or reported; no invented quote
reaches the output (every quote is checked against ``litdigest clean --json``); the retry
budget holds per prompt; usage counts every request sent, retries and re-asks included
(``sum(usage.calls)`` equals the chat requests the server received).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import DocumentSummary
from tests.loopback_server import Fault, FaultPlan, LoopbackServer, RecordedRequest
from tests.support import (
    clean_env,
    cleaned_texts,
    cochrane_or_examples,
    failure_lines,
    summarize_through,
)
from tests.test_summarize_cli import FAKE_KEY

N_DOCS = 20
MAX_RETRIES = 3
REASK = 2  # LITDIGEST_SUMMARIZE__REASK_ATTEMPTS (the default)
GROUNDING_REASKS = 1  # chains: claims with unverified quotes are re-asked once
INVENTED = "This invented sentence was never written in the article"


def _summarize(
    srv: LoopbackServer, corpus: Path, db: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return summarize_through(
        srv.base_url, db, "--concurrency", "8", str(corpus), env=env, timeout=300
    )


def _chat(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if r.path.rstrip("/").endswith("/chat/completions")]


def _check_grounded(out: list[DocumentSummary], texts: dict[str, str]) -> None:
    for summary in out:
        text = texts[summary.doc_id]
        assert verify_summary(summary, text) == []
        for _, _, claim in summary.iter_claims():
            for quote in claim.quotes:
                assert text[quote.start : quote.end] == quote.text
        assert INVENTED not in summary.model_dump_json()


FAULTS = [
    Fault.RATE_LIMIT,
    Fault.SERVER_ERROR,
    Fault.TIMEOUT,
    Fault.RESET,
    Fault.MALFORMED_JSON,
    Fault.SCHEMA_INVALID,
    Fault.INVENTED_QUOTE,
    Fault.TRUNCATED,
    Fault.REFUSAL,
]


def _drop_duplicate_files(corpus: Path, env: dict[str, str]) -> None:
    """Remove files whose text another file already has (in the examples/ fallback,
    review.pdf and pdf-text.txt clean to the same text: one summary would stand for two
    inputs, and the counts below are per document)."""
    result = subprocess.run(
        [sys.executable, "-m", "litdigest", "clean", "--json", str(corpus)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    seen: set[str] = set()
    for line in result.stdout.splitlines():
        doc = json.loads(line)
        if doc["doc_id"] in seen:
            Path(doc["source"].split("#")[0]).unlink(missing_ok=True)
        seen.add(doc["doc_id"])


@pytest.fixture(scope="module")
def corpus_and_texts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("faults")
    corpus = cochrane_or_examples(tmp, N_DOCS)
    _drop_duplicate_files(corpus, clean_env(tmp))
    return corpus, cleaned_texts([corpus], clean_env(tmp))


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f.value for f in FAULTS])
def test_each_fault_every_document_summarized_or_reported(
    fault: Fault, corpus_and_texts: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    corpus, texts = corpus_and_texts
    plan = FaultPlan(rates={fault: 0.35}, seed=7, max_faults_per_prompt=2, retry_after_s=0.05)
    env = clean_env(
        tmp_path,
        OPENAI_API_KEY=FAKE_KEY,
        LITDIGEST_OPENAI__TIMEOUT_S="0.6",
        LITDIGEST_SUMMARIZE__MAX_RETRIES=str(MAX_RETRIES),
        # a timeout is retried once by default (issue 15); this plan times a prompt out twice
        LITDIGEST_LLM__TIMEOUT_RETRIES="2",
    )
    with LoopbackServer(faults=plan, timeout_sleep_s=1.5) as srv:
        result = _summarize(srv, corpus, tmp_path / "f.db", env)
        requests = _chat(list(srv.requests))
        stats = srv.stats()
    assert stats[fault.value] > 0, stats  # the fault really happened
    assert "Traceback" not in result.stderr
    out = [DocumentSummary.model_validate_json(x) for x in result.stdout.splitlines() if x]
    summarized = {s.doc_id for s in out}
    reported = [ln for ln in failure_lines(result.stderr) if ln.startswith("litdigest: ")]
    # Every document is summarized or reported (one stderr line), never silently lost.
    assert len(out) + len(reported) == len(texts), result.stderr
    assert summarized <= set(texts)
    assert result.returncode == (1 if reported else 0), result.stderr
    # With at most 2 faults per prompt, retries and re-asks always get through.
    assert not reported, result.stderr
    _check_grounded(out, texts)
    # The retry budget, per prompt (the server keys prompts by the fenced document).
    per_prompt = Counter(r.prompt_key for r in requests)
    bound = (1 + GROUNDING_REASKS) * (1 + REASK) * (1 + MAX_RETRIES)
    assert max(per_prompt.values()) <= bound, per_prompt
    transient = {Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.TIMEOUT, Fault.RESET}
    if fault in transient:  # a retried request is the same request: at most 2 faults + 1
        assert max(per_prompt.values()) <= 3 * (1 + GROUNDING_REASKS), per_prompt
    # Usage is counted across retries and re-asks: one call per request sent.
    assert sum(s.usage.calls for s in out) == len(requests), (len(requests), stats)
    assert sum(s.usage.calls for s in out) > len(out)  # some retries happened
    for summary in out:
        assert summary.usage.prompt_tokens > 0


@pytest.mark.slow
def test_retry_budget_is_exhausted_then_reported(
    corpus_and_texts: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """500 on every request: each document is tried exactly 1 + max_retries times, then
    reported once on stderr and in the failures table; nothing is output."""
    corpus, texts = corpus_and_texts
    env = clean_env(
        tmp_path, OPENAI_API_KEY=FAKE_KEY, LITDIGEST_SUMMARIZE__MAX_RETRIES=str(MAX_RETRIES)
    )
    plan = FaultPlan(rates={Fault.SERVER_ERROR: 1.0}, seed=1)
    with LoopbackServer(faults=plan) as srv:
        result = _summarize(srv, corpus, tmp_path / "x.db", env)
        requests = _chat(list(srv.requests))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    failed = [ln for ln in lines if f"after {1 + MAX_RETRIES} attempts" in ln]
    assert len(failed) == len(texts), result.stderr
    assert "Traceback" not in result.stderr
    per_prompt = Counter(r.prompt_key for r in requests)
    assert len(per_prompt) == len(texts)
    assert set(per_prompt.values()) == {1 + MAX_RETRIES}, per_prompt
