"""The extractive backend: offline, deterministic, grounded, fast."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from litdigest.config import Settings
from litdigest.documents import Document
from litdigest.prepare import iter_documents
from litdigest.summarize.backends.extractive_kinds import document_kind, evidence_kind_of
from litdigest.summarize.backends.extractive_statements import statement
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend as ExtractiveBackend
from litdigest.summarize.backends.extractive_v3 import sentence_roles
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import SECTIONS, DocumentSummary, EvidenceKind, Section
from tests.extractive_support import (
    EXPECTED,
    KINDS,
    REVIEW,
    check_inline_labels,
    check_seed_claims,
    cochrane_documents,
    field_of,
    long_review,
    make_doc,
    seed_documents,
    summarize_timed,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def backend() -> ExtractiveBackend:
    return ExtractiveBackend()


def uncapped() -> ExtractiveBackend:
    """The backend without the word budget (on by default), for tests of roles and labels."""
    return ExtractiveBackend(quote_share=1.0, tiny_quote_share=1.0)


def test_extractive_is_v3_and_v2_stays_available() -> None:
    from litdigest.summarize.backends import get_backend

    v3 = get_backend("extractive-v3", Settings())
    assert isinstance(v3, ExtractiveBackend)
    assert isinstance(get_backend("extractive", Settings()), ExtractiveBackend)  # the default
    assert get_backend("extractive-v2", Settings()).model == "extractive-v2"
    summary = v3.summarize_sync(make_doc(REVIEW))
    assert (summary.backend, summary.prompt_version) == ("extractive", "extractive-v3")
    assert verify_summary(summary, REVIEW) == []


@pytest.fixture
def review(backend: ExtractiveBackend) -> DocumentSummary:
    return backend.summarize_sync(make_doc(REVIEW))


# --- the invented review --------------------------------------------------------------------


def test_names() -> None:
    backend = ExtractiveBackend()
    assert (backend.name, backend.model, backend.prompt_version) == (
        "extractive",  # the family; the version is the model and prompt version
        "extractive-v3",
        "extractive-v3",
    )


ROLE_FIELD: dict[str, Section] = {
    "mechanism": "mechanism",
    "evidence": "evidence",
    "implication": "therapeutic_implication",
}


def test_quoted_sentences_land_in_their_field(review: DocumentSummary) -> None:
    # Under the budget not every sentence is quoted; those that are sit in their own field.
    for prefix, section in EXPECTED.items():
        assert field_of(review, prefix) in (None, section), prefix


def test_classifier_roles_on_the_invented_review() -> None:
    roles = {REVIEW[a:b]: role for a, b, role, _ in sentence_roles(REVIEW)}
    right = sum(
        ROLE_FIELD.get(role) == EXPECTED[prefix]
        for text, role in roles.items()
        for prefix in EXPECTED
        if text.startswith(prefix)
    )
    assert right >= 6, roles


@pytest.mark.parametrize("prefix", sorted(KINDS))
def test_evidence_kind_from_cues(prefix: str) -> None:
    sentence = next(t for t in REVIEW.splitlines() for t in t.split(". ") if t.startswith(prefix))
    assert evidence_kind_of(sentence, "Clinical evidence", document_kind(REVIEW)) is KINDS[prefix]


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # lab words measured in people are no in-vitro study
        ("Tumour-reactive T cells were detected in 58% of vaccinated patients.", "clinical_trial"),
        ("Antigen-specific T cells were found in 40% of patients.", "patient_cohort"),
        ("T cells from patients were expanded in vitro.", "in_vitro"),
        # adoptive transfer: grown in vitro, given to patients (issue 13's example)
        ("In vitro expansion and reinfusion of a patient’s own T cells induced remissions.",
         "clinical_trial"),
        ("Adoptive T-cell therapy with cells grown in vitro helped some patients.",
         "clinical_trial"),
        # toxicity grades are not the GRADE rating of a systematic review
        ("Cytokine release syndrome occurred in 49% of patients, mostly grade 1-2.",
         "patient_cohort"),
        ("Evidence was rated with GRADE; pooled results were heterogeneous.", "meta_analysis"),
    ],
)  # fmt: skip
def test_evidence_kind_clashes(sentence: str, kind: str) -> None:
    assert evidence_kind_of(sentence, None, None).value == kind


def test_evidence_kind_of_chosen_evidence(review: DocumentSummary) -> None:
    for claim in review.evidence:
        prefix = next(p for p in KINDS if claim.quotes[0].text.startswith(p))
        assert claim.evidence_kind is KINDS[prefix]


def test_statements_are_trimmed_sentences(review: DocumentSummary) -> None:
    assert statement("Therefore, STING agonists should be tested in patients.").startswith(
        "STING agonists should be tested"
    )
    # "cGAS" keeps its case: only an all-lower-case first word is capitalised.
    assert statement("Mechanistically, cGAS-derived cGAMP binds STING and TBK1.").startswith(
        "cGAS-derived cGAMP binds STING"
    )
    for _, _, claim in review.iter_claims():
        # Under the default word budget a quote may be a clause: its statement ends with a
        # period the quote lacks.
        said = claim.statement[1:]
        assert said in " ".join(claim.quotes[0].text.split()) + "."


def test_a_figure_at_the_end_is_evidence_and_advice_is_implication() -> None:
    # The conclusion bonus lifts a document's last quarter towards implication; a result
    # reported with its figure and no advice stays evidence wherever it stands.
    text = (
        "Tumour cells secrete CXCL5, which recruits suppressive myeloid cells through CXCR2. "
        "These myeloid cells deplete arginine and so stop T-cell receptor signalling. "
        "Blocking CXCR2 removed 78% of the myeloid cells from pancreatic tumours in mice. "
        "With anti-PD-1, the combination extended median survival to 89 days in mice."
    )
    summary = uncapped().summarize_sync(make_doc(text))
    assert field_of(summary, "With anti-PD-1, the combination") == "evidence"
    advice = text + " Combining CXCR2 blockade with anti-PD-1 should be tested in patients."
    summary = uncapped().summarize_sync(make_doc(advice))
    assert field_of(summary, "Combining CXCR2 blockade") == "therapeutic_implication"


def test_claims_best_first() -> None:
    # A field lists its claims best first (the reader, and the eval's budget, see the first
    # ones): the mechanism sentence with the most cues leads, wherever it stands.
    summary = ExtractiveBackend().summarize_sync(make_doc(REVIEW))
    first = summary.mechanism[0].quotes[0].text
    assert first.startswith(("Mechanistically", "The STING pathway")), first


# --- determinism, settings, limits ----------------------------------------------------------


def quoted_words(summary: DocumentSummary) -> int:
    return sum(len(q.text.split()) for _, _, c in summary.iter_claims() for q in c.quotes)


def test_word_budget_short_document() -> None:
    # The cap (25% of the words, 45% under 300 words) holds when asked for.
    review = ExtractiveBackend(quote_share=0.25, tiny_quote_share=0.45).summarize_sync(
        make_doc(REVIEW)
    )
    words = len(REVIEW.split())
    assert words < 300
    assert quoted_words(review) <= 0.45 * words
    for section in SECTIONS:
        assert len(review.section(section)) <= 3  # under 1,500 words


def test_word_budget_long_document() -> None:
    text = long_review(8)
    words = len(text.split())
    assert words > 1500
    summary = ExtractiveBackend(quote_share=0.25).summarize_sync(make_doc(text))
    assert quoted_words(summary) <= 0.25 * words
    assert max(len(summary.section(s)) for s in SECTIONS) <= 5
    assert verify_summary(summary, text) == []


# --- degenerate input -----------------------------------------------------------------------


def test_one_sentence_document() -> None:
    text = "PD-1 blockade restores the function of exhausted CD8 T cells through TCF1 signalling."
    backend = ExtractiveBackend(tiny_quote_share=0.45)
    summary = backend.summarize_sync(make_doc(text))
    assert verify_summary(summary, text) == []
    # Quoting the whole text would break the 45% budget: no claim, but the TL;DR says it.
    assert not list(summary.iter_claims())
    assert summary.tldr == text
    assert len(summary.warnings) == 3


def test_inline_section_labels() -> None:
    text = (
        "Objectives: To assess whether vaccination prevents infections in adults. "
        "Search methods: We searched MEDLINE, Embase and CENTRAL up to May 2020 for trials. "
        "Main results: We included 12 trials with 2,310 participants in the analysis. Across "
        "the 12 trials, the vaccine reduced infections (RR 0.62, 95% CI 0.50 to 0.77). Adverse "
        "events were rare and mild in both groups of participants. Authors' conclusions: The "
        "vaccine may reduce infections in adults, and further well-designed trials are needed "
        "in children."
    )
    # The labels, not the budget, are under test: let every sentence be quotable.
    summary = uncapped().summarize_sync(make_doc(text))
    assert verify_summary(summary, text) == []
    for _, _, claim in summary.iter_claims():  # objectives and search methods are no claims
        assert not claim.quotes[0].text.startswith(("To assess", "We searched"))
    check_inline_labels(summary, "Across the 12 trials")


# --- shared corpora -------------------------------------------------------------------------


@pytest.mark.shared
def test_seeds(seeds_dir: Path) -> None:
    backend = ExtractiveBackend()
    docs = seed_documents(seeds_dir)
    assert len(docs) == 5
    with_claims = 0
    for doc in docs:
        summary = backend.summarize_sync(doc)
        filled = check_seed_claims(doc, summary)
        # An empty field carries a warning instead of a sentence of another role.
        assert len(summary.warnings) == 3 - len(filled), doc.source
        with_claims += bool(filled)
    # Seed 002 is a four-sentence abstract (background, two hedged claims, "Here, we
    # discuss"): the classifier is unsure of both claims, so it has none.
    assert with_claims >= 4


@pytest.mark.shared
def test_cochrane_abstracts(shared_dir: Path) -> None:
    docs = cochrane_documents(shared_dir)
    summaries, rate = summarize_timed(ExtractiveBackend().summarize_sync, docs)
    # A guard against pathological slowdowns, not a benchmark (`make bench` measures speed
    # beside sumy LexRank): ~250 docs/s of CPU time measured on a loaded 2-core machine.
    assert rate >= 50, f"{rate:.0f} docs/s"
    # Results with figures → evidence. Authors' conclusions that only restate an effect are
    # evidence too (training/LABELLING.md, rule 4); recommendations → implication, which
    # about 60% of these abstracts make.
    assert sum(bool(s.evidence) for s in summaries) >= 0.95 * len(docs)
    assert sum(bool(s.therapeutic_implication) for s in summaries) >= 0.5 * len(docs)


def _cue_scores_reference(sentence: str, lower: str, words: set[str]) -> list[float]:
    """``cue_scores`` as one plain pass over every word and phrase cue (no index)."""
    from litdigest.summarize.backends import extractive_cues as cues

    seen = {hit for word in words for hit in cues._word_cues(word)}
    totals = [0.0] * len(cues.CUE_ROLES)
    for ri, group in seen:
        totals[ri] += cues._LEXICONS[ri].weights[group]
    for ri, lexicon in enumerate(cues._LEXICONS):
        for phrase in lexicon.phrases:
            if phrase.pattern.search(lower if phrase.on_lower else sentence):
                totals[ri] += phrase.weight
    return totals


def test_speedups_change_no_score() -> None:
    """The gated/indexed/cached paths give what the plain computations give, on the sentences
    of the bundled examples and of the invented review."""
    from litdigest.summarize.backends.extractive_common import STOPWORDS, stem, terms
    from litdigest.summarize.backends.extractive_cues import (
        CLAIM_CUE_ROLES,
        CUE_TOKEN_RE,
        cue_scores,
    )
    from litdigest.summarize.backends.extractive_kinds import _review_kind

    texts = [REVIEW] + [
        d.text
        for d in iter_documents(sorted((ROOT / "examples").iterdir()), Settings())
        if isinstance(d, Document)
    ]
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?])\s+|\n+", t) if s.strip()]
    assert len(sentences) > 100
    meta = EvidenceKind.META_ANALYSIS
    for sentence in sentences:
        lower = sentence.lower()
        words = set(CUE_TOKEN_RE.findall(lower))
        reference = _cue_scores_reference(sentence, lower, words)
        assert cue_scores(sentence, lower, words) == reference
        assert cue_scores(sentence, lower, words, CLAIM_CUE_ROLES) == reference[:CLAIM_CUE_ROLES]
        tokens = CUE_TOKEN_RE.findall(lower)
        assert terms(tokens) == Counter(
            stem(t) for t in tokens if t not in STOPWORDS and not t[0].isdigit() and len(t) > 1
        )
        assert evidence_kind_of(sentence, None, meta) is _review_kind(sentence)


# --- capitalised labels, resource papers, empty fields ----------------------------------------

TOOL_ABSTRACT = """\
CellAtlasKit: a Python package for labelling immune cell states.

