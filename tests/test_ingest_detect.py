"""Format detection is by content; the extension only breaks ties."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from litdigest.documents import Format
from litdigest.ingest import detect_format

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>NK cells</title></head>"
    b"<body><p>Natural killer cells patrol tissues.</p></body></html>"
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("multi.ris", Format.RIS),
        ("refs.bib", Format.BIBTEX),
        ("pubmed_set.xml", Format.PUBMED_XML),
        ("medline.txt", Format.MEDLINE),
        ("article.nxml", Format.JATS),
        ("review.md", Format.MARKDOWN),
        ("scraped.txt", Format.TEXT),
    ],
)
def test_fixtures(name: str, expected: Format) -> None:
    path = FIXTURES / name
    assert detect_format(path.read_bytes(), path) is expected


@pytest.mark.parametrize(
    ("fixture", "misleading_name", "expected"),
    [
        ("multi.ris", "export.txt", Format.RIS),
        ("medline.txt", "records.xml", Format.MEDLINE),
        ("refs.bib", "notes.md", Format.BIBTEX),
        ("article.nxml", "paper.xml", Format.JATS),
        ("pubmed_set.xml", "efetch.txt", Format.PUBMED_XML),
        ("review.md", "readme.txt", Format.MARKDOWN),
    ],
)
def test_content_beats_extension(fixture: str, misleading_name: str, expected: Format) -> None:
    data = (FIXTURES / fixture).read_bytes()
    assert detect_format(data, Path(misleading_name)) is expected


def test_html_named_dat() -> None:
    assert detect_format(HTML_PAGE, Path("page.dat")) is Format.HTML


def test_html_fragment_by_tag_density() -> None:
    fragment = b"<div><h1>T cells</h1>" + b"<p>Cytotoxic T cells kill.</p>" * 6 + b"</div>"
    assert detect_format(fragment, None) is Format.HTML


def test_html5_article_element_is_not_jats() -> None:
    page = b"<html><body><article><h1>Review</h1><p>Text.</p></article></body></html>"
    assert detect_format(page, Path("x.xml")) is Format.HTML


def test_pdf_magic() -> None:
    assert detect_format(b"%PDF-1.7\n...", Path("paper.txt")) is Format.PDF


def test_ris_with_one_space_tags() -> None:
    data = b"TY - JOUR\nT1 - Title\nAU - Doe, J\nER -\n"
    assert detect_format(data, None) is Format.RIS


def test_utf16_ris_detected() -> None:
    data = codecs.BOM_UTF16_LE + "TY  - JOUR\nTI  - T\nAU  - A\nER  - \n".encode("utf-16-le")
    assert detect_format(data, None) is Format.RIS


def test_extension_breaks_ties_for_plain_text() -> None:
    data = b"Plain prose about macrophages with no markup at all.\n"
    assert detect_format(data, Path("notes.md")) is Format.MARKDOWN
    assert detect_format(data, Path("notes.txt")) is Format.TEXT
    assert detect_format(data, None) is Format.TEXT


def test_prose_mentioning_tags_stays_text() -> None:
    data = b"Reviewers wrote: use TY for type. The PMID of the paper is 123.\n@article was cited.\n"
    assert detect_format(data, Path("a.txt")) is Format.TEXT


def test_html_dispatched_to_html_reader() -> None:
    from litdigest.ingest import read_bytes

    body = b"<p>Natural killer cells patrol tissues and kill tumour cells lacking MHC class I.</p>"
    page = HTML_PAGE.replace(b"</body>", body * 5 + b"</body>")
    records = read_bytes(page, "page.dat")
    assert records and all(r.format is Format.HTML for r in records)
