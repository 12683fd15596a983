"""Readers for each input format, on small invented fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.config import IngestSettings
from litdigest.documents import CleanMode, Format
from litdigest.errors import InputError
from litdigest.ingest import read_bytes, read_file, read_file_detailed

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
EXAMPLES = Path(__file__).parent.parent / "examples"
SETTINGS = IngestSettings()


def test_ris_multi_record_sources_metadata_and_errors() -> None:
    path = FIXTURES / "multi.ris"
    records, errors = read_file_detailed(path, SETTINGS)
    assert [r.source for r in records] == [f"{path}#1", f"{path}#2"]
    assert [e.source for e in errors] == [f"{path}#3"]
    assert "neither a title nor an abstract" in errors[0].reason
    first, second = records
    assert first.format is Format.RIS
    assert first.clean_mode is CleanMode.STRUCTURED
    meta = first.metadata
    assert meta.title == (
        "Tumour-associated macrophages restrain CD8+ T cell priming in draining lymph nodes"
    )
    assert meta.authors == ["Okafor, Adaeze", "Lindqvist, Per", "Moreau, Camille"]
    assert meta.journal == "Journal for ImmunoTherapy of Cancer"  # JF preferred over JO
    assert meta.year == 2021
    assert meta.doi == "10.1136/jitc-2021-000123"
    assert first.text.startswith(meta.title + "\n\n")
    # N2 and AB differ only in whitespace: the abstract appears once; N1 funding is dropped.
    assert first.text.count("Depleting TAMs restored priming") == 1
    assert "Funding" not in first.text
    # One-space tags, T2 as journal when JF/JO are absent, DOI from U2, longer of AB/N2 kept.
    assert second.metadata.journal == "Cancer Immunology Reviews"
    assert second.metadata.year == 2019
    assert second.metadata.doi == "10.9999/cir.2019.77"
    assert second.text.count("Short abstract about converting cold tumours") == 1
    assert "adds a second clause" in second.text


def test_read_file_returns_only_good_records() -> None:
    records = read_file(FIXTURES / "multi.ris", SETTINGS)
    assert len(records) == 2


def test_single_record_source_has_no_suffix() -> None:
    data = b"TY  - JOUR\nTI  - Single record on NK cells\nAB  - NK cells kill.\nER  - \n"
    (record,) = read_bytes(data, "one.ris")
    assert record.source == "one.ris"
    assert record.text == "Single record on NK cells\n\nNK cells kill."


def test_ris_without_end_tag_is_still_read() -> None:
    data = b"TY  - JOUR\nTI  - Truncated export about B cells\nPY  - 2017\n"
    (record,) = read_bytes(data, "x.ris", Format.RIS)
    assert record.metadata.title == "Truncated export about B cells"
    assert record.metadata.year == 2017


def test_bibtex_entries_latex_and_errors() -> None:
    path = FIXTURES / "refs.bib"
    records, errors = read_file_detailed(path, SETTINGS)
    assert [r.source for r in records] == [f"{path}#1", f"{path}#2"]
    assert [e.source for e in errors] == [f"{path}#3", f"{path}#4"]
    assert "malformed BibTeX entry" in errors[0].reason
    assert "\n" not in str(errors[0])
    meta = records[0].metadata
    assert meta.title == "PD-1 Blockade Rescues Exhausted T Cells in Murine Melanoma"
    assert meta.authors == ["Müller, Jörg", "García, Lucía", "Smith, John"]
    assert meta.journal == "Journal of Invented Immunology"  # @string macro resolved
    assert meta.year == 2020
    assert meta.doi == "10.5555/jii.2020.001"
    assert records[0].format is Format.BIBTEX
    assert "depends on TCF1-positive progenitors." in records[0].text
    assert "\\emph" not in records[0].text
    assert records[1].metadata.journal == "Proceedings of the Invented Cancer Vaccine Symposium"


def test_pubmed_xml_articles_books_and_errors() -> None:
    path = FIXTURES / "pubmed_set.xml"
    records, errors = read_file_detailed(path, SETTINGS)
    assert [r.source for r in records] == [f"{path}#1", f"{path}#2", f"{path}#3"]
    assert [e.source for e in errors] == [f"{path}#4"]
    first = records[0]
    assert first.format is Format.PUBMED_XML
    assert first.clean_mode is CleanMode.STRUCTURED
    assert first.metadata.title == (
        "Interferon-γ signalling shapes the tumour immune microenvironment."
    )
    assert first.metadata.authors == [
        "Nakamura, Hana",
        "Osei, K",
        "Invented Immuno-Oncology Consortium",
    ]
    assert first.metadata.journal == "Frontiers in invented oncology"
    assert first.metadata.year == 2022
    assert first.metadata.doi == "10.7777/fio.2022.0042"
    paragraphs = first.text.split("\n\n")
    assert paragraphs[1].startswith("BACKGROUND: Interferon-γ")
    assert paragraphs[2] == "METHODS: We profiled 40 invented tumours with CD8+ infiltrates."
    assert paragraphs[3].startswith("CONCLUSIONS:")
    second = records[1]
    assert second.metadata.title == "Regulatory T cells in invented gastric cancer."
    assert second.metadata.journal == "Invent Immunol Lett"
    assert second.metadata.year == 2015
    assert second.metadata.doi == "10.7777/iil.2015.9"  # not the reference list's DOI
    book = records[2]
    assert book.metadata.title == "Natural killer cells"
    assert book.metadata.journal == "Handbook of Invented Tumour Immunology"
    assert book.metadata.year == 2019
    assert "lacking MHC class I" in book.text


def test_medline_records() -> None:
    path = FIXTURES / "medline.txt"
    records, errors = read_file_detailed(path, SETTINGS)
    assert errors == []
    assert [r.source for r in records] == [f"{path}#1", f"{path}#2"]
    first = records[0]
    assert first.format is Format.MEDLINE
    assert first.metadata.title == "Dendritic cell vaccination in invented glioblastoma: a review."
    assert first.metadata.authors == ["Kowalski, Anna", "Tanaka, Yuki"]
    assert first.metadata.journal == "Invented neuro-oncology"
    assert first.metadata.year == 2020
    assert first.metadata.doi == "10.8888/idc.2020.5"
    paragraphs = first.text.split("\n\n")
    assert paragraphs[1] == (
        "BACKGROUND: Dendritic cell vaccines present tumour antigens to naive T cells."
    )
    assert paragraphs[-1].startswith("CONCLUSIONS: Combination with checkpoint blockade")
    assert records[1].metadata.authors == ["Ibrahim S"]
    assert records[1].metadata.year == 2018


def test_jats_keeps_article_text_and_drops_back_matter() -> None:
    (record,) = read_file(FIXTURES / "article.nxml", SETTINGS)
    assert record.format is Format.JATS
    assert record.clean_mode is CleanMode.STRUCTURED
    meta = record.metadata
    assert meta.title == "Trained immunity in the tumour microenvironment"
    assert meta.authors == ["Adeyemi, Tolu", "Berg, Ingrid"]
    assert meta.journal == "Invented Tumour Immunology"
    assert meta.year == 2023
    assert meta.doi == "10.4242/iti.2023.17"
    blocks = record.text.split("\n\n")
    assert blocks[0] == meta.title
    assert blocks[1].startswith("Trained immunity reprograms myeloid cells")
    for heading in ("Introduction", "Mechanisms", "Epigenetic rewiring"):
        assert heading in blocks
    assert "Innate immune memory was long overlooked [1–3]." in record.text
    assert "(Smith et al., 2019)" in record.text
    assert "retain this memory. The effect is shown in Figure 1." in record.text
    assert (
        "Figure 1. Trained monocytes kill tumour cells. Cytotoxicity of trained versus naive"
        " monocytes." in blocks
    )
    assert "Table 1. Invented cohorts of trained immunity studies." in blocks
    assert "where the rate is constant across donors." in record.text
    assert "Glycolysis is upregulated." in blocks
    for junk in (
        "AFFILIATION",
        "AUTHOR-NOTE",
        "LICENSE",
        "FUNDING",
        "TABLE-CELL",
        "TABLE-FOOT",
        "SUPPLEMENT",
        "COMPETING",
        "ACK-TEXT",
        "FN-TEXT",
        "REF-TEXT",
        "Competing interests",
        "[]",
        "()",
    ):
        assert junk not in record.text


def test_markdown_to_plain_text() -> None:
    (record,) = read_file(FIXTURES / "review.md", SETTINGS)
    assert record.format is Format.MARKDOWN
    assert record.clean_mode is CleanMode.EXTRACTED
    assert record.metadata.title == "Myeloid-derived suppressor cells: a primer"
    text = record.text
    lines = text.split("\n")
    assert lines[0] == "Myeloid-derived suppressor cells"
    assert "Subsets" in lines
    assert "MDSCs expand in tumour-bearing hosts" in text
    assert "an invented review and another one." in text
    assert "- Monocytic MDSCs express Ly6C." in lines
    assert "- Granulocytic MDSCs express Ly6G." in lines
    assert 'depletion = "anti-Gr1"' in lines
    assert "Targeting MDSCs may improve checkpoint blockade." in lines
    for junk in ("#", "**", "](", "http", "mdsc.png", "HIDDEN-COMMENT", "```", "---", "title:"):
        assert junk not in text.replace("# code fence content is kept", "")


def test_markdown_note_keeps_its_dense_lists_and_last_sections() -> None:
    """A reading note's terse bullets (figures, arrows, few stop words) are content: the
    main-content search of scraped pages once cut everything after its mouse results."""
    from litdigest.clean import clean_record

    (record,) = read_file(EXAMPLES / "notes.md", SETTINGS)
    text = clean_record(record).text
    for kept in (
        "Retrospective cohort of 231 resected PDAC cases",
        "objective response rate 18% (7/38)",
        "Therapeutic implication",
        "makes room for checkpoint blockade to work",
        "whether CXCR1/2 dual inhibition or arginase inhibitors do better.",
    ):
        assert kept in text
    assert "Reviewer:" not in text  # the byline is still residual boilerplate


def test_plain_text_is_scraped_text() -> None:
    (record,) = read_file(FIXTURES / "scraped.txt", SETTINGS)
    assert record.format is Format.TEXT
    assert record.clean_mode is CleanMode.SCRAPED
    assert record.source == str(FIXTURES / "scraped.txt")
    assert "NK cells recognize stressed tumour cells" in record.text


def test_max_records_per_file() -> None:
    settings = IngestSettings(max_records_per_file=1)
    records, errors = read_file_detailed(FIXTURES / "medline.txt", settings)
    assert len(records) == 1
    assert records[0].source.endswith("#1")
    assert any("only the first 1" in e.reason for e in errors)


def test_all_records_bad_raises_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.ris"
    path.write_text("TY  - JOUR\nPY  - 2001\nER  - \nTY  - JOUR\nPY  - 2002\nER  - \n")
    with pytest.raises(InputError) as info:
        read_file(path, SETTINGS)
    assert "no usable record" in str(info.value)
    assert "\n" not in str(info.value)


def test_bibtex_inline_script_math_becomes_plain_text() -> None:
    data = (
        b"@article{k1, title = {Depleting {CCR8}$^{+}$ regulatory {T} cells spares CD8$^+$ cells},"
        b" author = {Doe, Jane}, journal = {J Test}, year = {2024},"
        b" abstract = {Tumour CCR8$^{+}$ Treg cells fell by 87\\% while IFN-$\\gamma$ rose.}}\n"
    )
    (record,) = read_bytes(data, "math.bib", Format.BIBTEX)
    assert record.metadata.title == "Depleting CCR8+ regulatory T cells spares CD8+ cells"
    assert "CCR8+ Treg cells fell by 87%" in record.text
    assert "$" not in record.text
