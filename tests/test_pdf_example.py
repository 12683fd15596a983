"""The bundled PDF example end to end: examples/pdf-text.txt (text layer) and examples/review.pdf."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from litdigest.clean import clean_record, clean_text
from litdigest.clean.normalize import normalize_text
from litdigest.clean.pdf_repair import repair_pdf_text
from litdigest.config import IngestSettings
from litdigest.documents import CleanMode, Format, Metadata, RawRecord
from litdigest.ingest import read_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TITLE = (
    "Priming the cold tumour: how STING agonists license dendritic cells for anti-tumour immunity"
)
AUTHORS = ["Vasquez-Oyelaran, Hendrika", "Strathmore, Pavel", "Kwarteng-Bly, Ines"]
BYLINE = "Hendrika Vasquez-Oyelaran(1), Pavel Strathmore(2) and Ines Kwarteng-Bly(1)"
# The paragraph interrupted by the page break (page number, form feed, running head).
ACROSS_PAGES = (
    "40% of mice also controlled an untreated contralateral tumour, indicating a systemic, "
    "antigen-specific response. The effect was lost in Batf3-deficient mice, which lack cDC1, "
    "and in mice lacking STING only in CD11c+ cells, showing that dendritic cells rather than "
    "tumour cells are the key responders. Adding anti-PD-1 raised the rate of contralateral "
    "tumour control to 70%."
)
PARAGRAPH_STARTS = (
    "Abstract | Many solid tumours lack",
    "Mechanism. STING is an endoplasmic",
    "Evidence in mice. In the B16-OVA",
    "Evidence in patients. In a phase II",
    "Therapeutic implications. STING agonists",
)


def _text_record() -> RawRecord:
    text = (EXAMPLES / "pdf-text.txt").read_text(encoding="utf-8")
    return RawRecord(
        text=text, format=Format.TEXT, source="pdf-text.txt", clean_mode=CleanMode.SCRAPED
    )


def _pdf_record() -> RawRecord:
    records = read_file(EXAMPLES / "review.pdf", IngestSettings())
    assert len(records) == 1
    return records[0]


def _pdf_text_only() -> RawRecord:
    """The PDF without its document-info metadata: everything must come from the text."""
    return _pdf_record().model_copy(update={"metadata": Metadata()})


def _assert_clean_body(text: str) -> None:
    assert "et al. |" not in text
    assert "Vasquez-Oyelaran et al." not in text
    assert "\f" not in text
    paragraphs = text.split("\n\n")
    assert all(p and "\n" not in p for p in paragraphs)
    assert not any(re.fullmatch(r"[-–\s]*\d{1,4}[-–\s]*", p) for p in paragraphs), paragraphs
    assert not re.search(r"\b(?:77|78)\s*$", paragraphs[-1])
    (mice,) = [p for p in paragraphs if p.startswith("Evidence in mice.")]
    assert mice.endswith(ACROSS_PAGES)
    for start in PARAGRAPH_STARTS:
        assert sum(p.startswith(start) for p in paragraphs) == 1, start
    assert paragraphs[-1].endswith("baseline cGAS-STING expression to pick patients.")
    for fragment in ("immuno genicity", "phos phorylation", "cyto toxic", "check point"):
        assert fragment not in text, fragment


@pytest.mark.parametrize("record", [_text_record, _pdf_record], ids=["text", "pdf"])
def test_repair_stage(record: Callable[[], RawRecord]) -> None:
    """Before boilerplate removal: head, title, byline and affiliations are paragraphs of
    their own, and the page furniture is gone."""
    raw = record()
    repaired, _ = repair_pdf_text(normalize_text(raw.text))
    paragraphs = repaired.split("\n\n")
    assert paragraphs[0] == "J Tumour Immunol Lett 2024; 19: 77-81 REVIEW"
    assert paragraphs[1] == TITLE
    assert paragraphs[2] == BYLINE
    assert paragraphs[3].startswith("(1) Centre for Innate Immunotherapy")
    assert paragraphs[3].endswith("Hospital, Fenwick, UK")
    assert paragraphs[4].startswith("Abstract | ")
    _assert_clean_body("\n\n".join(paragraphs[1:]))


def test_clean_text_of_the_text_layer() -> None:
    text, stats = clean_text(_text_record().text, CleanMode.SCRAPED)
    _assert_clean_body(text)
    assert "(1) Centre for Innate Immunotherapy" not in text
    assert "J Tumour Immunol Lett" not in text
    assert stats.line_breaks_joined >= 40


@pytest.mark.parametrize(
    "record", [_text_record, _pdf_record, _pdf_text_only], ids=["text", "pdf", "pdf-text-only"]
)
def test_clean_record(record: Callable[[], RawRecord]) -> None:
    doc = clean_record(record())
    _assert_clean_body(doc.text)
    assert doc.metadata.title == TITLE
    assert doc.metadata.authors == AUTHORS
    assert doc.metadata.journal == "J Tumour Immunol Lett"
    assert doc.metadata.year == 2024


@pytest.mark.parametrize("record", [_text_record, _pdf_record], ids=["text", "pdf"])
def test_title_is_the_first_line(record: Callable[[], RawRecord]) -> None:
    doc = clean_record(record())
    lines = doc.text.split("\n")
    assert lines[0] == TITLE
    assert not lines[2].startswith("Hendrika")
