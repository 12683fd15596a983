"""pdf_repair: detecting hard-wrapped PDF text, joining lines, repairing lost hyphenation."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litdigest.clean.normalize import normalize_text
from litdigest.clean.pdf_repair import RepairStats, looks_hard_wrapped, repair_pdf_text

# An invented editorial as a PDF text layer: ~55-character lines, trailing spaces, hyphens
# kept at some line ends and lost at others, a page break inside a sentence, a URL broken
# across lines, and a second column of different width. "~" marks a trailing space.
WRAPPED = """\
Regulatory T cells accumulate in most solid tumours,~
where they suppress the effector functions of CD8 T~
cells and natural killer cells. Their depletion has long~
been proposed as a way to restore enduring antitumour~
immunity, but systemic depletion of the whole regula
tory compartment often causes autoimmune toxicity.~

Recent work shows that intratumoural regulatory T cells~
express high levels of the chemokine receptor CCR8,~
which distinguishes them from their counterparts in~
the blood. Antibodies against CCR8 selectively elim
inate the intratumoural population and, encourag
ingly, leave peripheral tolerance intact. Such anti
bodies also synergize with checkpoint blockade, which~
suggests that combin
ing both approaches could improve responses in~
patients whose tumours are poorly infiltrated.~

How these depleting antibodies affect the immuno-
genicity of a tumour, and whether they pro
mote the expansion of tumour-
specific clones, is discussed by the authors of this~
Focus, who also note that the response to CCR8 blockade
differs between mouse strains and that different~

tumour types may require dif
ferent combinations.~
Further reading is available at http://www.example.org/
focus/tregs for all readers.
 Abstract | Regulatory T cells limit antitumour immunity, and their selective depletion within~
