"""Titles, ids and source names like ``../../etc/x`` can never write outside ``--out``; a
symlink planted inside ``--out`` is replaced, never followed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from litdigest.summarize.sinks import safe_doc_filename
from tests.support import clean_env, run

BODY = (
    "Natural killer cells recognise stressed tumour cells through NKG2D ligands in mice. "
    "In a cohort of 90 patients, NK-cell infiltration predicted longer survival. "
    "IL-15 superagonists could be combined with checkpoint blockade in clinical trials."
)


def _corpus(root: Path) -> None:
    """Documents whose title, DOI, record ids and file names all look like paths."""
    root.mkdir()
    (root / "%2E%2E%2F..%2Fetc%2Fx.txt").write_text(
        f"../../etc/x\n\n{BODY} One.\n", encoding="utf-8"
    )
    (root / "~root.md").write_text(f"# /etc/passwd\n\n{BODY} Two.\n", encoding="utf-8")
    (root / "records.ris").write_text(
        "TY  - JOUR\nID  - ../../../../tmp/evil\nTI  - ../../outside/title\n"
        f"AB  - {BODY} Three.\nDO  - 10.5555/../../etc/passwd\nER  - \n\n"
        "TY  - JOUR\nID  - /etc/shadow\nTI  - C:\\\\Windows\\\\system32\\\\evil\n"
        f"AB  - {BODY} Four.\nER  - \n",
        encoding="utf-8",
    )
    (root / "page.html").write_text(
        '<html><head><meta name="citation_title" content="../../../outside/html">'
        '<meta name="citation_doi" content="10.5555/../../x"></head><body><article>'
        f"<h1>../../../outside/html</h1><p>{BODY} Five.</p></article></body></html>",
        encoding="utf-8",
    )


def _tree(root: Path, skip: set[Path]) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip]
        for name in [*filenames, *dirnames]:
            if here / name not in skip:
                out.add(str(here / name))
    return out


@pytest.mark.parametrize("fmt", ["json", "md", "jsonl"])
def test_nothing_is_written_outside_out(tmp_path: Path, fmt: str) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    env = clean_env(tmp_path)
    cleaned = run("clean", "--json", str(corpus), env=env)
    docs = [json.loads(x) for x in cleaned.stdout.splitlines()]
    assert len(docs) == 5, cleaned.stderr
    assert any(d["metadata"]["title"] and ".." in d["metadata"]["title"] for d in docs)
    # Inside --out, plant symlinks named like the files litdigest will write, pointing out.
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("untouched\n", encoding="utf-8")
    suffix = ".md" if fmt == "md" else ".json"
    names = ["summaries.jsonl"] if fmt == "jsonl" else [d["doc_id"] + suffix for d in docs]
    for name in names:
        (out / name).symlink_to(victim)
    (out / "escape").symlink_to(outside, target_is_directory=True)
    before = _tree(tmp_path, {out, tmp_path / "s.db"})
    result = run(
        "summarize",
        str(corpus),
        "--backend",
        "extractive",
        "--db",
        str(tmp_path / "s.db"),
        "--out",
        str(out),
        "--format",
        fmt,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    after = _tree(tmp_path, {out})
    created = {p for p in after - before if not p.startswith(str(tmp_path / "s.db"))}
    assert created == set(), created
    assert victim.read_text(encoding="utf-8") == "untouched\n"
    assert [p.name for p in outside.iterdir()] == ["victim.txt"]
    for name in names:  # the planted links were replaced by regular files
        assert (out / name).is_file() and not (out / name).is_symlink()
    written = sorted(p.name for p in out.iterdir() if not p.is_symlink())
    assert written == sorted(names)
    for name in written:
        assert "/" not in name and ".." not in name


@pytest.mark.parametrize(
    "doc_id", ["../../etc/x", "..", ".", "a/b", "a\\b", "", "x" * 65, "abc.json", "\x00"]
)
def test_safe_doc_filename_refuses_path_like_ids(doc_id: str) -> None:
    with pytest.raises(ValueError):
        safe_doc_filename(doc_id, ".json")