SUMMARY: We present CellAtlasKit, an open-source Python library that assigns immune cell states to single-cell expression profiles. Profiles were normalised to ten thousand counts per cell and clustered with the Leiden algorithm at a resolution of one. CellAtlasKit can be used to label two million cells on a laptop in under ten minutes. In a benchmark of six annotated tumour atlases, the package agreed with expert labels for 91% of cells. The library reads the common single-cell file formats and is freely available for Linux, Windows and macOS.
"""


def test_capitalised_labels_are_cut_and_set_the_section() -> None:
    text = (
        "BACKGROUND: Tumours that lose MHC class I hide from cytotoxic T cells in most patients. "
        "METHODS: We enrolled 120 patients and measured tumour MHC class I by immunostaining. "
        "RESULTS: Loss of MHC class I was associated with shorter survival (HR 1.8, 95% CI 1.2 "
        "to 2.7). CONCLUSIONS: Therapies that do not depend on MHC class I could benefit these "
        "patients and should be tested in trials."
    )
    # The labels are under test, not the word budget (54 words: 45% leaves room for one claim).
    summary = uncapped().summarize_sync(make_doc(text))
    assert verify_summary(summary, text) == []
    for _, _, claim in summary.iter_claims():
        assert not claim.quotes[0].text.startswith(("BACKGROUND", "RESULTS", "CONCLUSIONS"))
    assert field_of(summary, "Loss of MHC class I") == "evidence"
    assert field_of(summary, "Therapies that do not depend") == "therapeutic_implication"


def test_resource_paper_workings_mechanism_validation_evidence_use_implication() -> None:
    from litdigest.summarize.backends.extractive_genre import resource_names, resource_role

    assert resource_names(REVIEW) is None  # a review of findings is no resource paper
    assert resource_names(TOOL_ABSTRACT) == ("CellAtlasKit",)
    # The roles are under test, not the word budget (on by default): no cap, every role shows.
    summary = uncapped().summarize_sync(make_doc(TOOL_ABSTRACT))
    assert verify_summary(summary, TOOL_ABSTRACT) == []
    # What the resource is and does is how it works; how it was tested is the evidence.
    assert field_of(summary, "We present CellAtlasKit") == "mechanism"
    assert field_of(summary, "In a benchmark of six") == "evidence"
    contribution = "We have implemented a Python library that labels immune cell states."
    assert resource_role(contribution, ("CellAtlasKit",)) == "mechanism"
    assert resource_role("The parser handles disordered atoms.", ("X",)) == "mechanism"
    assert resource_role("The tool was 12-fold faster than Y.", ("X",)) == "evidence"
    assert field_of(summary, "The library reads") == "therapeutic_implication"
    # Methods detail never becomes a claim, in a resource paper either.
    assert field_of(summary, "Profiles were normalised") is None
    assert resource_role("Profiles were normalised and clustered.", ("CellAtlasKit",)) is None


def test_an_empty_field_takes_a_claim_another_field_can_spare() -> None:
    from litdigest.summarize.backends.extractive_v3 import _fill_empty, _Sentence

    def sentence(index: int, fields: list[float]) -> _Sentence:
        return _Sentence(0, 0, index, index, 0, False, 0, 0, None, "", "", set(), 10,
                         importance=0.2, fields=fields)  # fmt: skip

    both = sentence(0, [1.8, 0.1, 0.6])  # a mechanism that also fits implication
    other = sentence(1, [0.6, 0.4, 0.0])
    lone = sentence(2, [0.1, 1.0, 0.5])
    chosen = {"mechanism": [both, other], "evidence": [lone], "therapeutic_implication": []}
    _fill_empty(chosen)  # type: ignore[arg-type]
    assert chosen == {"mechanism": [other], "evidence": [lone], "therapeutic_implication": [both]}
    weak = sentence(3, [1.8, 0.1, 0.3])  # under FILL_RATIO of its own score: stays
    chosen = {"mechanism": [weak, other], "evidence": [lone], "therapeutic_implication": []}
    _fill_empty(chosen)  # type: ignore[arg-type]
    assert chosen["therapeutic_implication"] == []


NEWS_PAGE = """\
Leftover tumour cells hide from immunity after surgery, mouse study finds