tumours is an attractive therapeutic strategy. This Focus discusses how the intratumoural~
immunogenicity of tumours can be restored.~
""".replace("~\n", " \n")


@pytest.fixture(scope="module")
def repaired() -> tuple[str, RepairStats]:
    return repair_pdf_text(normalize_text(WRAPPED))


def test_wrapped_example_detected() -> None:
    assert looks_hard_wrapped(normalize_text(WRAPPED))


def test_paragraphs(repaired: tuple[str, RepairStats]) -> None:
    text, _ = repaired
    paragraphs = text.split("\n\n")
    assert all(p and "\n" not in p for p in paragraphs)
    assert [p[:30] for p in paragraphs] == [
        "Regulatory T cells accumulate ",
        "Recent work shows that intratu",
        "How these depleting antibodies",
        "Further reading is available a",
        "Abstract | Regulatory T cells ",
    ]


@pytest.mark.parametrize(
    "phrase",
    [
        "restore enduring antitumour immunity",
        "the whole regulatory compartment",
        "selectively eliminate the intratumoural",
        "and, encouragingly, leave",
        "Such antibodies also synergize",
        "suggests that combining both approaches",
        "affect the immunogenicity of a tumour",
        "whether they promote the expansion of tumour-specific clones",
        "that different tumour types may require different combinations.",
        "at http://www.example.org/focus/tregs for all readers.",
        "their selective depletion within tumours is",
    ],
)
def test_words_rejoined(repaired: tuple[str, RepairStats], phrase: str) -> None:
    assert phrase in repaired[0]


def test_stats(repaired: tuple[str, RepairStats]) -> None:
    text, stats = repaired
    # regula|tory elim|inate encourag|ingly anti|bodies combin|ing immuno-|genicity
    # pro|mote dif|ferent
    assert stats.hyphenations_repaired == 8
    n_lines = sum(1 for line in WRAPPED.splitlines() if line.strip())
    assert stats.line_breaks_joined == n_lines - text.count("\n\n") - 1


@pytest.mark.parametrize(
    ("prev", "line", "expected"),
    [
        # hyphen lost at the line end: join
        ("to provide endur", "ing protection", "to provide enduring protection"),
        ("the immuno", "genicity of", "the immunogenicity of"),
        ("and, encourag", "ingly, some", "and, encouragingly, some"),
        ("regarding combin", "ing therapies", "regarding combining therapies"),
        ("how dif", "ferent immune", "how different immune"),
        ("instead pro", "mote the", "instead promote the"),
        ("boost the anti", "tumour activities", "boost the antitumour activities"),
        ("Treg cells infil", "trate tumours", "Treg cells infiltrate tumours"),
        ("with pembroli", "zumab and", "with pembrolizumab and"),
        # hyphen kept at the line end
        ("own tumour-", "specific T cells", "own tumour-specific T cells"),
        ("the immuno-", "genicity of", "the immunogenicity of"),
        ("this re-", "search shows", "this research shows"),
        ("post-", "operative care", "post-operative care"),
        ("the pro-", "inflammatory cytokines", "the pro-inflammatory cytokines"),
        ("IFN-", "gamma signalling", "IFN-gamma signalling"),
        ("IL-2-", "mediated expansion", "IL-2-mediated expansion"),
        ("a T-", "cell receptor", "a T-cell receptor"),
        ("low-", "to moderate doses", "low- to moderate doses"),
        ("the intention-", "to-treat population", "the intention-to-treat population"),
        # two words: a space
        ("reach the", "cell surface", "reach the cell surface"),
        ("we may", "be able", "we may be able"),
        ("the health", "care system", "the health care system"),
        ("a round", "of chemotherapy", "a round of chemotherapy"),
        ("in CD8", "T cells", "in CD8 T cells"),
        ("in vitro", "and in vivo", "in vitro and in vivo"),
        ("the tumour", "suppressive effects", "the tumour suppressive effects"),
        ("bacteria such as Cajanus", "cajan extracts", "bacteria such as Cajanus cajan extracts"),
        ("results -", "which were", "results - which were"),
        # URLs and DOIs
        ("at http://www.nature.com/", "reviews/focus/x thanks", "at http://www.nature.com/reviews/focus/x thanks"),
        ("doi:10.1038/", "nrc3245 and", "doi:10.1038/nrc3245 and"),
        ("see https://doi.org/10.1172/JCI143296.", "the results", "see https://doi.org/10.1172/JCI143296. the results"),
    ],
)  # fmt: skip
def test_line_end_joins(prev: str, line: str, expected: str) -> None:
    text, _ = repair_pdf_text(f"{prev}\n{line}")
    assert text == expected


def test_document_vocabulary_decides() -> None:
    # "tumoursphere" is unknown to wordfreq, but this document uses it: join.
    text = (
        "Stem-like cells grow as a tumoursphere in vitro, and each tumour\n"
        "sphere contains a few hundred cells with self-renewal capacity."
    )
    out, stats = repair_pdf_text(text)
    assert "each tumoursphere contains" in out
    assert stats.hyphenations_repaired == 1
    # ...and without that evidence the two words stay apart.
    out, _ = repair_pdf_text(
        "Stem-like cells grow in vitro, and each tumour\nsphere contains cells."
    )
    assert "each tumour sphere contains" in out


def test_document_compound_keeps_hyphen() -> None:
    text = "Tumour-infiltrating lymphocytes and the number of tumour-\ninfiltrating cells."
    assert "number of tumour-infiltrating cells" in repair_pdf_text(text)[0]
    text = "The antitumour response and the anti-\ntumour effect of the drug."
    assert "the antitumour effect" in repair_pdf_text(text)[0]


def test_split_inside_line_rejoined_when_document_has_the_word() -> None:
    text = "The immunogenicity of tumours varies. What determines the immuno genicity of a tumour?"
    out, stats = repair_pdf_text(text)
    assert out == (
        "The immunogenicity of tumours varies. What determines the immunogenicity of a tumour?"
    )
    assert stats.hyphenations_repaired == 1
    # Without the word elsewhere, the text is left alone.
    assert repair_pdf_text("What determines the immuno genicity?")[0] == (
        "What determines the immuno genicity?"
    )


def test_lost_hyphen_of_common_compounds_restored() -> None:
    out, _ = repair_pdf_text("the use of DCbased therapies and tumourspecific T cells")
    assert out == "the use of DC-based therapies and tumour-specific T cells"


def test_paragraph_breaks() -> None:
    text = (
        "Introduction\n"
        "Checkpoint inhibitors have changed the treatment of many\n"
        "solid tumours, but most patients still do not respond.\n"
        "Resistance mechanisms are therefore a central question\n"
        "for the field.\n"
        "Several groups have now described how tumours exclude\n"
        "T cells from their core.\n"
        "\n"
        "• first point of a list\n"
        "• second point of a list\n"
        "1. a numbered item\n"
    )
    out, _ = repair_pdf_text(text)
    assert out.split("\n\n") == [
        "Introduction",
        "Checkpoint inhibitors have changed the treatment of many solid tumours, but most "
        "patients still do not respond. Resistance mechanisms are therefore a central question "
        "for the field.",
        "Several groups have now described how tumours exclude T cells from their core.",
        "• first point of a list",
        "• second point of a list",
        "1. a numbered item",
    ]


def test_sentence_continues_across_page_break() -> None:
    text = (
        "The exciting progress in targeting checkpoints is discussed by Eric Vivier and  \n"
        "\n"
        "colleagues, who describe how natural killer cells recognize tumours.\n"
        "\n"
        "A new paragraph starts here with a capital letter and ends here.\n"
    )
    out, _ = repair_pdf_text(text)
    assert out.split("\n\n") == [
        "The exciting progress in targeting checkpoints is discussed by Eric Vivier and "
        "colleagues, who describe how natural killer cells recognize tumours.",
        "A new paragraph starts here with a capital letter and ends here.",
    ]


def test_without_dehyphenation() -> None:
    out, stats = repair_pdf_text(
        "to provide endur\ning protection from tumour-\nspecific T cells", dehyphenate=False
    )
    assert out == "to provide endur ing protection from tumour-specific T cells"
    assert stats.hyphenations_repaired == 0
    assert stats.line_breaks_joined == 2


def test_empty_and_blank() -> None:
    assert repair_pdf_text("") == ("", RepairStats())
    assert repair_pdf_text(" \n\n \n")[0] == ""
    assert not looks_hard_wrapped("")
    assert not looks_hard_wrapped("one line only")


def test_scraped_page_not_wrapped() -> None:
    page = "\n\n".join(
        [
            "Skip to main content",
            "Tumour-resident memory T cells control melanoma",
            "Tissue-resident memory T cells persist in the skin after an immune response and "
            "can keep melanoma cells in check for a long time, even without circulating "
            "effector cells, according to a new study in mice that followed tumour growth.",
            "Buy article",
            "Access options",
            "The authors found that depleting these cells allowed dormant tumour cells to grow "
            "again, which suggests that resident memory cells maintain an equilibrium state "
            "rather than eliminating the tumour completely, as had been assumed.",
            "Related articles",
            "Sign up for alerts",
        ]
    )
    assert not looks_hard_wrapped(page)
    menu = "Home\nNews\nJournals\nAbout us\nContact\nSubscribe\nLog in\nSearch"
    assert not looks_hard_wrapped(menu)


def test_hard_wrapped_prose_detected() -> None:
    prose = " ".join(["Regulatory T cells suppress antitumour immunity in many tumours."] * 12)
    assert looks_hard_wrapped(textwrap.fill(prose, 60))
    assert not looks_hard_wrapped(prose)


# --- page furniture ---------------------------------------------------------------------------

# An invented two-page review: a journal running head on page 1, a footer and a page number at
# the bottom of page 1, a form feed, then page 2's running head (page number + "et al. |")
# in the middle of a sentence.
TWO_PAGES = """\
Ann Rev Myeloid Biol 2023; 7: 101-108        PERSPECTIVE
Neutrophils at the invasive margin: friends of the
tumour or of the host?

