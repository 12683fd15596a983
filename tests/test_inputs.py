"""Input sets: files that are not articles are skipped with a note (``--include-all`` reads
them), and short plain-text notes keep their prose."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.config import IngestSettings, Settings
from litdigest.documents import Document
from litdigest.errors import InputError
from litdigest.ingest.detect import has_prose, non_article_name, non_article_text
from litdigest.prepare import Skipped, iter_documents

REPO = Path(__file__).resolve().parents[1]
NOTE = (
    "Regulatory T cells hold back antitumour immunity in many solid cancers. Removing them"
    " with an anti-CCR8 antibody slowed tumour growth in two mouse models. Early trials now"
    " test the same idea in patients.\n"
)
MIT = (
    "MIT License\n\nCopyright (c) 2024 Example Person\n\nPermission is hereby granted, free of"
    " charge, to any person obtaining a copy of this software, to deal in the Software without"
    ' restriction.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.\n'
)
CODE = "import os\n\n\ndef main():\n    x = os.getcwd()\n    return x\n\n\nif x:\n    main()\n"
TABLE = "gene\tsample\tvalue\nCD8A\ts1\t2.1\nCD8B\ts1\t1.7\nFOXP3\ts2\t0.4\nCCR8\ts2\t0.9\n"

NOT_ARTICLES = {
    "LICENSE": MIT,
    "README.md": "# Corpus\n\nThis folder holds the articles we read for the journal club.\n",
    "CHANGELOG": "## 0.2\n\nAdded three articles on myeloid cells and removed a duplicate.\n",
    "fetch.py": CODE,
    "counts.csv": "a,b,c\n1,2,3\n",
    "script.txt": CODE,
    "licence-copy.txt": MIT,
    "table.txt": TABLE,
    "headings.txt": "Figure 1\n\nTable 2\n\nPanel A\n\nSupplementary data\n",
}


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "note.txt").write_text(NOTE, encoding="utf-8")
    for name, text in NOT_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _settings(include_all: bool = False, worker: bool = False) -> Settings:
    """In-process reading, except where ``worker`` (the forked reader: skips cross a pipe)."""
    timeout = 120.0 if worker else 0.0
    return Settings(ingest=IngestSettings(include_all=include_all, per_file_timeout_s=timeout))


def test_non_articles_are_skipped_with_a_reason(tmp_path: Path) -> None:
    skipped: list[Skipped] = []
    items = list(
        iter_documents([_corpus(tmp_path)], _settings(worker=True), on_skip=skipped.append)
    )
    assert [Path(i.source).name for i in items if isinstance(i, Document)] == ["note.txt"]
    assert not [i for i in items if isinstance(i, InputError)]
    reasons = {Path(s.source).name: s.reason for s in skipped}
    assert set(reasons) == set(NOT_ARTICLES)
    assert reasons["LICENSE"] == reasons["licence-copy.txt"] == "a licence"
    assert reasons["README.md"] == "a README"
    assert reasons["CHANGELOG"] == "a changelog"
    assert reasons["script.txt"] == "source code"
    assert reasons["table.txt"] == "a data table"
    assert reasons["headings.txt"] == "no prose sentences"
    assert all("--include-all" in s.note for s in skipped)


def test_include_all_reads_everything(tmp_path: Path) -> None:
    skipped: list[Skipped] = []
    items = list(iter_documents([_corpus(tmp_path)], _settings(True), on_skip=skipped.append))
    assert skipped == []
    documents = {Path(i.source).name for i in items if isinstance(i, Document)}
    assert {"note.txt", "LICENSE", "README.md"} <= documents
    # Every file was read (code may then clean to nothing, which is reported as usual).
    assert {Path(i.source).name for i in items} == {"note.txt", *NOT_ARTICLES}


def test_every_example_is_an_article() -> None:
    skipped: list[Skipped] = []
    items = list(iter_documents([REPO / "examples"], _settings(), on_skip=skipped.append))
    assert skipped == []
    assert all(isinstance(i, Document) for i in items)


@pytest.mark.parametrize(
    "first_line",
    [
        "[b]Treg reading note[/b]",
        "[[Treg reading note]]",
        "[1] Treg reading note",
        "[Abstract]",
        "<b>Treg reading note</b>",
        "<html>",
        "<abstract>",
        "<!-- reading note -->",
        "[note](https://example.org/treg)",
        "{{Treg}} [draft]",
    ],
)
def test_short_note_with_bracket_markup_keeps_its_prose(tmp_path: Path, first_line: str) -> None:
    path = tmp_path / "note.txt"
    path.write_text(f"{first_line}\n{NOTE}", encoding="utf-8")
    skipped: list[Skipped] = []
    (doc,) = list(iter_documents([path], _settings(), on_skip=skipped.append))
    assert isinstance(doc, Document), doc
    assert "anti-CCR8 antibody slowed tumour growth" in doc.text
    assert skipped == []


def test_name_rules_leave_articles_alone() -> None:
    for name in ("history_of_tregs.txt", "news.txt", "review.pdf", "notes.md", "pubmed.xml"):
        assert non_article_name(Path(name)) is None, name
    assert non_article_name(Path("LICENSE-MIT")) == "a licence"
    assert non_article_name(Path("README_fr.md")) == "a README"
    assert non_article_name(Path("data.xlsx")) == "a data table"


def test_text_rules() -> None:
    assert has_prose(NOTE)
    assert not has_prose("Figure 1. Table 2. CD8 2.1 3.4 5.6 7.8 9.0 1.2.")
    assert non_article_text(NOTE) is None
    assert non_article_text(MIT) == "a licence"
    assert non_article_text(CODE) == "source code"
    assert non_article_text(TABLE) == "a data table"
    # An article that mentions its open-access licence is still an article.
    cc = "This article is distributed under the Creative Commons Attribution License. " + NOTE
    assert non_article_text(cc) is None