Researchers report that melanoma cells left behind after surgery switch off antigen presentation and so escape T cells in mice. Treating the mice with checkpoint antibodies after surgery stopped the tumours from coming back in most animals. “It is now clear that the immune system decides whether a cancer returns,” said one of the study's authors. "We were surprised by how quickly the cells went quiet," the lead author added. Blocking the escape signal could be combined with surgery to prevent relapse in patients.
"""


def test_press_quotes_never_become_claims() -> None:
    """Direct speech in a news page is someone's comment, not a claim of the document."""
    from litdigest.summarize.backends.extractive_v3 import _PRESS_QUOTE_RE

    summary = ExtractiveBackend().summarize_sync(make_doc(NEWS_PAGE))
    assert verify_summary(summary, NEWS_PAGE) == []
    quotes = [c.quotes[0].text for _, _, c in summary.iter_claims()]
    assert quotes and not any(q.lstrip().startswith(("“", '"')) for q in quotes)
    assert not any("said one of" in q or "author added" in q for q in quotes)
    assert field_of(summary, "Treating the mice") is not None
    # An apostrophe or a quoted term inside a sentence is no press quote.
    assert _PRESS_QUOTE_RE.search("The patients’ tumours were noted to shrink.") is None
    assert _PRESS_QUOTE_RE.search("So-called “cold” tumours lack T cells.") is None


