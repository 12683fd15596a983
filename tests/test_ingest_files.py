"""Finding input files: order, hidden entries, symlinks, loops, unreadable entries."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from litdigest.config import IngestSettings
from litdigest.errors import InputError
from litdigest.ingest import iter_input_files

SETTINGS = IngestSettings()


def _touch(path: Path, text: str = "T cells\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _split(items: list[Path | InputError]) -> tuple[list[Path], list[InputError]]:
    paths = [i for i in items if isinstance(i, Path)]
    errors = [i for i in items if isinstance(i, InputError)]
    return paths, errors


def test_files_as_given_and_directories_sorted(tmp_path: Path) -> None:
    given = _touch(tmp_path / "z-given.txt")
    root = tmp_path / "corpus"
    expected = [
        _touch(root / "a.txt"),
        _touch(root / "b" / "c.ris"),
        _touch(root / "b" / "d.txt"),
        _touch(root / "e.md"),
    ]
    _touch(root / ".hidden.txt")
    _touch(root / ".git" / "config")
    _touch(root / "b" / ".cache" / "x.txt")
    items = list(iter_input_files([given, root], SETTINGS))
    assert items == [given, *expected]


def test_explicit_hidden_file_is_kept(tmp_path: Path) -> None:
    hidden = _touch(tmp_path / ".notes.txt")
    assert list(iter_input_files([hidden], SETTINGS)) == [hidden]


def test_missing_path(tmp_path: Path) -> None:
    (err,) = list(iter_input_files([tmp_path / "nope"], SETTINGS))
    assert isinstance(err, InputError)
    assert err.reason == "no such file or directory"


def test_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "gone.txt")
    (err,) = list(iter_input_files([link], SETTINGS))
    assert isinstance(err, InputError)
    assert "broken symbolic link" in err.reason


@pytest.mark.timeout(10)
def test_symlink_loop_detected(tmp_path: Path) -> None:
    root = tmp_path / "root"
    real = _touch(root / "sub" / "paper.txt")
    (root / "sub" / "back").symlink_to(root, target_is_directory=True)
    paths, errors = _split(list(iter_input_files([root], SETTINGS)))
    assert paths == [real]
    assert len(errors) == 1
    assert "loop" in errors[0].reason


@pytest.mark.timeout(10)
def test_self_referencing_symlink(tmp_path: Path) -> None:
    link = tmp_path / "self"
    link.symlink_to(link)
    (err,) = list(iter_input_files([tmp_path], SETTINGS))
    assert isinstance(err, InputError)
    assert "loop" in err.reason


def test_symlinked_directory_followed_once(tmp_path: Path) -> None:
    real = _touch(tmp_path / "data" / "paper.txt")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path / "data", target_is_directory=True)
    (root / "other").symlink_to(tmp_path / "data", target_is_directory=True)
    paths, errors = _split(list(iter_input_files([root], SETTINGS)))
    assert errors == []
    assert paths == [root / "link" / real.name]


def test_symlinks_skipped_when_not_following(tmp_path: Path) -> None:
    _touch(tmp_path / "data" / "paper.txt")
    root = tmp_path / "root"
    own = _touch(root / "own.txt")
    (root / "link").symlink_to(tmp_path / "data", target_is_directory=True)
    (root / "file-link.txt").symlink_to(own)
    settings = IngestSettings(follow_symlinks=False)
    assert list(iter_input_files([root], settings)) == [own]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores permissions")
def test_unreadable_entries(tmp_path: Path) -> None:
    root = tmp_path / "root"
    locked_dir = root / "locked"
    _touch(locked_dir / "x.txt")
    locked_file = _touch(root / "secret.txt")
    ok = _touch(root / "ok.txt")
    locked_dir.chmod(0)
    locked_file.chmod(0)
    try:
        paths, errors = _split(list(iter_input_files([root], SETTINGS)))
    finally:
        locked_dir.chmod(0o755)
        locked_file.chmod(0o644)
    assert paths == [ok]
    assert sorted(e.source for e in errors) == [str(locked_dir), str(locked_file)]
    assert all("permission denied" in e.reason for e in errors)


def test_fifo_given_explicitly_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (err,) = list(iter_input_files([fifo], SETTINGS))
    assert isinstance(err, InputError)
    assert "not a regular file" in err.reason
    _touch(tmp_path / "a.txt")
    assert list(iter_input_files([tmp_path], SETTINGS)) == [tmp_path / "a.txt"]


def test_unreadable_entries_as_root_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above where permissions can't be tested (root): the OS says no."""
    root = tmp_path / "root"
    locked_dir = root / "locked"
    _touch(locked_dir / "x.txt")
    locked_file = _touch(root / "secret.txt")
    ok = _touch(root / "ok.txt")
    real_scandir, real_access = os.scandir, os.access

    def scandir(path: Any) -> Any:
        if Path(path) == locked_dir:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def access(path: Any, mode: int) -> bool:
        return Path(path) != locked_file and real_access(path, mode)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "access", access)
    paths, errors = _split(list(iter_input_files([root], SETTINGS)))
    assert paths == [ok]
    assert sorted(e.source for e in errors) == [str(locked_dir), str(locked_file)]
    assert all("permission denied" in e.reason.lower() for e in errors)
