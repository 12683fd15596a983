"""Helpers shared by several test modules (no tests here)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cochrane_or_examples(tmp_path: Path, n: int) -> Path:
    """A folder of ``n`` Cochrane abstracts when ../shared is there, else copies of examples/."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    source = REPO.parent / "shared" / "corpus" / "cochrane" / "test.source"
    if source.is_file():
        for i, line in enumerate(source.read_text(encoding="utf-8").splitlines()[:n]):
            (folder / f"{i:03d}.txt").write_text(line + "\n", encoding="utf-8")
    else:
        for path in sorted((REPO / "examples").iterdir()):
            (folder / path.name).write_bytes(path.read_bytes())
    return folder