def test_budget_settings_reach_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """LITDIGEST_SUMMARIZE__QUOTE_SHARE etc. configure the default extractive backend."""
    from litdigest.summarize.backends import get_backend

    doc = make_doc(REVIEW)
    words = len(REVIEW.split())

    def quoted_share(settings: Settings) -> float:
        backend = get_backend("extractive", settings)
        assert isinstance(backend, ExtractiveBackend)
        summary = backend.summarize_sync(doc)
        assert verify_summary(summary, REVIEW) == []
        return sum(len(c.quotes[0].text.split()) for _, _, c in summary.iter_claims()) / words

    free = quoted_share(Settings())
    free_hash = get_backend("extractive", Settings()).settings_hash()
    monkeypatch.setenv("LITDIGEST_SUMMARIZE__QUOTE_SHARE", "0.15")
    monkeypatch.setenv("LITDIGEST_SUMMARIZE__TINY_QUOTE_SHARE", "0.15")  # REVIEW: < 300 words
    monkeypatch.setenv("LITDIGEST_SUMMARIZE__SHORT_DOC_CLAIMS", "1")
    capped = Settings()
    backend = get_backend("extractive", capped)
    assert isinstance(backend, ExtractiveBackend)
    assert (backend.quote_share, backend.tiny_quote_share, backend.short_doc_claims) == (
        0.15,
        0.15,
        1,
    )
    assert backend.settings_hash() != free_hash  # no cached uncapped summary is reused
    assert quoted_share(capped) <= 0.15 < free


