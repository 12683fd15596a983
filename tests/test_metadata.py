"""extract_metadata: what the page text states, and nothing it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.clean.metadata import extract_metadata
from litdigest.documents import Metadata

BODY = (
    "Regulatory T cells accumulate in most solid tumours, where they suppress CD8 T cells. "
    "Depleting them restores antitumour immunity in mice."
)


def _md(raw: str, cleaned: str | None = None) -> Metadata:
    return extract_metadata(raw, raw if cleaned is None else cleaned)


# --- DOI ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("DOI: 10.1038/NRC3245.", "10.1038/nrc3245"),
        ("https://doi.org/10.1172/JCI143296.", "10.1172/jci143296"),
        ("http://dx.doi.org/10.1016/j.cell.2020.01.001;", "10.1016/j.cell.2020.01.001"),
        ("(doi:10.1016/S0140-6736(20)30183-5).", "10.1016/s0140-6736(20)30183-5"),
        ("doi 10.1158/2326-6066.CIR-19-0123,", "10.1158/2326-6066.cir-19-0123"),
        ("DO  - 10.1038/nrd3626", "10.1038/nrd3626"),
    ],
)
def test_doi_forms(text: str, doi: str) -> None:
    assert _md(f"A title line\n\n{BODY}\n\n{text}\n\n{BODY}").doi == doi


def test_doi_on_the_line_after_its_label() -> None:
    assert _md(
        f"{BODY}\n{BODY}\n{BODY}\n{BODY}\n{BODY}\n{BODY}\n{BODY}\nDOI:\n10.1038/s41590-022-01234-5"
    ).doi == ("10.1038/s41590-022-01234-5")


def test_labelled_doi_preferred() -> None:
    text = (
        f" date 2021-01-04 Review 10.1172/JCI999999\n\n{BODY}\n\nhttps://doi.org/10.1172/JCI143296."
    )
    assert _md(text).doi == "10.1172/jci143296"


def test_unlabelled_doi_in_the_header_counts() -> None:
    assert _md(f" date 2021-01-04 Review 10.1172/JCI143296\n\nA title\n\n{BODY}").doi == (
        "10.1172/jci143296"
    )


def test_doi_of_a_covered_study_is_not_the_page_doi() -> None:
    text = (
        f"Hibernating astronauts\n\n{BODY}\n\nMore information: G. Petit et al. Hibernation "
        "and torpor. Handbook of Life Support Systems (2018). DOI: 10.1007/978-3-319-09575-2_199-1"
    )
    assert _md(text).doi is None


def test_unlabelled_doi_deep_in_the_body_is_ignored() -> None:
    text = "\n\n".join([BODY] * 8 + [f"as shown before (10.1038/nrc3245), {BODY}"])
    assert _md(text).doi is None


def test_reference_list_dois_ignored() -> None:
    text = (
        f"Tumour immunology today\n\n{BODY}\n\nReferences\n\n"
        "1. Smith, J. Treg depletion. Nat. Med. 20, 1–9 (2014). https://doi.org/10.1038/nm.1234\n"
        "Kroemer, G. Immunogenic cell death. Annu. Rev. Immunol. 31, 51–72 (2013). "
        "doi:10.1146/annurev-immunol-032712-100008\n"
    )
    md = _md(text)
    assert md.doi is None
    assert md.journal is None
    assert md.year is None


# --- citation lines -------------------------------------------------------------------------------


def test_nature_cite_this_article() -> None:
    text = (
        "Immuno-epigenetic escape\n\n"
        f"{BODY}\n\n"
        "Cite this article\n\n"
        "Galluzzi, L., Kroemer, G. Immuno-epigenetic escape of cancer stem cells. "
        "Nat Immunol 23, 1300–1302 (2022).\n\n"
        "Download citation\n"
    )
    md = _md(text)
    assert md.title == "Immuno-epigenetic escape of cancer stem cells"
    assert md.authors == ["Galluzzi, L.", "Kroemer, G."]
    assert md.journal == "Nat Immunol"
    assert md.year == 2022
    assert md.doi is None


def test_nature_style_with_ampersand_initials_and_doi() -> None:
    line = (
        "Cite this article: Vanpouille-Box, C., Demaria, S., Formenti, S. C. & Galluzzi, L. "
        "Cytosolic DNA sensing in organismal tumor control. Cancer Cell 34, 361–378 (2018). "
        "https://doi.org/10.1016/j.ccell.2018.05.013"
    )
    md = _md(f"{line}\n\n{BODY}")
    assert md.authors == ["Vanpouille-Box, C.", "Demaria, S.", "Formenti, S. C.", "Galluzzi, L."]
    assert md.title == "Cytosolic DNA sensing in organismal tumor control"
    assert md.journal == "Cancer Cell"
    assert md.year == 2018
    assert md.doi == "10.1016/j.ccell.2018.05.013"


def test_vancouver_citation() -> None:
    line = (
        "von Locquenghien M, Rozalén C, Celià-Terrassa T. Interferons in cancer immunoediting: "
        "sculpting metastasis and immunotherapy response. J Clin Invest. 2021;131(1):e143296."
    )
    md = _md(f"{BODY}\n\n{line}")
    assert md.authors == ["von Locquenghien, M.", "Rozalén, C.", "Celià-Terrassa, T."]
    assert md.title == (
        "Interferons in cancer immunoediting: sculpting metastasis and immunotherapy response"
    )
    assert md.journal == "J Clin Invest"
    assert md.year == 2021


def test_journal_line_alone() -> None:
    md = _md(f"J Clin Invest. 2021;131(1):e143296. https://doi.org/10.1172/JCI143296.\n\n{BODY}")
    assert md.journal == "J Clin Invest"
    assert md.year == 2021
    assert md.doi == "10.1172/jci143296"
    assert md.authors == []


def test_plos_citation() -> None:
    line = (
        "Citation: Hatchwell E, Greally JM (2012) The potential role of epimutations in cancer. "
        "PLoS ONE 7(3): e33255. doi:10.1371/journal.pone.0033255"
    )
    md = _md(f"{line}\n\n{BODY}")
    assert md.authors == ["Hatchwell, E.", "Greally, J. M."]
    assert md.title == "The potential role of epimutations in cancer"
    assert md.journal == "PLoS ONE"
    assert md.year == 2012
    assert md.doi == "10.1371/journal.pone.0033255"


def test_related_article_citations_are_not_the_article() -> None:
    text = (
        f"Tregs restrain antitumour immunity\n\n{BODY}\n\nRelated articles\n\n"
        "Smith, J. Treg depletion in melanoma. Nat Med 20, 1301–1309 (2014).\n"
        "Jones, B. & Lee, K. CCR8 marks tumour Tregs. Cell 164, 1233–1247 (2016).\n"
    )
    md = _md(text)
    assert md.title == "Tregs restrain antitumour immunity"
    assert md.journal is None
    assert md.authors == []
    # A single citation line of another title is not this article's either.
    md = _md(f"Tregs restrain antitumour immunity\n\n{BODY}\n\n" + text.splitlines()[-2])
    assert (md.journal, md.year, md.authors) == (None, None, [])


def test_citation_inside_prose_is_not_the_article() -> None:
    text = (
        "A title about tregs\n\n"
        "This was first shown by Smith and colleagues in Nat Med 20, 1301–1309 (2014), and "
        "later confirmed in Cell 164, 1233–1247 (2016)."
    )
    md = _md(text)
    assert md.journal is None
    assert md.year is None


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "year"),
    [
        ("Published January 4, 2021 - More info", 2021),
        ("Published: 16 October 2019", 2019),
        ("Published online 3 Mar. 2020", 2020),
        (" date 2021-01-04 Review", 2021),
        ("Issue Date: December 2022", 2022),
        ("© 2018 Elsevier Inc. All rights reserved.", 2018),
    ],
)
def test_year_from_dates(line: str, year: int) -> None:
    assert _md(f"A title\n\n{line}\n\n{BODY}").year == year


def test_dates_without_context_are_not_publication_years() -> None:
    text = f"A title\n\nApril 1, 2025, Issue 1\n\n{BODY} The trial ran from 2010 to 2015."
    assert _md(text).year is None


# --- title and byline -----------------------------------------------------------------------------


def test_title_and_byline() -> None:
    raw = (
        "Regulatory T cells in the tumour microenvironment\n\n"
        "Michelle von Locquenghien, Catalina Rozalén, and Toni Celià-Terrassa\n\n"
        f"{BODY}"
    )
    md = _md(raw)
    assert md.title == "Regulatory T cells in the tumour microenvironment"
    assert md.authors == [
        "von Locquenghien, Michelle",
        "Rozalén, Catalina",
        "Celià-Terrassa, Toni",
    ]


def test_byline_with_by_and_affiliation_marks() -> None:
    raw = f"Tregs and tumours\nBy Jane Q. Smith1,2*, Wei Zhang2 & Ana María López3\n\n{BODY}"
    assert _md(raw).authors == ["Smith, Jane Q.", "Zhang, Wei", "López, Ana María"]


@pytest.mark.parametrize(
    "second_line",
    [
        "Cancer Research Program, IMIM (Hospital del Mar Medical Research Institute)",
        "Nature Reviews Cancer, Nature Reviews Immunology",
        "In mice, the tumor cells are able to thwart the immune response.",
        "Shawna Williams",  # a single bare name is not a byline
    ],
)
def test_not_a_byline(second_line: str) -> None:
    assert _md(f"Tregs and tumours\n\n{second_line}\n\n{BODY}").authors == []


def test_meet_the_author() -> None:
    raw = f"Tregs and tumours\n\n{BODY}\n\nMeet the Author\n\n  • Shawna Williams\n\n    Shawna was an editor."
    assert _md(raw).authors == ["Williams, Shawna"]


def test_title_from_the_first_line_of_the_cleaned_text() -> None:
    assert _md("page chrome", f"Tregs restrain antitumour immunity\n\n{BODY}").title == (
        "Tregs restrain antitumour immunity"
    )
    # A leading date/DOI strip or article-type label is skipped.
    cleaned = f"Review\nTregs restrain antitumour immunity\n\n{BODY}"
    assert _md("", cleaned).title == "Tregs restrain antitumour immunity"


@pytest.mark.parametrize(
    "first_line",
    [
        BODY,  # a sentence with a final period
        "Regulatory T cells accumulate in most solid tumours.",
        "Abstract",
        "Introduction to the field",
        "Skip to main content",
        "TY  - JOUR",
        "see https://www.example.org for more",
        "in the late nineteenth century, scientists were aware",
        "This shop has been compensated by its advertiser. All opinions are mine #ad",
        "CLICK FOR FULL RESULTS",
        "He said the merger will create “a stronger news enterprise.”",
    ],
)
def test_not_a_title(first_line: str) -> None:
    assert _md("", f"{first_line}\n\n{BODY}").title is None


def test_wrapped_first_line_is_not_a_title() -> None:
    cleaned = "Since the use of Coley’s toxins for the treatment of cancer\nin the late nineteenth century."
    assert _md("", cleaned).title is None


@pytest.mark.parametrize(
    "byline",
    [
        "Marta Oyelowo-Berg(1,2), Tomasz Quillan(2) and Leena Farrowdale(1)",
        "Marta Oyelowo-Berg1,2, Tomasz Quillan2 and Leena Farrowdale1",
        "Marta Oyelowo-Berg*, Tomasz Quillan† and Leena Farrowdale",
        "Marta Oyelowo-Berg (1), Tomasz Quillan (2)",
        "Marta Oyelowo-Berg, Tomasz Quillan and Leena Farrowdale",
    ],
)
def test_byline_is_never_the_title(byline: str) -> None:
    md = _md(byline, f"{byline}\n\n{BODY}")
    assert md.title is None
    md = _md(f"{byline}\n\n{BODY}", f"{byline}\n\nAbstract | {BODY}")
    assert md.title is None


def test_title_case_title_with_and_is_still_a_title() -> None:
    cleaned = f"Killer Cells and Dendritic Partners\n\n{BODY}"
    assert _md("", cleaned).title == "Killer Cells and Dendritic Partners"


# An invented PDF text layer: a journal running head, a wrapped title, a wrapped byline with
# affiliation marks, affiliations, then the abstract.
PDF_TOP = (
    "Ann Rev Myeloid Biol 2023; 7: 101-108        PERSPECTIVE\n"
    "Neutrophils at the invasive margin: friends of the\n"
    "tumour or of the host?\n"
    "Marta Oyelowo-Berg(1,2), Tomasz Quillan(2) and Leena\n"
    "Farrowdale(1)\n"
    "(1) Institute of Myeloid Biology, Eastmoor University, Eastmoor,\n"
    "UK (2) Department of Surgery, Harrowgate Infirmary, Harrowgate, UK\n"
    f"Abstract | {BODY}\n"
)
PDF_TITLE = "Neutrophils at the invasive margin: friends of the tumour or of the host?"
PDF_AUTHORS = ["Oyelowo-Berg, Marta", "Quillan, Tomasz", "Farrowdale, Leena"]


def test_pdf_running_head_gives_journal_and_year() -> None:
    md = _md(PDF_TOP, f"Abstract | {BODY}")
    assert (md.journal, md.year) == ("Ann Rev Myeloid Biol", 2023)
    # With one space before the label, and a recurring head on a later page.
    raw = "Ann Rev Myeloid Biol 2023;7(2):101-108 REVIEW\n\n" + BODY
    raw += "\n\nAnn Rev Myeloid Biol 2023;7(2):101-108 REVIEW\n\n" + BODY
    md = _md(raw, BODY)
    assert (md.journal, md.year) == ("Ann Rev Myeloid Biol", 2023)


def test_wrapped_pdf_title_block_and_byline() -> None:
    # The cleaned text starts with the byline (the title was lost): title and authors come from
    # the raw text's title block.
    byline = "Marta Oyelowo-Berg(1,2), Tomasz Quillan(2) and Leena Farrowdale(1)"
    md = _md(PDF_TOP, f"{byline}\n\nAbstract | {BODY}")
    assert md.title == PDF_TITLE
    assert md.authors == PDF_AUTHORS
    # With blank lines between the blocks, and the title as the cleaned text's first line.
    raw = PDF_TOP.replace("host?\n", "host?\n\n").replace("Farrowdale(1)\n", "Farrowdale(1)\n\n")
    md = _md(raw, f"{PDF_TITLE}\n\nAbstract | {BODY}")
    assert md.title == PDF_TITLE
    assert md.authors == PDF_AUTHORS


def test_title_block_needs_a_byline() -> None:
    raw = "Neutrophils at the invasive margin\nin colorectal cancer\n\n" + BODY
    assert _md(raw, BODY).title is None


def test_nothing_stated_nothing_invented() -> None:
    assert _md(BODY) == Metadata()
    assert _md("", "") == Metadata()


# --- seeds ------------------------------------------------------------------------------------------


def _seed(seeds_dir: Path, name: str) -> str:
    return (seeds_dir / name).read_text(encoding="utf-8")


@pytest.mark.shared
def test_seed_000_nature(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "000_2e075370cdfdb477.txt")
    cleaned = (
        "Immuno-epigenetic escape of cancer stem cells\n\nThe net effect of type I interferon."
    )
    md = extract_metadata(raw, cleaned)
    assert md == Metadata(
        title="Immuno-epigenetic escape of cancer stem cells",
        authors=["Galluzzi, L.", "Kroemer, G."],
        journal="Nat Immunol",
        year=2022,
        doi=None,
    )
    # The same from the uncleaned page alone.
    assert extract_metadata(raw, raw) == md


@pytest.mark.shared
def test_seed_001_jci(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "001_462c940776106215.txt")
    cleaned = (
        "Interferons in cancer immunoediting: sculpting metastasis and immunotherapy response\n\n"
        "Interferons (IFNs) are pleiotropic cytokines."
    )
    md = extract_metadata(raw, cleaned)
    assert md == Metadata(
        title="Interferons in cancer immunoediting: sculpting metastasis and immunotherapy response",
        authors=["von Locquenghien, Michelle", "Rozalén, Catalina", "Celià-Terrassa, Toni"],
        journal="J Clin Invest",
        year=2021,
        doi="10.1172/jci143296",
    )
    assert extract_metadata(raw, raw) == md


@pytest.mark.shared
def test_seed_003_scientist(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "003_2fad74b5604542e7.txt")
    cleaned = "Cancers Relapse by Feeding Off Immune Signals\n\nIn mice, the tumor cells are able."
    md = extract_metadata(raw, cleaned)
    assert md.title == "Cancers Relapse by Feeding Off Immune Signals"
    assert md.year is None  # "April 1, 2025, Issue 1" belongs to another article
    assert md.doi is None
    assert md.authors == ["Williams, Shawna"]
    assert extract_metadata(raw, raw) == md


@pytest.mark.shared
def test_seed_004_pdf(seeds_dir: Path) -> None:
    from litdigest.clean.normalize import normalize_text
    from litdigest.clean.pdf_repair import repair_pdf_text

    raw = _seed(seeds_dir, "004_0463867cad2aa2a5.txt")
    cleaned, _ = repair_pdf_text(normalize_text(raw))
    assert extract_metadata(raw, cleaned) == Metadata()
    assert extract_metadata(raw, raw) == Metadata()


@pytest.mark.shared
def test_seed_002_ris_text(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "002_77d95767849ded9b.txt")
    md = extract_metadata(raw, raw)
    assert md.doi == "10.1038/nrd3626"
    assert md.title is None  # "TY - JOUR" is a field, not a title


@pytest.mark.shared
def test_cochrane_abstracts(shared_dir: Path) -> None:
    source = shared_dir / "corpus" / "cochrane" / "test.source"
    if not source.is_file():
        pytest.skip("no Cochrane corpus")
    for abstract in source.read_text(encoding="utf-8").splitlines():
        assert extract_metadata(abstract, abstract) == Metadata()
