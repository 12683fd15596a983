"""CLI conventions (issue 17): files created with the user's umask, empty input sets, files
that are not articles, ... each through the real command (a subprocess)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_summarize_cli import clean_env

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