def test_list_items_quote_without_the_bullet_and_fragments_are_no_claims() -> None:
    text = (
        "Tumour cells secrete CXCL5, which recruits suppressive myeloid cells through CXCR2.\n\n"
        "Patients\n\n"
        "- Retrospective cohort of 231 resected cases: high CXCR2+ cell density went with "
        "shorter overall survival (HR 1.88, 95% CI 1.31-2.70).\n\n"
        "Blocking CXCR2 should be combined with anti-PD-1 in future trials. Worth watching:\n\n"
        "- neutropenia risk when CXCR2 blockade is combined with chemotherapy;\n"
        "- whether dual CXCR1/2 inhibition or arginase inhibitors do better than CXCR2 blockade.\n"
    )
    summary = uncapped().summarize_sync(make_doc(text))
    assert verify_summary(summary, text) == []
    quotes = [q.text for _, _, c in summary.iter_claims() for q in c.quotes]
    assert any(q.startswith("Retrospective cohort of 231") for q in quotes), quotes
    assert not any(q.lstrip().startswith(("-", "whether")) for q in quotes), quotes
    statements = [c.statement for _, _, c in summary.iter_claims()]
    assert not any("whether dual" in s.lower() for s in statements), statements


def test_a_counted_lead_before_a_colon_stays_with_its_finding() -> None:
    from litdigest.summarize.backends.extractive_spans import clause_spans

    sentence = (
        "Retrospective cohort of 231 resected cases: high CXCR2+ cell density went with "
        "shorter overall survival in every subgroup we examined."
    )
    assert all(sentence[a:b].startswith("Retrospective") for a, b in clause_spans(sentence))


