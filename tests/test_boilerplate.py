"""Boilerplate stripping: invented publisher pages (tests/fixtures/pages) and the shared seeds."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from litdigest.clean import clean_text
from litdigest.clean.boilerplate import strip_boilerplate
from litdigest.documents import CleanMode

PAGES = Path(__file__).parent / "fixtures" / "pages"
PAGE_NAMES = sorted(p.stem for p in PAGES.glob("*.txt"))


def _lines(text: str) -> set[str]:
    return set(text.split("\n"))


def test_there_are_enough_invented_pages() -> None:
    assert len(PAGE_NAMES) >= 6


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_invented_page(name: str) -> None:
    page = (PAGES / f"{name}.txt").read_text(encoding="utf-8")
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    out, stats = strip_boilerplate(page)
    lines = _lines(out)
    assert out.split("\n")[0] == expected["title"]
    missing = [k for k in expected["keep"] if k not in lines]
    leaked = [d for d in expected["drop"] if d in lines]
    assert not missing, missing
    assert not leaked, leaked
    assert stats.lines_kept + stats.lines_dropped == sum(1 for x in page.splitlines() if x.strip())
    assert "\n\n\n" not in out


def test_lines_are_verbatim_up_to_spacing() -> None:
    page = (PAGES / "journal_cookies.txt").read_text(encoding="utf-8")
    out, _ = strip_boilerplate(page)
    source_lines = {" ".join(line.split()) for line in page.splitlines()}
    for line in out.split("\n"):
        if line:
            assert line in source_lines


def test_references_kept_when_asked() -> None:
    page = (PAGES / "journal_cookies.txt").read_text(encoding="utf-8")
    entry = "1. Raman, P. & Lee, J. Macrophage plasticity in cancer. Nat. Rev. Immunol. 21, 101–115 (2021)."
    assert entry not in _lines(strip_boilerplate(page)[0])
    # Without reference dropping the entry is no longer classified as boilerplate by itself.
    body = "\n\n".join([_PARAGRAPH] * 3 + [entry] + [_PARAGRAPH.replace("cells", "tumours")] * 2)
    assert entry in _lines(strip_boilerplate(body, drop_references=False)[0])
    assert entry not in _lines(strip_boilerplate(body, drop_references=True)[0])


_PARAGRAPH = (
    "Regulatory T cells accumulate in many tumours, where they suppress effector responses "
    "through interleukin-10, CTLA-4 and the consumption of interleukin-2 by their high-affinity receptor."
)


def test_repeated_blocks_are_dropped_and_counted() -> None:
    chrome = "Find articles by Smith, J. in: PubMed | Google Scholar"
    text = "\n\n".join(["A title about regulatory T cells", chrome, _PARAGRAPH, chrome, chrome])
    out, stats = strip_boilerplate(text)
    assert chrome not in out
    assert _PARAGRAPH in out
    assert stats.duplicates_dropped >= 2


def test_empty_and_chrome_only() -> None:
    assert strip_boilerplate("")[0] == ""
    out, _ = strip_boilerplate("Home\nMenu\nShare\nTweet\n0:00\n2:00\nSubscribe")
    assert out == ""


def test_hard_wrapped_paragraph_is_one_unit() -> None:
    text = (
        "Tumour cells evade an immune response in several ways and, encourag\n"
        "ingly, some of these have been successfully targeted to result in\n"
        "durable antitumour immune responses in patients with melanoma.\n"
    )
    out, _ = strip_boilerplate(text)
    assert out == text.strip()


def test_throughput_on_abstract_sized_texts() -> None:
    page = (PAGES / "news_share_comments.txt").read_text(encoding="utf-8")
    docs = [page.replace("six", str(i)) for i in range(300)]
    strip_boilerplate(docs[0])
    start = time.perf_counter()
    for doc in docs:
        strip_boilerplate(doc)
    rate = len(docs) / (time.perf_counter() - start)
    # A guard against pathological slowdowns, not a benchmark (see bench/): ~1,000/s measured.
    assert rate >= 100, f"{rate:.0f} docs/s"


_PROSE = [
    "Regulatory T cells accumulate in many tumours, where they suppress effector responses "
    "through interleukin-10 and the consumption of interleukin-2 by their receptor.",
    "Depleting them in mice restored the killing of tumour cells by cytotoxic lymphocytes, and "
    "the effect was strongest when the depletion was combined with checkpoint blockade.",
    "The authors caution that the same cells protect healthy tissue from autoimmune attack, so "
    "the timing and the site of any depletion in patients will need careful study.",
    "A second cohort of animals, treated later in the course of disease, showed a smaller but "
    "still clear benefit, which suggests that the window for intervention is fairly wide.",
    "Earlier work had pointed in the same direction: in biopsies from patients with melanoma, a "
    "high ratio of regulatory to effector cells predicted a poor response to treatment.",
    "Whether the findings hold in human tumours is the next question, and the group is now "
    "measuring the same cells in samples collected before and after immunotherapy.",
]
_TEASERS = [
    "Most read",
    "Giant squid filmed in the Gulf of Mexico",
    "Why your cat ignores you when you call its name",
    "The best budget headphones of the year",
]


def test_teaser_box_inside_the_article_is_dropped_and_both_parts_kept() -> None:
    page = "\n\n".join(
        ["Regulatory T cells shield tumours", *_PROSE[:3], *_TEASERS, *_PROSE[3:], *_TEASERS[1:]]
    )
    out, _ = strip_boilerplate(page)
    assert out.split("\n")[0] == "Regulatory T cells shield tumours"
    for paragraph in _PROSE:
        assert paragraph in out
    for teaser in _TEASERS:
        assert teaser not in out


def test_repeated_article_copy_is_dropped() -> None:
    page = "\n\n".join(["Regulatory T cells shield tumours", *_PROSE, " ".join(_PROSE)])
    out, stats = strip_boilerplate(page)
    assert " ".join(_PROSE) not in out
    assert all(paragraph in out for paragraph in _PROSE)
    assert stats.duplicates_dropped >= 1


def test_glued_stock_photo_credit_is_removed() -> None:
    glued = "tumour cells under the microscopeGETTY IMAGES; JANE DOE" + _PROSE[0]
    page = "\n\n".join(["Regulatory T cells shield tumours", glued, *_PROSE[1:]])
    out, _ = strip_boilerplate(page)
    assert out.split("\n\n")[1] == _PROSE[0]


def test_author_line_with_affiliation_marks_is_not_the_title() -> None:
    authors = "Hendrika Vasquez-Oyelaran(1), Pavel Strathmore(2) and Ines Kwarteng-Bly(1)"
    page = "\n\n".join(["Regulatory T cells shield tumours from attack", authors, *_PROSE])
    out, _ = strip_boilerplate(page)
    assert out.split("\n")[0] == "Regulatory T cells shield tumours from attack"
    assert authors not in out


def test_extracted_text_keeps_prose_that_mentions_boilerplate_words() -> None:
    prose = (
        "Advertisers have many online platforms to reach customers, and most remaining newspaper "
        "readers are in the aging demographic that digital advertisers do not much care for."
    )
    text = "\n\n".join(
        ["Local news in decline", prose, *_PROSE[:2], "Share this article", "Advertisement"]
    )
    out, _ = clean_text(text, CleanMode.EXTRACTED)
    assert prose in out
    assert "Share this article" not in out
    assert "Advertisement" not in out


# --- the shared seeds (../shared/seeds), skipped when absent -------------------------------------


def _seed(seeds_dir: Path, prefix: str) -> str:
    (path,) = seeds_dir.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s) > 20]


SEED_000_DROP = [
    "Skip to main content",
    "Thank you for visiting",
    "This is a preview of subscription content",
    "Relevant articles",
    "Open Access articles citing this article.",
    "Access options",
    "Buy article",
    "Get time limited or full article access on ReadCube.",
    "All prices are NET prices.",
    "McNab, F., Mayer-Barber",
    "Google Scholar",
    "Download references",
    "Author information",
    "Correspondence to Lorenzo Galluzzi",
    "Competing interests",
    "L.G. declares having held research contracts",
    "Rights and permissions",
    "Reprints and Permissions",
    "Verify currency and authenticity via CrossMark",
    "Cite this article",
    "Galluzzi, L., Kroemer, G. Immuno-epigenetic escape",
    "Download citation",
    "Quick links",
    "Nature Briefing: Cancer",
    "Sign up for the Nature Briefing",
]


def test_seed_000_nature_paywalled(seeds_dir: Path) -> None:
    out, _ = strip_boilerplate(_seed(seeds_dir, "000"))
    lines = out.split("\n")
    assert lines[0] == "Immuno-epigenetic escape of cancer stem cells"
    assert lines.count("Immuno-epigenetic escape of cancer stem cells") == 1
    assert "The net effect of type I interferon (IFN-I) signaling on tumor control" in out
    assert (
        "Fig. 1: Suboptimal ICD induction coupled to CSC expansion by IFN-I-driven KDM1B activation."
        in lines
    )
    for junk in SEED_000_DROP:
        assert junk not in out, junk


def test_seed_001_jci_affiliations_and_purchase_menu(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "001")
    out, stats = strip_boilerplate(raw)
    lines = out.split("\n")
    assert (
        lines[0]
        == "Interferons in cancer immunoediting: sculpting metastasis and immunotherapy response"
    )
    abstract = next(line for line in raw.splitlines() if line.startswith("Interferons (IFNs) are"))
    assert abstract in lines
    for junk in [
        "Michelle von Locquenghien, Catalina Rozalén",
        "Cancer Research Program, IMIM",
        "Address correspondence to",
        "Find articles by",
        "Published January 4, 2021",
        "J Clin Invest. 2021",
        "© 2021 American Society",
        "View PDF",
        "Preview pages",
        "Continue reading with a subscription.",
        "A subscription is required",
        "Already subscribed?",
        "Click here to sign into your account.",
        "Don't have a subscription?",
        "librarian or administrator",
        "troubleshooting tips",
        "Purchase",
        "$10",
        "$95",
        "Order Online",
        "JCI This Month",
        "Advertisement",
        "10.1172/JCI143296",
    ]:
        assert junk not in out, junk
    assert stats.duplicates_dropped >= 2


def test_seed_003_the_scientist_widgets_bio_promos(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "003")
    out, _ = strip_boilerplate(raw)
    lines = out.split("\n")
    assert lines[0] == "Cancers Relapse by Feeding Off Immune Signals"
    # The image caption and its stock-photo credit, glued to the first paragraph, are removed.
    credit = "cancer cell and immune cellsISTOCK; SELVANEGRA"
    assert credit in raw and credit not in out
    assert any(line.startswith("After a seemingly successful cancer treatment") for line in lines)
    body = "\n".join(raw.splitlines()[2:3] + raw.splitlines()[12:19]).replace(credit, "")
    for sentence in _sentences(body):
        assert sentence in " ".join(out.split()), sentence
    for junk in [
        "| 2 min read",
        "Register for free to listen to this article",
        "Listen with Speechify",
        "0:00",
        "2:00",
        "Share",
        "Interested in reading more?",
        "Become a Member of",
        "Receive full access to more than 35 years of archives",
        "Already a member? Login Here",
        "Keywords",
        "Meet the Author",
        "Shawna was an editor at The Scientist",
        "Bunsen Burners and Bad Hair Days",
        "Lab safety rules dictate",
        "View this Issue",
        "sartorius logo",
        "Taking the Guesswork Out of Quality Control Standards",
        "PFAS: The Forever Chemicals",
        "Unlocking the Unattainable in Gene Construction",
        "Thermo Fisher Logo",
        "Singleron Biotechnologies",
        "Zymo Research Launches",
        "Cytosurge Appoints",
    ]:
        assert junk not in out, junk


def _join_wrapped(text: str) -> str:
    """A minimal stand-in for PDF repair: join the lines of each blank-line block."""
    return "\n\n".join(" ".join(b.split()) for b in re.split(r"\n\s*\n", text) if b.strip())


@pytest.mark.parametrize("repaired", [False, True])
def test_seed_004_pdf_editorial_keeps_all_content(seeds_dir: Path, repaired: bool) -> None:
    raw = _seed(seeds_dir, "004")
    text = _join_wrapped(raw) if repaired else raw
    out, _ = strip_boilerplate(text)
    flat = " ".join(out.split())
    promo = "All of the Focus articles can be accessed"
    content = " ".join(raw.split())
    content = content.replace(content[content.index(promo) : content.index(" Abstract |")], "")
    for sentence in _sentences(content):
        assert sentence in flat, sentence
    assert "Abstract | The immune system can promote the elimination of tumours" in flat


def test_seed_004_through_pdf_mode(seeds_dir: Path) -> None:
    out, _ = clean_text(_seed(seeds_dir, "004"), CleanMode.PDF)
    words = " ".join(re.findall(r"\w+", out))
    for anchor in [
        "Coley",
        "Abstract",
        "anticancer immunotherapies",
        "Jérôme Galon and colleagues",
    ]:
        assert anchor in words, anchor
