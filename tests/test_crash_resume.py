"""Crash and resume: ``kill -9`` at 20 random moments, then two processes on one store.

After every kill the SQLite store passes ``PRAGMA integrity_check``, holds no duplicated or
half-written summary (each stored summary parses and verifies against its stored text),
loses nothing already committed, and leaves no orphaned ingest worker behind; the final
resumed output is byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import DocumentSummary
from tests.support import clean_env, committed_doc_ids

N_DOCS = 400
KILLS = 20


def _write_corpus(root: Path, first: int, n: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + n):
        (root / f"doc{i:04d}.txt").write_text(
            f"Dendritic cells in tumour model {i}\n\n"
            f"Conventional type 1 dendritic cells cross-present tumour antigens to CD8 T cells "
            f"through MHC class I in model {i}. In a cohort of {50 + i} patients, high cDC1 "
            f"density predicted longer survival (hazard ratio 0.{i % 90 + 10}). Flt3 ligand "
            f"expanded cDC1 in mice and restored responses to PD-1 blockade. These results "
            f"suggest that Flt3L could be combined with checkpoint inhibitors in trial {i}.\n",
            encoding="utf-8",
        )


def _cmd(db: Path, *paths: Path, extra: tuple[str, ...] = ()) -> list[str]:
    return [
        sys.executable,
        "-m",
        "litdigest",
        "summarize",
        *map(str, paths),
        "--backend",
        "extractive",
        "--db",
        str(db),
        "--concurrency",
        "8",
        *extra,
    ]


def _check_store(db: Path, context: str) -> set[str]:
    """integrity_check, no duplicates, every summary complete and verified; its doc_ids."""
    if not db.exists():
        return set()
    conn = sqlite3.connect(db, timeout=30)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", context
        try:
            rows = conn.execute(
                "SELECT s.doc_id, s.summary_json, d.text FROM summaries s"
                " JOIN documents d ON d.doc_id = s.doc_id"
            ).fetchall()
            n = conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0]
            dupes = conn.execute(
                "SELECT doc_id FROM summaries GROUP BY doc_id, backend, model, prompt_version,"
                " settings_hash HAVING COUNT(*) > 1"
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return set()
            raise
    finally:
        conn.close()
    assert dupes == [], f"duplicated summaries {dupes} ({context})"
    assert len(rows) == n, f"a summary without its document ({context})"
    for doc_id, blob, text in rows:
        summary = DocumentSummary.model_validate_json(blob)  # not half-written
        assert summary.doc_id == doc_id
        assert verify_summary(summary, text) == [], context
    return {r[0] for r in rows}


def _orphans(marker: str) -> list[int]:
    """Live processes whose command line mentions ``marker`` (e.g. a forked ingest worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _kill_when(proc: subprocess.Popen[bytes], db: Path, target: int, deadline: float) -> bool:
    end = time.monotonic() + deadline
    while proc.poll() is None:
        if time.monotonic() > end or len(committed_doc_ids(db)) >= target:
            os.kill(proc.pid, signal.SIGKILL)
            return True
        time.sleep(0.002)
    return False


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_kill_9_twenty_times_then_identical_output(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 0, N_DOCS)
    env = clean_env(tmp_path)
    t0 = time.monotonic()
    ref = subprocess.run(
        _cmd(tmp_path / "ref.db", corpus), env=env, capture_output=True, text=True, timeout=300
    )
    duration = time.monotonic() - t0
    assert ref.returncode == 0, ref.stderr
    assert len(ref.stdout.splitlines()) == N_DOCS

    db, out = tmp_path / "crash.db", tmp_path / "out"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    finished: set[str] = set()
    log: list[str] = []
    for kill_no in range(KILLS):
        context = f"seed {seed}, kill {kill_no}, history {log}"
        proc = subprocess.Popen(
            _cmd(db, corpus, extra=("--out", str(out), "--format", "json")),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if rng.random() < 0.3:  # a random time: start-up, reading, or summarizing
            at = rng.uniform(0.0, duration)
            killed = _kill_when(proc, db, 10**9, at)
            how = f"t={at:.2f}s"
        else:  # after a random number of new commits
            target = len(finished) + rng.randint(1, 30)
            killed = _kill_when(proc, db, target, duration * 3)
            how = f"commits>={target}"
        _, stderr = proc.communicate(timeout=120)
        if not killed:
            assert proc.returncode == 0, f"{stderr.decode()} ({context})"
        now = _check_store(db, context)
        assert finished <= now, f"committed summaries were lost ({context})"
        log.append(f"{how}:{len(finished)}->{len(now)}")
        finished = now
        for path in out.glob("*.json") if out.exists() else []:
            DocumentSummary.model_validate_json(path.read_text(encoding="utf-8"))
        assert not list(out.glob(".*.tmp")) or killed  # temp files only from a killed run
        deadline = time.monotonic() + 5
        while _orphans(str(db)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _orphans(str(db)) == [], f"an ingest worker outlived its parent ({context})"
    assert len(finished) > 0 or any("t=" in h for h in log), f"no kill landed mid-run: {log}"

    final = subprocess.run(_cmd(db, corpus), env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert final.stdout == ref.stdout, f"resumed output differs (seed {seed}, {log})"
    assert len(_check_store(db, f"final, seed {seed}")) == N_DOCS
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == N_DOCS
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    finally:
        conn.close()
    assert statuses[-1] == "ok"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_processes_on_one_store_with_overlapping_inputs(tmp_path: Path) -> None:
    shared, only_a, only_b = tmp_path / "shared", tmp_path / "a", tmp_path / "b"
    _write_corpus(shared, 0, 150)
    _write_corpus(only_a, 150, 60)
    _write_corpus(only_b, 210, 60)
    env = clean_env(tmp_path)
    ref = subprocess.run(
        _cmd(tmp_path / "ref.db", shared, only_a, only_b),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ref.returncode == 0, ref.stderr
    expected = {json.loads(x)["doc_id"]: x for x in ref.stdout.splitlines()}

    db = tmp_path / "both.db"
    procs = [
        subprocess.Popen(
            _cmd(db, *paths),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for paths in ((shared, only_a), (only_b, shared))
    ]
    results = [p.communicate(timeout=280) for p in procs]
    for proc, (stdout, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr
        lines = stdout.splitlines()
        assert len(lines) == 210
        for line in lines:  # each output equals the uninterrupted single-process one
            assert line == expected[json.loads(line)["doc_id"]]
    assert len(_check_store(db, "two processes")) == 270