def test_the_tldr_is_mechanism_and_implication_only() -> None:
    # Issue 13: "taken from mechanism and implication": with no mechanism claim, one
    # implication sentence, not an evidence sentence to make up two.
    text = (
        "The objective response rate was 38% (8/21) in TLS-high tumours versus 5% (2/43) in "
        "TLS-low tumours. Grade 3 adverse events occurred in 11% of patients overall. "
        "TLS status is a practical biopsy-based marker that should guide the selection of "
        "patients for checkpoint therapy in sarcoma."
    )
    summary = uncapped().summarize_sync(make_doc(text))
    assert not summary.mechanism and summary.therapeutic_implication and summary.evidence
    assert summary.tldr == summary.therapeutic_implication[0].statement


def test_a_claim_that_points_back_yields_to_a_self_contained_one() -> None:
    from litdigest.summarize.backends.extractive_v3 import _points_back

    assert _points_back("The benefit was lost in Ifnar1-deficient mice.", 0)
    assert _points_back("Moreover, these results should be read with caution.", 10)
    assert not _points_back("The effect of CXCR2 blockade was lost in Batf3-deficient mice.", 0)
    assert not _points_back("This review found no trial of CXCR2 blockade in children.", 0)
    assert not _points_back("Theophylline raised cAMP in NK cells.", 0)
    # Two evidence sentences of nearly the same worth: the one that names its subject goes
    # first (without the penalty, "The benefit was lost ..." led).
    text = (
        "CD73 on ovarian cancer cells converts AMP into adenosine, which suppresses NK cells in "
        "the tumour. Blocking CD73 slowed ovarian tumour growth and restored NK cells in 12 of "
        "12 mice. The benefit was lost in mice depleted of NK cells, and tumour growth "
        "returned in 10 of 12 mice. Blocking CD73 should be tested with PARP inhibitors in "
        "patients."
    )
    statements = [c.statement for c in uncapped().summarize_sync(make_doc(text)).evidence]
    assert statements[0].startswith("Blocking CD73 slowed"), statements
    assert any(s.startswith("The benefit was lost") for s in statements[1:]), statements
