"""Ctrl-C (issue 17): every long-running command ends with one line
``litdigest: interrupted: <what was kept>`` and exit 130, never a traceback; the counts are
those of the store (or of what was printed)."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from litdigest.cli.app import main
from tests.support import clean_env
from tests.test_tui_support import isolated_sample_store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
INTERRUPTED = re.compile(r"^litdigest: interrupted: (.+)$")
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[=>])")


def summaries_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0])
    finally:
        conn.close()


def interrupt_after_first_output(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> tuple[str, str, int]:
    """Start ``litdigest ARGS`` (stdout to a file, so that nothing is lost in a reader's
    buffer), send SIGINT once it has written something; (stdout, stderr, exit code)."""
    out_path = tmp_path / "stdout.txt"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "litdigest", *args],
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while out_path.stat().st_size == 0 and proc.poll() is None:
            assert time.monotonic() < deadline, "no output"
            time.sleep(0.01)
        assert proc.poll() is None, "the command finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    return out_path.read_text(encoding="utf-8"), stderr, proc.returncode


def the_interrupted_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    matches = [m for m in map(INTERRUPTED.match, lines) if m]
    assert len(matches) == 1, stderr
    assert lines[-1] == matches[0].group(0), stderr  # the last line said
    return matches[0].group(1)


@pytest.fixture
def slow_server() -> Iterator[Any]:
    server_mod = pytest.importorskip("tests.loopback_server")
    pytest.importorskip("litdigest.summarize.backends.openai")
    with server_mod.LoopbackServer(latency_s=0.4) as srv:
        yield srv


def test_summarize_on_examples_through_a_slow_server_keeps_what_finished(
    tmp_path: Path, slow_server: Any
) -> None:
    corpus = tmp_path / "examples"
    shutil.copytree(EXAMPLES, corpus)
    db = tmp_path / "x.db"
    env = clean_env(
        tmp_path, OPENAI_API_KEY="sk-test-not-real", OPENAI_BASE_URL=slow_server.base_url
    )
    args = ["summarize", str(corpus), "--backend", "openai", "--concurrency", "1", "--db", str(db)]
    stdout, stderr, code = interrupt_after_first_output(args, env, tmp_path)
    assert code == 130, stderr
    said = the_interrupted_line(stderr)
    match = re.fullmatch(r"(\d+) finished document\(s\) kept in the store \(rerun .*\)", said)
    assert match, said
    kept = int(match.group(1))
    assert kept >= 1
    assert summaries_in(db) == kept  # counted honestly: what the store holds
    assert len(stdout.splitlines()) <= kept


def test_clean_counts_the_documents_it_printed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4000):
        (corpus / f"doc{i:05d}.txt").write_text(
            f"Regulatory T cells expressing FOXP3 suppress effector T cells in model {i}. "
            f"In a cohort of {100 + i} patients, high FOXP3 density predicted shorter survival.\n",
            encoding="utf-8",
        )
    stdout, stderr, code = interrupt_after_first_output(
        ["clean", "--json", str(corpus)], clean_env(tmp_path), tmp_path
    )
    assert code == 130, stderr
    said = the_interrupted_line(stderr)
    match = re.fullmatch(r"(\d+) document\(s\) cleaned and printed", said)
    assert match, said
    printed = len(stdout.splitlines())
    assert 0 < printed < 4000
    assert int(match.group(1)) in (printed, printed - 1)  # SIGINT may land between the two


# ---- the other commands: Ctrl-C inside their work (KeyboardInterrupt raised there) ----------


def _ctrl_c(*args: object, **kwargs: object) -> Any:
    raise KeyboardInterrupt


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    code = exc.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_sample_store(monkeypatch, tmp_path, "store.db")


def test_digest_and_export_say_nothing_was_written(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import litdigest.digest.build
    import litdigest.review.export

    monkeypatch.setattr(litdigest.digest.build, "build_digest", _ctrl_c)
    out = tmp_path / "digest.md"
    code, err = run_cli(
        ["digest", "--db", str(store), "--backend", "extractive", "--out", str(out)], capsys
    )
    assert code == 130
    assert the_interrupted_line(err) == "no digest written"
    assert not out.exists()

    monkeypatch.setattr(litdigest.review.export, "export_digest", _ctrl_c)
    code, err = run_cli(["export", "--db", str(store), "--out", str(out)], capsys)
    assert code == 130
    assert the_interrupted_line(err) == "nothing exported"


def test_eval_counts_the_summaries_kept_in_its_store(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import litdigest.cli.eval

    before = summaries_in(store)

    def one_more_then_ctrl_c(*args: object, **kwargs: object) -> Any:
        conn = sqlite3.connect(store)
        with conn:
            row = conn.execute("SELECT * FROM summaries LIMIT 1").fetchone()
            names = [d[0] for d in conn.execute("SELECT * FROM summaries LIMIT 1").description]
            values = dict(zip(names, row, strict=True))
            values.pop("id", None)
            values["model"] = "another-model"
            cols = ", ".join(values)
            conn.execute(
                f"INSERT INTO summaries ({cols}) VALUES ({', '.join('?' for _ in values)})",
                list(values.values()),
            )
        conn.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(litdigest.cli.eval, "run_eval", one_more_then_ctrl_c)
    code, err = run_cli(["eval", str(ROOT / "evals" / "golden"), "--db", str(store)], capsys)
    assert code == 130
    assert summaries_in(store) == before + 1
    assert the_interrupted_line(err) == (
        "no report written; 1 finished document(s) kept in the store"
    )

    monkeypatch.setattr(litdigest.cli.eval, "run_eval", _ctrl_c)
    code, err = run_cli(["eval", str(ROOT / "evals" / "golden")], capsys)
    assert code == 130
    assert the_interrupted_line(err).startswith("no report written")


def test_import_and_batch_resume_count_from_the_store(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import litdigest.distributed
    import litdigest.summarize.openai_batch as openai_batch

    monkeypatch.setattr(litdigest.distributed, "import_results", _ctrl_c)
    code, err = run_cli(["import", str(tmp_path / "results.parquet"), "--db", str(store)], capsys)
    assert code == 130
    assert the_interrupted_line(err) == "0 imported summaries kept in the store"

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    monkeypatch.setattr(openai_batch, "make_client", lambda settings: object())
    monkeypatch.setattr(openai_batch, "resume", _ctrl_c)
    code, err = run_cli(["batch", "resume", "j1", "--db", str(store)], capsys)
    assert code == 130
    said = the_interrupted_line(err)
    assert said.startswith("0 finished document(s) kept in the store"), said


# ---- review: the TUI reads Ctrl-C as a key; a SIGINT from outside (kill -INT) --------------


def _review_in_a_terminal(
    store: Path, env: dict[str, str], end: Callable[[Any, int], object]
) -> tuple[str, int]:
    """Run ``litdigest review`` under a pseudo-terminal, wait until it has drawn its key bar,
    call ``end(proc, master_fd)``; (everything the terminal showed, exit code)."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "litdigest", "review", "--db", str(store)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"},
        start_new_session=True,
    )
    os.close(slave)
    shown = bytearray()

    def read_until(done: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the terminal closed: the process has ended
                    return
                if not chunk:
                    return
                shown.extend(chunk)

    try:
        read_until(lambda: b"palette" in shown, 120)  # the key bar: the app is up
        assert proc.poll() is None, shown.decode("utf-8", "replace")[-500:]
        end(proc, master)
        read_until(lambda: proc.poll() is not None, 60)
        proc.wait(timeout=30)
        read_until(lambda: False, 0.3)  # what it printed last
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return shown.decode("utf-8", "replace"), proc.returncode


def test_review_ends_an_outside_sigint_like_the_other_commands(store: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path, HOME=str(tmp_path))
    shown, code = _review_in_a_terminal(
        store, env, lambda proc, fd: proc.send_signal(signal.SIGINT)
    )
    assert code == 130, shown[-500:]
    assert "Traceback" not in shown
    last = shown.rsplit("\x1b[?1049l", 1)[-1]  # after the TUI gave the screen back
    said = [m.group(1) for m in map(INTERRUPTED.match, ANSI.sub("", last).splitlines()) if m]
    assert said == ["every review decision made is saved in the store"], last

    shown, code = _review_in_a_terminal(store, env, lambda proc, fd: os.write(fd, b"q"))
    assert code == 0, shown[-500:]  # quitting with its key stays a plain exit
    assert "interrupted" not in shown
