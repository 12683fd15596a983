"""Units of the real-PDF path: PDFium's hyphen marks, page furniture across pages, tables,
section-aware cleaning and metadata from the page text (texts written for these tests)."""

from __future__ import annotations

from litdigest.clean.metadata import parse_pdf_byline, pdf_metadata
from litdigest.clean.pdf_pages import clean_pages
from litdigest.clean.pdf_repair import is_section_heading, repair_pdf_text
from litdigest.clean.pdf_sections import clean_pdf_sections
from litdigest.ingest.pdf import _clean_page, _info_metadata

PROSE = [
    "Tumour cells that die by necroptosis release danger signals which attract",
    "dendritic cells and prime a response against antigens of the tumour, and",
    "this effect was seen again in three independent cohorts of treated mice.",
]


def _page(number: int, body: list[str], total: int = 4) -> str:
    head = "Okafor et al. Journal of Made-up Oncology 2023, 9:14"
    foot = f"{head} Page {number} of {total}" if number > 1 else head
    return "\n".join([*body, foot, "http://www.example.org/content/9/14"])


def test_pdfium_hyphen_marks_become_line_end_hyphens() -> None:
    assert _clean_page("preser\ufffe\r\nvation of bone") == "preser-\r\nvation of bone"
    assert _clean_page("the median\ufffejoining algorithm") == "the median-\njoining algorithm"
    assert _clean_page("a\uffffb\fc") == "ab\nc"


def test_file_name_info_titles_are_ignored() -> None:
    for junk in ("pone.0115884 1..14", "9785973141004535 1..11", "ms_2023_final.docx"):
        assert _info_metadata({"Title": junk}).title is None, junk
    assert _info_metadata({"Title": "Necroptosis and immunity"}).title == "Necroptosis and immunity"


def test_running_footers_recur_modulo_page_numbers() -> None:
    bodies = [[f"{line} (page {n}, {word})" for line in PROSE] for n, word in enumerate("abcd")]
    pages = [_page(n, body) for n, body in enumerate(bodies, start=1)]
    cleaned, stats = clean_pages(pages)
    for page, body in zip(cleaned, bodies, strict=True):
        assert "Journal of Made-up Oncology" not in page
        assert "example.org" not in page
        assert body[0] in page
    assert stats.furniture_lines >= 8


def test_a_running_head_merged_into_a_line_is_cut_off() -> None:
    head = "Journal of Made-up Oncology"
    pages = [f"{n} {head}\n" + "\n".join(PROSE) for n in range(1, 4)]
    pages.append(f"4 {head} Table 2: Doses given to each group of mice in the study.\n" + PROSE[0])
    cleaned, _ = clean_pages(pages)
    assert cleaned[3].startswith("Table 2: Doses given")


def test_numeric_table_rows_are_removed_caption_kept() -> None:
    page = "\n".join(
        [
            *PROSE,
            "Table 1 Doses and responses",
            "Group Dose Responders Rate",
            "A 10 4 0.40",
            "B 20 7 0.70",
            "C 40 9 0.90",
            *PROSE,
        ]
    )
    (cleaned,), stats = clean_pages([page])
    assert "0.70" not in cleaned and "Table 1 Doses and responses" in cleaned
    assert cleaned.count(PROSE[1]) == 2
    assert stats.table_lines >= 4


def test_table_cells_quoting_prose_are_removed_up_to_the_text() -> None:
    body = [
        "The village laws regulated the felling of trees in the common forest and",
        "the grazing of cattle on the meadows, and the fines were set by the court",
        "of the whole community, which met once a year to agree on the new rules.",
    ]
    page = "\n".join(
        [
            "Table 3 Quotations from the village laws",
            "Type of demand",
            "Count",
            "Quotation",
            "1. demand for timber",
            "24 0 “When a member wants to build, he must ask the court first.”",
            "2. demand for firewood",
            "16 1 “Herdsmen may collect dead wood in the forest.”",
            *body,
        ]
    )
    (cleaned,), _ = clean_pages([page])
    assert "Herdsmen may collect" not in cleaned
    assert "Table 3 Quotations from the village laws" in cleaned
    assert all(line in cleaned for line in body)


def test_section_headings() -> None:
    for heading in ("Methods", "2. Patients and Methods", "Comment", "Acknowledgements"):
        assert is_section_heading(heading), heading
    assert not is_section_heading("The methods we used were simple.")


def test_page_break_joins_a_running_sentence() -> None:
    text = "\n".join(PROSE[:2]) + "\n\f\n" + PROSE[2]
    out, _ = repair_pdf_text(text, layout=True)
    assert out == " ".join(PROSE)


def test_sections_drop_back_matter_but_keep_comment() -> None:
    text = "\n\n".join(
        [
            "Results",
            " ".join(PROSE),
            "Comment",
            "The finding suggests a new way to combine necroptosis inducers with PD-1 blockade.",
            "Acknowledgments We thank the animal facility for their help with the mice.",
            "Funding",
            "This work was funded by a made-up foundation for cancer research.",
            "Discussion",
            "Necroptosis may therefore be a useful target in tumours that resist apoptosis.",
            "References",
            "Okafor T, Lind A (2020) Danger signals. J Made-up Immunol 3: 1-9.",
            "Figure 1. Necroptotic cells attract dendritic cells.",
        ]
    )
    out, stats = clean_pdf_sections(text, title="Necroptosis and tumour immunity")
    paragraphs = out.split("\n\n")
    assert paragraphs[0] == "Necroptosis and tumour immunity"
    assert "Comment" in paragraphs and "new way to combine" in out
    assert "useful target" in out  # content resumes after the funding section
    for gone in ("animal facility", "made-up foundation", "Danger signals"):
        assert gone not in out, gone
    assert paragraphs[-1] == "Figure 1. Necroptotic cells attract dendritic cells."
    assert stats.paragraphs_dropped >= 5


def test_licence_sentences_are_cut_off_the_abstract() -> None:
    text = (
        "Copyright © 2016 Okafor et al.This is an open access article distributed under the "
        "Creative Commons Attribution License, which permits unrestricted use, provided the "
        "original work is properly cited. Background. Necroptosis releases danger signals."
    )
    out, _ = clean_pdf_sections(text)
    assert out == "Background. Necroptosis releases danger signals."


def test_bylines_with_affiliation_marks() -> None:
    assert parse_pdf_byline("Ann Okafor,1 Bo Lindqvist,2 and Cyril Parkes1") == [
        "Okafor, Ann",
        "Lindqvist, Bo",
        "Parkes, Cyril",
    ]
    assert parse_pdf_byline("Ross Barnett1,9*, Nobuyuki Yamaguchi2 , Beth Shapiro3") == [
        "Barnett, Ross",
        "Yamaguchi, Nobuyuki",
        "Shapiro, Beth",
    ]
    assert parse_pdf_byline("Tumours were treated with a dose of 10 mg and followed up.") == []


def test_doi_wrapped_and_figure_dois_fold_into_the_article() -> None:
    page1 = "Title of the article\nCitation: Okafor A (2014) Made-up J 9: e1. doi:10.5555/journal.\npone.0001234\nBody text."
    page2 = "More text.\ndoi:10.5555/journal.pone.0001234.g001\nMade-up J | DOI:10.5555/journal.pone.0001234 May 2, 2014 2 / 3"
    refs = "References\n1. Lind B (2010) Other work. doi:10.5555/journal.pone.0009999\n" * 3
    meta = pdf_metadata([page1, page2, refs + "last line"])
    assert meta.doi == "10.5555/journal.pone.0001234"
    assert meta.year == 2014