Marta Oyelowo-Berg(1,2), Tomasz Quillan(2) and Leena Farrowdale(1)

(1) Institute of Myeloid Biology, Eastmoor University, Eastmoor,
UK (2) Department of Surgery, Harrowgate Infirmary, Harrowgate, UK

Abstract | Neutrophils are the most abundant immune cells in many
carcinomas, yet their role in tumour control is disputed. We review
how their state at the invasive margin shapes T-cell entry and how
this could guide the choice of combination therapy.

Margin biology. Neutrophils recruited to the invasive margin can
present antigen, release interferon-gamma and kill tumour cells
directly, or they can suppress T cells through arginase and reactive
oxygen species. In a cohort of 212 resected colorectal tumours, a
high density of antigen-presenting neutrophils at the margin was

Ann Rev Myeloid Biol | www.armb.example.org
                                                      101
\f102         Oyelowo-Berg et al. | Neutrophils at the margin

associated with longer disease-free survival, whereas suppressive
neutrophils in the tumour core predicted early relapse.

Therapeutic outlook. Blocking neutrophil recruitment broadly is
unlikely to help; reprogramming them at the margin may do better.

                                                      102
"""


def test_page_furniture_removed_and_paragraph_rejoined() -> None:
    out, _ = repair_pdf_text(normalize_text(TWO_PAGES))
    paragraphs = out.split("\n\n")
    assert paragraphs[0] == "Ann Rev Myeloid Biol 2023; 7: 101-108 PERSPECTIVE"
    assert paragraphs[1] == (
        "Neutrophils at the invasive margin: friends of the tumour or of the host?"
    )
    assert paragraphs[2].startswith("Marta Oyelowo-Berg(1,2)")
    assert paragraphs[3].startswith("(1) Institute of Myeloid Biology")
    assert paragraphs[4].startswith("Abstract | Neutrophils")
    assert paragraphs[5] == (
        "Margin biology. Neutrophils recruited to the invasive margin can present antigen, "
        "release interferon-gamma and kill tumour cells directly, or they can suppress T cells "
        "through arginase and reactive oxygen species. In a cohort of 212 resected colorectal "
        "tumours, a high density of antigen-presenting neutrophils at the margin was associated "
        "with longer disease-free survival, whereas suppressive neutrophils in the tumour core "
        "predicted early relapse."
    )
    assert paragraphs[6].startswith("Therapeutic outlook.")
    assert len(paragraphs) == 7
    for furniture in ("et al.", "www.armb", "101\n", "102", "\f"):
        assert furniture not in out, furniture


def test_form_feed_is_a_page_break() -> None:
    # normalize_text removes form feeds, so test repair_pdf_text on the raw text too.
    out, _ = repair_pdf_text(TWO_PAGES)
    assert "et al." not in out and "102" not in out and "\f" not in out
    assert "neutrophils at the margin was associated with longer" in out


@pytest.mark.parametrize(
    "page_number", ["77", "- 78 -", "– 78 –", "Page 3 of 10", "page 3", "3 / 10", "  78  "]
)
def test_page_number_lines(page_number: str) -> None:
    text = (
        "Dendritic cells that capture tumour antigen without a danger\n"
        "signal tend to induce tolerance, and the type I interferon\n"
        f"\n{page_number}\n\n"
        "produced after STING activation supplies that signal.\n"
    )
    out, _ = repair_pdf_text(text)
    assert out == (
        "Dendritic cells that capture tumour antigen without a danger signal tend to induce "
        "tolerance, and the type I interferon produced after STING activation supplies that "
        "signal."
    )


def test_recurring_running_heads_detected_by_recurrence() -> None:
    """Heads and footers without a telling shape go because they recur at every page break."""
    body = [
        ["Effector T cells that reach the tumour bed often lose their", "function within days."],
        ["Exhausted cells express PD-1, TIM-3 and LAG-3 and respond", "poorly to restimulation."],
        ["Progenitor cells that express TCF1 sustain the response to", "checkpoint blockade."],
    ]
    pages = []
    for n, (first, second) in enumerate(body, start=11):
        pages.append(
            f"Tumour Immunity Quarterly, volume {n // 10}\n\n"
            f"{first}\n{second}\n\n"
            f"Copyright Harlow Press {2020 + n}\n"
            f"{n}\n"
        )
    out, _ = repair_pdf_text("".join(pages))
    assert out.split("\n\n") == [
        "Effector T cells that reach the tumour bed often lose their function within days.",
        "Exhausted cells express PD-1, TIM-3 and LAG-3 and respond poorly to restimulation.",
        "Progenitor cells that express TCF1 sustain the response to checkpoint blockade.",
    ]


def test_single_line_at_a_page_break_is_kept_without_a_telling_shape() -> None:
    text = (
        "Most responders had high baseline CD8 density, as reported in\n"
        "the earlier cohort by Okafor et al.\n"
        "\n                         12\n"
        "Non-responders showed the opposite pattern in 2019\n"
    )
    out, _ = repair_pdf_text(text)
    assert out.split("\n\n") == [
        "Most responders had high baseline CD8 density, as reported in the earlier cohort by "
        "Okafor et al.",
        "Non-responders showed the opposite pattern in 2019",
    ]


def test_numbers_inside_running_text_are_kept() -> None:
    text = (
        "The median number of infiltrating cells per field was\n"
        "42\n"
        "in responders and far lower in non-responders to therapy.\n"
    )
    out, _ = repair_pdf_text(text)
    assert "was 42 in responders" in out


def test_top_journal_head_is_its_own_paragraph() -> None:
    text = (
        "Clin Immunol Rev 2022;14(3):55-61   ORIGINAL ARTICLE\n"
        "Resident memory T cells hold melanoma in check\n"
        "\n"
        "Tissue-resident memory T cells persist in the skin after an\n"
        "immune response and keep melanoma cells in check for months.\n"
    )
    out, _ = repair_pdf_text(text)
    assert out.split("\n\n")[:2] == [
        "Clin Immunol Rev 2022;14(3):55-61 ORIGINAL ARTICLE",
        "Resident memory T cells hold melanoma in check",
    ]


# --- properties -------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "the",
        "tumour",
        "cells",
        "immuno",
        "genicity",
        "anti",
        "endur",
        "ing",
        "T",
        "CD8",
        "IFN-γ",
        "PD-1",
        "tumour-",
        "specific",
        "Restifo",
        "and",
        "(NK)",
        "10.1038/",
        "http://x.org/",
        "a",
        "b",
        "é",
        "-",
        "–",
        "cells.",
        "Checkpoint",
        "dif",
        "ferent",
        "DCbased",
        "•",
        "1.",
    ]
)
_LINE = st.lists(_WORDS, max_size=12).map(" ".join)
_SEPARATOR = st.sampled_from(["\n", "\n", "\n", " \n", "\n\n", "\n \n\n"])


@st.composite
def _pdf_texts(draw: st.DrawFn) -> str:
    lines = draw(st.lists(_LINE, max_size=15))
    out = ""
    for line in lines:
        out += line + draw(_SEPARATOR)
    return out


def _visible(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


@settings(max_examples=300, deadline=None)
@given(_pdf_texts())
def test_repair_loses_only_spaces_and_line_end_hyphens(text: str) -> None:
    out, stats = repair_pdf_text(text)
    # Every visible character other than hyphens survives, in order.
    assert _visible(out) == _visible(text)
    # Hyphens are dropped only at line ends (and only when words are rejoined).
    inner_hyphens = sum(line.rstrip().rstrip("-").count("-") for line in text.split("\n"))
    assert out.count("-") >= inner_hyphens
    lost = text.count("-") - out.count("-")
    assert lost <= stats.hyphenations_repaired
    # One paragraph per line, one blank line between paragraphs.
    assert "\n\n\n" not in out
    assert all(p.strip() == p and p for p in out.split("\n\n")) or out == ""
    assert "\n" not in out.replace("\n\n", "")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab -\n.T\u00ad\u200bé", max_size=200))
def test_normalize_then_repair_loses_nothing_visible(text: str) -> None:
    out, _ = repair_pdf_text(normalize_text(text))
    assert _visible(out) == _visible(text.replace("\u00ad", "").replace("\u200b", ""))


@settings(max_examples=200, deadline=None)
@given(_pdf_texts())
def test_without_dehyphenation_keeps_every_non_space(text: str) -> None:
    out, stats = repair_pdf_text(text, dehyphenate=False)
    assert re.sub(r"\s", "", out) == re.sub(r"\s", "", text)
    assert stats.hyphenations_repaired == 0


# --- real data --------------------------------------------------------------------------------

SEED_PDF = "004_0463867cad2aa2a5.txt"


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "wrapped"),
    [
        ("000_2e075370cdfdb477.txt", False),
        ("001_462c940776106215.txt", False),
        ("002_77d95767849ded9b.txt", False),
        ("003_2fad74b5604542e7.txt", False),
        (SEED_PDF, True),
    ],
)
def test_seeds_hard_wrapped(seeds_dir: Path, name: str, wrapped: bool) -> None:
    text = normalize_text((seeds_dir / name).read_text(encoding="utf-8"))
    assert looks_hard_wrapped(text) is wrapped


@pytest.mark.shared
def test_pdf_seed_repaired(seeds_dir: Path) -> None:
    raw = normalize_text((seeds_dir / SEED_PDF).read_text(encoding="utf-8"))
    text, stats = repair_pdf_text(raw)
    for phrase in (
        "to provide enduring protection from cancer",
        "often the immunogenicity of a tumour is variable",
        "and, encouragingly, some of these",
        "regarding combining immunotherapies",
        "how different immune cell populations",
        "boost the antitumour activities of NK cells",
        "instead promote the development of immunosuppressive",
        "have inadvertently been using immunotherapy for some time",
        "Eric Vivier and colleagues describe",
        "what determines the immunogenicity of a tumour?",
        "http://www.nature.com/reviews/focus/tumourimmunology thanks",
        "a patient’s own tumour-specific T cells",
        "use of DC-based therapies",
        "the beneficial tumour suppressive effects",
    ):
        assert phrase in text, phrase
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 7
    assert all("\n" not in p for p in paragraphs)
    assert paragraphs[0].startswith("Since the use of Coley’s toxins")
    assert paragraphs[-1].startswith("Abstract | The immune system can promote the elimination")
    assert paragraphs[-1].endswith("harnessed by anticancer immunotherapies.")
    for fragment in ("endur ", "immuno ", "encourag ", "combin ", " dif ", " pro ", "anti tumour"):
        assert fragment not in text, fragment
    assert stats.hyphenations_repaired >= 9
    assert stats.line_breaks_joined >= 60


@pytest.mark.shared
def test_cochrane_abstracts(shared_dir: Path) -> None:
    """One-line abstracts are not wrapped; wrapped at 70 columns they come back unchanged."""
    source = shared_dir / "corpus" / "cochrane" / "test.source"
    if not source.is_file():
        pytest.skip("no Cochrane corpus")
    abstracts = [
        " ".join(normalize_text(a).split()) for a in source.read_text("utf-8").splitlines()
    ]
    assert not any(looks_hard_wrapped(a) for a in abstracts)
    exact = 0
    for abstract in abstracts:
        wrapped = textwrap.fill(abstract, 70)
        assert looks_hard_wrapped(wrapped)
        out, _ = repair_pdf_text(wrapped)
        assert _visible(out) == _visible(abstract)
        exact += out == abstract
    # The rest differ only where the corpus itself is odd ("health- related", "non dressings").
    assert exact >= 0.98 * len(abstracts)
