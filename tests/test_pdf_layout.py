"""Real-PDF problems (issue 16) on a two-column article we typeset in the test.

The article (our own words) has a label and a two-line title in large type, a byline with
affiliation marks, a licence line set in one block with the abstract, justified two-column body
text that runs on across column and page breaks, a running head and a merged running footer
("... 2024, 7:41 Page 2 of 3"), a table, a "Comment" section, run-in and headed back matter,
an author-year reference list with another article's DOI, and a referee report with a DOI of
its own. The article's DOI is wrapped at a line end on page 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from litdigest.clean import clean_record, clean_text
from litdigest.clean.boilerplate import strip_boilerplate
from litdigest.documents import CleanMode, Document, RawRecord
from litdigest.ingest import read_bytes
from litdigest.ingest.pdf import PAGE_SEPARATOR
from tests.pdf_writer import Column, Line, make_pdf

TITLE = "Tumour-resident dendritic cells decide the response to checkpoint blockade"
DOI = "10.5555/jtt.2024.0041"
FOOTER = "Lindqvist et al. Journal of Tumour Testing 2024, 7:41"
HEAD = "Dendritic cells and checkpoint blockade"
LICENCE = (
    "Copyright 2024 Lindqvist et al. This is an open access article distributed under the "
    "Creative Commons Attribution License, which permits unrestricted use, provided the "
    "original work is properly cited."
)
ABSTRACT = (
    "Background. Checkpoint inhibitors help only a minority of patients with solid tumours. "
    "We asked whether the dendritic cells that live inside a tumour predict who responds. "
    "Results. Tumours rich in conventional type 1 dendritic cells responded three times as "
    "often as tumours without them. Conclusion. Counting these cells before treatment may "
    "guide the choice of therapy."
)
BODY: list[tuple[str, str]] = [
    ("h", "Introduction"),
    (
        "p",
        "Antibodies that block the PD-1 receptor release a brake on cytotoxic T cells and can "
        "shrink tumours that had resisted every earlier treatment. Most patients nevertheless "
        "see no benefit, and the reasons differ from one tumour to the next. One recurring "
        "explanation is that the tumour was never seen by the immune system in the first "
        "place, so there are no primed T cells for the antibody to unleash.",
    ),
    (
        "p",
        "Dendritic cells carry tumour antigens to the lymph node and present them to naive T "
        "cells. A small subset of them, the conventional type 1 dendritic cells, is "
        "especially good at this cross-presentation of antigens taken up from dying cells. "
        "Mouse studies suggest that tumours lacking this subset cannot be controlled by "
        "checkpoint blockade, even when T cells are transferred into the animal.",
    ),
    ("h", "Methods"),
    (
        "p",
        "We stained pre-treatment biopsies from one hundred and twenty patients with "
        "melanoma for markers of dendritic cells and T cells. Two pathologists who did not "
        "know the outcome counted positive cells in five fields per slide. Responses were "
        "assessed by imaging after twelve weeks of treatment with a PD-1 antibody, and the "
        "counts were compared between patients who responded and those who did not.",
    ),
    ("caption", "Table 1. Response rates by dendritic cell density in the biopsy."),
    (
        "table",
        "Low 40 12 30.0 0.21\nMedium 40 18 45.0 0.08\nHigh 40 31 77.5 0.002\nAll 120 61 50.8 0.01",
    ),
    ("h", "Results"),
    (
        "p",
        "Patients whose biopsies held many conventional type 1 dendritic cells responded far "
        "more often than patients whose biopsies held few of them. The difference remained "
        "after adjusting for the number of T cells, for tumour stage and for earlier "
        "treatment. Responders also showed more activated T cells inside the tumour at the "
        "second biopsy, which fits the idea that the dendritic cells had primed them.",
    ),
    ("h", "Comment"),
    (
        "p",
        "These findings suggest that a simple count of one cell type could help to decide "
        "who should receive checkpoint blockade alone and who needs a treatment that first "
        "brings dendritic cells into the tumour. Drugs that expand or recruit these cells "
        "are already in early trials and could be combined with PD-1 antibodies.",
    ),
    ("h", "Conclusions"),
    (
        "p",
        "Dendritic cells inside the tumour are a strong and easily measured predictor of the "
        "response to checkpoint blockade in melanoma and deserve testing in other cancers.",
    ),
    (
        "p",
        "Acknowledgments This work was supported by a grant from a cancer charity and by the "
        "pathology core facility of our hospital.",
    ),
    ("h", "Competing interests"),
    ("p", "The authors declare that they have no competing interests."),
    ("h", "References"),
    (
        "p",
        "Okafor T, Berg L (2019) Antigen transport by migratory dendritic cells. Journal of "
        "Imaginary Immunology 12: 101-110. doi:10.9999/jii.2019.0101",
    ),
    (
        "p",
        "Tanaka M, Lindqvist A (2021) Counting immune cells in tumour biopsies. Journal of "
        "Made-up Pathology 4: 55-61.",
    ),
    ("h", "Referee report"),
    ("p", "Referee report doi:10.5555/jtt.2024.0041.r1 This is a clear and useful study."),
]
TABLE_NUMBERS = ("30.0", "45.0", "77.5", "50.8", "0.002")


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=\.)\s+(?=[A-Z])", text) if len(s.split()) >= 5]


def _columns(page: int) -> Iterator[Column]:
    top = 470 if page == 0 else 740
    for x in (50, 320):
        yield Column(x, top, 330 if page == 0 else 560, width_chars=48)


def _page_one_head() -> list[Line]:
    lines = [
        Line(50, 760, "RESEARCH ARTICLE", 10),
        Line(50, 730, "Tumour-resident dendritic cells decide the", 18),
        Line(50, 708, "response to checkpoint blockade", 18),
        Line(50, 684, "Ana Lindqvist1*, Tomas Okafor2 and Mei Tanaka1", 11),
        Line(50, 668, "1 Department of Oncology, University of Northfield, Northfield, UK", 8),
    ]
    y = 640.0
    for text in (LICENCE, ABSTRACT):
        for part in re.findall(r".{1,100}(?:\s|$)", text):
            lines.append(Line(50, y, part.strip(), 9))
            y -= 11.5
    return lines


def _page_one_foot() -> list[Line]:
    return [
        Line(50, 300, "Citation: Lindqvist A, Okafor T, Tanaka M (2024) Journal of Tumour", 8),
        Line(50, 290, "Testing 7: 41. doi:10.5555/jtt.", 8),
        Line(50, 280, "2024.0041", 8),
        Line(50, 50, FOOTER, 8),
    ]


def article_pdf() -> bytes:
    pages: list[list[Line]] = []
    blocks = list(BODY)
    page = 0
    pending: list[str] = []
    while blocks or pending:
        lines = _page_one_head() if page == 0 else [Line(340, 770, HEAD, 8)]
        for column in _columns(page):
            while (blocks or pending) and not column.full():
                if pending:
                    pending = column.paragraph(" ".join(pending), justified=True)
                    continue
                kind, text = blocks.pop(0)
                if kind == "h":
                    column.add(text, size=10)
                elif kind == "table":
                    for row in text.split("\n"):
                        column.add(row, size=8)
                else:
                    pending = column.paragraph(text, justified=kind == "p")
            lines += column.lines
        lines += _page_one_foot() if page == 0 else [Line(50, 40, f"{FOOTER} Page {page + 1}", 8)]
        pages.append(lines)
        page += 1
    return make_pdf(pages, info={"Title": "jtt.0041 1..3", "Author": ""})


@pytest.fixture(scope="module")
def record() -> RawRecord:
    (rec,) = read_bytes(article_pdf(), "article.pdf")
    return rec


@pytest.fixture(scope="module")
def doc(record: RawRecord) -> Document:
    return clean_record(record)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- 1. the extractor ----------------------------------------------------------------------


def test_justified_text_keeps_its_word_spaces(record: RawRecord) -> None:
    assert "release a brake on cytotoxic T cells" in _flat(record.text)
    assert "releaseabrake" not in record.text


def test_pages_reach_the_cleaner_with_form_feeds(record: RawRecord) -> None:
    assert record.text.count(PAGE_SEPARATOR) >= 2
    assert "\ufffe" not in record.text


# --- 2. a "Comment" heading is a section -----------------------------------------------------


def test_comment_heading_does_not_cut_the_article(doc: Document) -> None:
    text = _flat(doc.text)
    assert "a simple count of one cell type could help" in text
    assert "deserve testing in other cancers" in text  # the section after "Comment" too


def test_comment_heading_ends_a_web_page_but_not_pdf_text() -> None:
    page = "\n".join(
        [
            "Dendritic cells carry tumour antigens to the lymph node and present them there.",
            "",
            "Comments",
            "",
            "Great article, thanks for sharing it with all of us here today!",
        ]
    )
    web, _ = strip_boilerplate(page, find_region=False)
    pdf, _ = strip_boilerplate(page, find_region=False, comment_tail=False)
    assert "Great article" not in web
    assert "Great article" in pdf


# --- 3. title, abstract and introduction stay --------------------------------------------------


def test_title_first_then_abstract_and_introduction(doc: Document) -> None:
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[0] == TITLE
    text = _flat(doc.text)
    for sentence in _sentences(ABSTRACT):
        assert sentence in text, sentence
    assert "Antibodies that block the PD-1 receptor" in text
    assert "open access article" not in text
    assert "RESEARCH ARTICLE" not in doc.text


# --- 4. running heads and footers ----------------------------------------------------------------


def test_running_heads_and_footers_are_gone(doc: Document) -> None:
    assert "Journal of Tumour Testing 2024" not in doc.text
    assert "Page 2" not in doc.text
    assert HEAD not in doc.text


# --- 5. metadata from page 1 -----------------------------------------------------------------------


def test_metadata_from_page_one(doc: Document) -> None:
    meta = doc.metadata
    assert meta.title == TITLE  # the largest type, not the Info title "jtt.0041 1..3"
    assert meta.authors[:3] == ["Lindqvist, Ana", "Okafor, Tomas", "Tanaka, Mei"]
    assert meta.doi == DOI  # wrapped at a line end; not the reference's or the referee report's
    assert meta.year == 2024
    assert meta.journal == "Journal of Tumour Testing"


# --- 6. tables -----------------------------------------------------------------------------------------


def test_table_rows_are_dropped_and_the_caption_kept(doc: Document) -> None:
    for number in TABLE_NUMBERS:
        assert number not in doc.text
    assert "Table 1. Response rates by dendritic cell density in the biopsy." in doc.text


# --- 7. back matter ------------------------------------------------------------------------------------


def test_back_matter_is_dropped(doc: Document) -> None:
    for gone in (
        "supported by a grant",
        "no competing interests",
        "Antigen transport by migratory",
        "Counting immune cells in tumour biopsies",
        "clear and useful study",
    ):
        assert gone not in doc.text, gone


# --- 8. paragraphs across column and page breaks ------------------------------------------------------


def test_every_body_sentence_is_intact(doc: Document) -> None:
    text = _flat(doc.text)
    body = [t for kind, t in BODY if kind == "p"][:6]
    for paragraph in body:
        for sentence in _sentences(paragraph):
            assert sentence in text, sentence


def test_paragraphs_are_one_line_each(doc: Document) -> None:
    paragraphs = doc.text.split("\n\n")
    assert all("\n" not in p for p in paragraphs)
    # The paragraph that crosses the column break ends where it ends (it may share a line
    # with the paragraph before it: the last line of that one is nearly full).
    (crossing,) = [p for p in paragraphs if "Dendritic cells carry tumour antigens" in p]
    assert crossing.endswith("transferred into the animal.")


# --- extractor backends ----------------------------------------------------------------------------


def test_pypdf_fallback_reads_the_same_article(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITDIGEST_PDF_BACKEND", "pypdf")
    (rec,) = read_bytes(article_pdf(), "article.pdf")
    assert "release a brake on cytotoxic T cells" in _flat(rec.text)
    assert rec.metadata.doi == DOI


def test_pdftotext_backend_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    monkeypatch.setenv("LITDIGEST_PDF_BACKEND", "pdftotext")
    (rec,) = read_bytes(article_pdf(), "article.pdf")
    assert "release a brake on cytotoxic T cells" in _flat(rec.text)
    doc = clean_record(rec)
    assert doc.metadata.title == TITLE


def test_clean_text_of_pdf_mode_without_a_title(record: RawRecord) -> None:
    text, stats = clean_text(record.text, CleanMode.PDF)
    assert "Antibodies that block the PD-1 receptor" in text
    assert stats.line_breaks_joined > 20
    assert "\f" not in text


# --- one real article from ../shared (skipped when absent) -----------------------------------------

SHARED_PDF = Path(__file__).resolve().parents[1].parent / "shared/corpus/pdf/bmc_evolbiol_14_70.pdf"


@pytest.mark.skipif(not SHARED_PDF.exists(), reason="../shared/corpus/pdf not available")
def test_real_bmc_article() -> None:
    (rec,) = read_bytes(SHARED_PDF.read_bytes(), SHARED_PDF.name)
    doc = clean_record(rec)
    meta = doc.metadata
    assert meta.doi == "10.1186/1471-2148-14-70"
    assert meta.year == 2014
    assert meta.title is not None and meta.title.startswith("Revealing the maternal demographic")
    assert meta.authors[0].startswith("Barnett")
    assert doc.text.split("\n\n")[0] == meta.title
    assert not re.search(r"Page \d+ of 11", doc.text)
    assert "Evolutionary Biology 2014, 14:70" not in doc.text
    assert "Background" in doc.text and "Conclusions" in doc.text
    assert "Submit your next manuscript" not in doc.text
    assert len(doc.text.split()) > 4000
