"""``litdigest summarize`` and ``litdigest schema`` end to end, in subprocesses, offline."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from litdigest.summarize.schema import DocumentSummary
from tests import support
from tests.support import clean_env, run

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
FAKE_KEY = "sk-test-LITDIGEST-SECRET-0123456789"


def summaries(stdout: str) -> list[DocumentSummary]:
    return [DocumentSummary.model_validate_json(line) for line in stdout.splitlines() if line]


@pytest.fixture(scope="module")
def cleaned_texts() -> dict[str, str]:
    """doc_id -> cleaned text of every example, from ``litdigest clean --json``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITDIGEST_")}
    return support.cleaned_texts([EXAMPLES], env)


@pytest.fixture
def loopback() -> Iterator[Any]:
    """A loopback OpenAI-compatible server; skips while the server or backend is missing."""
    server_mod = pytest.importorskip("tests.loopback_server")
    pytest.importorskip("litdigest.summarize.backends.openai")
    with server_mod.LoopbackServer() as srv:
        yield srv


# --------------------------------------------------------------------------------------------


def test_examples_summarized_offline_with_verified_quotes(
    tmp_path: Path, cleaned_texts: dict[str, str]
) -> None:
    env = clean_env(tmp_path)
    result = run(
        "summarize", str(EXAMPLES), "--backend", "extractive", "--db", str(tmp_path / "x.db"),
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Explicit backend, not a TTY: no progress line, only the end-of-run line.
    (line,) = result.stderr.splitlines()
    assert line.startswith("litdigest: 15 summarized (1 from the store), 0 failed · 0:"), line
    assert line.endswith(" · 0 tokens · $0.0000"), line
    out = summaries(result.stdout)
    assert {s.doc_id for s in out} == set(cleaned_texts)
    sources = [s.source for s in out]
    assert sources == sorted(sources)  # input order (files are discovered sorted)
    n_quotes = 0
    for s in out:
        text = cleaned_texts[s.doc_id]
        assert s.backend == "extractive"
        for _section, _i, claim in s.iter_claims():
            for q in claim.quotes:
                assert text[q.start : q.end] == q.text
                n_quotes += 1
    assert n_quotes >= len(out)
    # A rerun reuses the store and prints exactly the same.
    again = run(
        "summarize", str(EXAMPLES), "--backend", "extractive", "--db", str(tmp_path / "x.db"),
        env=env,
    )  # fmt: skip
    assert again.returncode == 0 and again.stdout == result.stdout


def test_markdown_json_and_out_directory(tmp_path: Path, cleaned_texts: dict[str, str]) -> None:
    env = clean_env(tmp_path)
    db = str(tmp_path / "x.db")
    base = ("summarize", str(EXAMPLES), "--backend", "extractive", "--db", db)
    md = run(*base, "--format", "md", env=env)
    assert md.returncode == 0, md.stderr
    n_docs = len(summaries(run(*base, env=env).stdout))
    assert md.stdout.count("\n## Mechanism\n") == n_docs
    assert md.stdout.count("\n---\n") == n_docs - 1
    assert "**TL;DR**" in md.stdout and "\n   > " in md.stdout

    as_json = run(*base, "--format", "json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    array = json.loads(as_json.stdout)
    assert len(array) == n_docs
    DocumentSummary.model_validate(array[0])

    for fmt, suffix in (("json", ".json"), ("md", ".md")):
        out = tmp_path / f"out-{fmt}"
        result = run(*base, "--format", fmt, "--out", str(out), env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert sorted(p.name for p in out.iterdir()) == sorted(
            f"{doc_id}{suffix}" for doc_id in cleaned_texts
        )
    for path in (tmp_path / "out-json").iterdir():
        summary = DocumentSummary.model_validate_json(path.read_text(encoding="utf-8"))
        assert path.name == f"{summary.doc_id}.json"
    out = tmp_path / "out-jsonl"
    result = run(*base, "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.iterdir()] == ["summaries.jsonl"]
    assert len(summaries((out / "summaries.jsonl").read_text(encoding="utf-8"))) == n_docs


def test_auto_picks_extractive_without_key_and_says_why(tmp_path: Path) -> None:
    result = run(
        "summarize", str(EXAMPLES / "notes.md"), "--db", str(tmp_path / "x.db"),
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "litdigest: backend: extractive (no OPENAI_API_KEY or OPENAI_BASE_URL set)"
    assert len(lines) == 2 and lines[1].startswith("litdigest: 1 summarized, 0 failed · ")
    (summary,) = summaries(result.stdout)
    assert summary.backend == "extractive"


def test_auto_picks_openai_for_a_base_url(tmp_path: Path, loopback: Any) -> None:
    env = clean_env(tmp_path, OPENAI_BASE_URL=loopback.base_url)
    result = run(
        "summarize", str(EXAMPLES / "pdf-text.txt"), "--db", str(tmp_path / "x.db"), env=env
    )
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("litdigest: backend: openai (") and loopback.base_url in first
    (summary,) = summaries(result.stdout)
    assert summary.backend == "openai"
    assert loopback.requests  # the local server was used, without any key configured
    sent = len(loopback.requests)
    again = run(
        "summarize", str(EXAMPLES / "pdf-text.txt"), "--db", str(tmp_path / "x.db"), env=env
    )
    assert again.returncode == 0 and again.stdout == result.stdout
    assert len(loopback.requests) == sent  # served from the store: nothing re-sent


def test_budget_stops_the_batch_with_one_line(tmp_path: Path, loopback: Any) -> None:
    env = clean_env(tmp_path, OPENAI_BASE_URL=loopback.base_url)
    result = run(
        "summarize", str(EXAMPLES), "--db", str(tmp_path / "x.db"), "--max-tokens", "1",
        "--concurrency", "1", env=env,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("litdigest: backend: openai")
    (budget_line,) = [line for line in lines[1:] if "budget" in line]
    assert "document(s) not summarized" in budget_line
    assert len(summaries(result.stdout)) == 1
    assert "Traceback" not in result.stderr


def test_openai_backend_without_key_or_url_is_a_usage_error(tmp_path: Path) -> None:
    result = run(
        "summarize", str(EXAMPLES / "notes.md"), "--backend", "openai",
        "--db", str(tmp_path / "x.db"), env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "API key" in result.stderr
    bad = run(
        "summarize", str(EXAMPLES / "notes.md"), "--max-cost", "0",
        "--db", str(tmp_path / "x.db"), env=clean_env(tmp_path),
    )  # fmt: skip
    assert bad.returncode == 2 and "max_cost_usd" in bad.stderr


def test_a_bad_input_among_good_ones_gives_exit_1_and_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("notes.md", "pdf-text.txt"):
        (corpus / name).write_bytes((EXAMPLES / name).read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    result = run(
        "summarize", str(corpus), "--backend", "extractive", "--db", str(tmp_path / "x.db"),
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1
    line, end_of_run = result.stderr.splitlines()
    assert line.startswith("litdigest: ") and "empty.txt" in line
    assert end_of_run.startswith("litdigest: 2 summarized, 1 failed · ")
    assert len(summaries(result.stdout)) == 2
    conn = sqlite3.connect(tmp_path / "x.db")
    try:
        rows = conn.execute("SELECT source, stage FROM failures").fetchall()
    finally:
        conn.close()
    assert rows == [(str(corpus / "empty.txt"), "ingest")]


def _assert_no_secret(tmp_path: Path, *texts: str) -> None:
    for text in texts:
        assert FAKE_KEY not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert FAKE_KEY.encode() not in path.read_bytes(), path


def test_api_key_never_appears_anywhere(tmp_path: Path) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=FAKE_KEY, LITDIGEST_OPENAI__API_KEY=FAKE_KEY)
    db = str(tmp_path / "store" / "x.db")
    outputs: list[str] = []
    for extra in ((), ("--format", "md", "--out", str(tmp_path / "md"))):
        result = run(
            "summarize", str(EXAMPLES), "--backend", "extractive", "--db", db, *extra, env=env
        )
        assert result.returncode == 0, result.stderr
        outputs += [result.stdout, result.stderr]
    # A command that fails (openai with a key but an unreachable server) must not leak it.
    failing = run(
        "summarize", str(EXAMPLES / "notes.md"), "--backend", "openai", "--db", db,
        "--base-url", "http://127.0.0.1:9/v1", env={**env, "LITDIGEST_SUMMARIZE__MAX_RETRIES": "0"},
    )  # fmt: skip
    assert failing.returncode == 2  # a dead --base-url stops the run at once (issue 15)
    (line,) = [ln for ln in failing.stderr.splitlines() if "error" in ln]
    assert "127.0.0.1:9" in line and "--base-url" in line
    outputs += [failing.stdout, failing.stderr]
    _assert_no_secret(tmp_path, *outputs)


def test_api_key_never_appears_with_the_openai_backend(tmp_path: Path, loopback: Any) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=FAKE_KEY, OPENAI_BASE_URL=loopback.base_url)
    result = run(
        "summarize", str(EXAMPLES), "--db", str(tmp_path / "x.db"),
        "--out", str(tmp_path / "out"), "--format", "json", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "OPENAI_API_KEY set" in result.stderr
    assert any(
        FAKE_KEY in v for r in loopback.requests for v in r.headers.values()
    )  # it was sent to the server, and only there
    _assert_no_secret(tmp_path, result.stdout, result.stderr)


def test_schema_prints_the_summary_json_schema(tmp_path: Path) -> None:
    result = run("schema", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"doc_id", "mechanism", "evidence", "therapeutic_implication"} <= set(
        schema["properties"]
    )


# Enough documents that the run cannot finish between its first summary and the SIGINT, even
# on a loaded machine (the extractive backend does ~300 short documents a second).
N_DOCS = 2000


def test_ctrl_c_stops_cleanly_and_a_rerun_resumes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(N_DOCS):
        (corpus / f"doc{i:04d}.txt").write_text(
            f"Regulatory T cells expressing FOXP3 suppress effector T cells in model {i}. "
            f"In a cohort of {100 + i} patients, high FOXP3 density predicted shorter "
            f"survival. Anti-CCR8 antibodies could be combined with PD-1 blockade in arm {i}.\n",
            encoding="utf-8",
        )
    db = tmp_path / "x.db"
    env = clean_env(tmp_path)
    args = [sys.executable, "-m", "litdigest", "summarize", str(corpus), "--backend"]
    proc = subprocess.Popen(
        [*args, "extractive", "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first summary is out: summarizing has started
    assert first
    proc.send_signal(signal.SIGINT)
    rest, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    (line,) = stderr.splitlines()
    assert line.startswith("litdigest: interrupted") and "rerun" in line
    conn = sqlite3.connect(db)
    try:
        (status,) = conn.execute("SELECT status FROM runs").fetchone()
        done = conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0]
    finally:
        conn.close()
    assert status == "interrupted"
    assert 0 < done < N_DOCS
    printed = len((first + rest).splitlines())
    assert printed <= done
    t0 = time.monotonic()
    resumed = run("summarize", str(corpus), "--backend", "extractive", "--db", str(db), env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert len(summaries(resumed.stdout)) == N_DOCS
    assert time.monotonic() - t0 < 170
