"""Temporary files of killed writers are removed; a live writer's are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from litdigest.summarize.sinks import DirectorySink, atomic_write_text


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no process has this pid now (reuse this soon is very unlikely)


def test_stale_temp_files_of_dead_writers_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".0123456789abcdef.json.{_dead_pid()}.k3j2_x.tmp"
    stale.write_text("{half")
    live_writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = out / f".fedcba9876543210.json.{live_writer.pid}.a1b2c3.tmp"
        live.write_text("{in progress")
        unrelated = out / ".notes.tmp"
        unrelated.write_text("not ours")
        DirectorySink(out, "json")
        assert not stale.exists()
        assert live.exists() and unrelated.exists()
    finally:
        live_writer.kill()
        live_writer.wait()


def test_temp_names_carry_the_writer_pid(tmp_path: Path) -> None:
    seen: list[str] = []
    real_replace = Path.replace

    def spy(self: Path, target: Path) -> Path:
        seen.append(self.name)
        return real_replace(self, target)

    mp = pytest.MonkeyPatch()
    mp.setattr(Path, "replace", spy)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
    finally:
        mp.undo()
    assert seen and seen[0].startswith(f".a.json.{os.getpid()}.") and seen[0].endswith(".tmp")
    assert (tmp_path / "a.json").read_text() == "{}"
