"""CLI conventions (issue 17): files created with the user's umask, empty input sets, files
that are not articles, ... each through the real command (a subprocess)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import clean_env

REPO = Path(__file__).resolve().parents[1]
NOTE = REPO / "examples" / "notes.md"


def litdigest(
    *args: str, env: dict[str, str], umask: int | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [sys.executable, "-m", "litdigest", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        preexec_fn=set_umask,
        cwd=cwd,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int, expected: int) -> None:
    env = clean_env(tmp_path)
    db, out = tmp_path / "s.db", tmp_path / "out"
    for fmt in ("md", "jsonl"):
        args = ("summarize", "--db", str(db), "--out", str(out), "--format", fmt, str(NOTE))
        result = litdigest(*args, env=env, umask=umask)
        assert result.returncode == 0, result.stderr
    written = sorted(out.iterdir())
    assert {p.suffix for p in written} == {".md", ".jsonl"}
    assert {_mode(p) for p in written} == {expected}
    export = tmp_path / "digest.md"
    result = litdigest("export", "--db", str(db), "--out", str(export), env=env, umask=umask)
    assert result.returncode == 0, result.stderr
    assert _mode(export) == expected


# --- --version, usage errors, help ------------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    result = litdigest("--version", env=clean_env(tmp_path))
    assert result.returncode == 0
    assert result.stdout.startswith("litdigest ") and result.stdout.split()[1][0].isdigit()


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (("sumarize", "x"), "Did you mean 'summarize'?"),
        (("summarize", "--backend", "extractiv", "x"), "did you mean 'extractive'?"),
        (("summarize", "--bakend", "x"), "--backend"),
        (("export", "--status", "acepted"), "did you mean 'accepted'?"),
    ],
)
def test_usage_errors_are_one_line_and_a_hint(
    tmp_path: Path, args: tuple[str, ...], wanted: str
) -> None:
    result = litdigest(*args, env=clean_env(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("litdigest: error: ") and wanted in lines[0]
    assert lines[1].strip().startswith("(see 'litdigest") and lines[1].strip().endswith("-h')")
    for noise in ("╭", "Value error", "pydantic", "Traceback"):
        assert noise not in result.stderr


def test_config_errors_exit_2_without_pydantic_wording(tmp_path: Path) -> None:
    env = clean_env(tmp_path, LITDIGEST_SUMMARIZE__BACKEND="extractiv")
    result = litdigest("summarize", str(NOTE), env=env)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "'extractiv'" in result.stderr and "Value error" not in result.stderr
    assert "did you mean 'extractive'?" in result.stderr


def test_help_shows_no_python_placeholders(tmp_path: Path) -> None:
    env = clean_env(tmp_path, COLUMNS="100")
    for command in ("summarize", "clean", "chunk", "export", "digest"):
        result = litdigest(command, "-h", env=env)
        assert result.returncode == 0, result.stderr
        for placeholder in ("{paths}", "<list[", "<str>", "<int>", "<float>", "<Path>"):
            assert placeholder not in result.stdout, (command, placeholder)
    summarize_help = litdigest("summarize", "-h", env=env).stdout
    assert "PATH..." in summarize_help
    assert "BOOLEAN" not in summarize_help  # switches (--batch-api, -h) take no value


def test_batch_commands_say_when_there_is_nothing_to_do(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    db = tmp_path / "s.db"
    assert litdigest("summarize", str(NOTE), "--db", str(db), env=env).returncode == 0
    status = litdigest("batch", "status", "--db", str(db), env=env)
    assert status.returncode == 0 and "no Batch API jobs in" in status.stderr
    for command in ("resume", "cancel"):  # no API key needed when there is nothing to collect
        result = litdigest("batch", command, "--db", str(db), env=env)
        assert result.returncode == 0, result.stderr
        assert "no unfinished batch jobs" in result.stderr


def test_store_errors_exit_2_with_a_hint(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    for command in ("digest", "export", "review"):
        not_a_store = litdigest(command, "--db", str(REPO / "README.md"), env=env)
        assert not_a_store.returncode == 2, (command, not_a_store.stderr)
        assert "is not a litdigest store" in not_a_store.stderr
        missing = litdigest(command, "--db", str(tmp_path / "missing.db"), env=env)
        assert missing.returncode == 2
        assert "no store at" in missing.stderr and "run litdigest summarize first" in missing.stderr


# --- inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["summarize", "clean"])
def test_empty_input_set(tmp_path: Path, command: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    args = (command, str(empty)) + (
        ("--db", str(tmp_path / "s.db")) if command == "summarize" else ()
    )
    result = litdigest(*args, env=clean_env(tmp_path))
    assert result.returncode == 1
    assert f"litdigest: no documents found under {empty}" in result.stderr
    assert result.stdout == ""


def test_non_articles_skipped_with_a_note_and_include_all(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_bytes(NOTE.read_bytes())
    (corpus / "LICENSE").write_text(
        "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining"
        " a copy of this software.\n",
        encoding="utf-8",
    )
    (corpus / "fetch.py").write_text("import os\nprint(os.getcwd())\n", encoding="utf-8")
    env = clean_env(tmp_path)
    db = str(tmp_path / "s.db")
    result = litdigest("summarize", "--db", db, str(corpus), env=env)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1  # the note only: nothing else reached a model
    notes = [ln for ln in result.stderr.splitlines() if "skipped: not an article" in ln]
    assert len(notes) == 2 and all("--include-all" in ln for ln in notes)
    assert any("LICENSE" in ln and "(a licence)" in ln for ln in notes)
    forced = litdigest("clean", "--include-all", str(corpus / "LICENSE"), env=env)
    assert forced.returncode == 0 and "Permission is hereby granted" in forced.stdout


# --- end of run, written paths, interrupt, debug, logging -------------------------------------


def test_end_of_run_line_and_written_paths(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    db, out = str(tmp_path / "s.db"), tmp_path / "out"
    result = litdigest("summarize", "--db", db, "--out", str(out), str(NOTE), env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert f"litdigest: wrote {out / 'summaries.jsonl'}" in lines
    assert lines[-1].startswith("litdigest: 1 summarized, 0 failed · 0:")
    assert lines[-1].endswith(" tokens · $0.0000")
    again = litdigest("summarize", "--db", db, str(NOTE), env=env)
    assert "1 summarized (1 from the store), 0 failed" in again.stderr
    digest = tmp_path / "digest.md"
    result = litdigest(
        "digest", "--db", db, "--out", str(digest), "--backend", "extractive", env=env
    )
    assert result.returncode == 0, result.stderr
    assert f"litdigest: wrote {digest}" in result.stderr
    assert "all claims (no review decisions yet)" in result.stderr
    export = litdigest("export", "--db", db, env=env)
    assert export.returncode == 0, export.stderr
    assert "litdigest: export of all claims (no review decisions yet)" in export.stderr


def test_debug_shows_tracebacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import typer

    from litdigest.cli import conventions

    app = typer.Typer()
    conventions.install(app)

    @app.command()
    def boom() -> None:
        raise RuntimeError("something broke")

    monkeypatch.delenv("LITDIGEST_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        conventions.run(app, ["boom"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: something broke" in err
    assert "Traceback" not in err and "--debug" in err
    with pytest.raises(SystemExit):
        conventions.run(app, ["--debug", "boom"])
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    monkeypatch.setenv("LITDIGEST_DEBUG", "1")
    with pytest.raises(SystemExit):
        conventions.run(app, ["boom"])
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_verbose_turns_on_module_loggers(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    quiet = litdigest("clean", str(NOTE), env=env)
    assert quiet.stderr == ""
    loud = litdigest("-v", "clean", str(NOTE), env=env)
    assert loud.returncode == 0
    assert "litdigest: " in loud.stderr and "1 document" in loud.stderr
    debug = litdigest("-vv", "clean", str(NOTE), env=env)
    assert "litdigest.prepare: " in debug.stderr
