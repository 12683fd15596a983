"""Evidence kinds (``extractive_kinds``) on invented sentences, by the rules of
``training/LABELLING.md``."""

from __future__ import annotations

import pytest

from litdigest.summarize.backends.extractive_kinds import (
    document_fallback,
    document_kind,
    evidence_kind_of,
    evidence_kinds,
)
from litdigest.summarize.schema import EvidenceKind

META = EvidenceKind.META_ANALYSIS

REVIEW_OPENINGS = [
    "Seven trials met the inclusion criteria. Pooled data favoured the drug.",
    "We identified 12 eligible studies (1400 participants). Most were small.",
    "Nine trials were identified. The drug lowered pain scores.",
    "We included only one small trial of 40 adults. Pain fell.",
    "Thirty studies were included in the review, most of them cohorts.",
]


@pytest.mark.parametrize("text", REVIEW_OPENINGS)
def test_systematic_review_openings(text: str) -> None:
    assert document_kind(text) is META


@pytest.mark.parametrize(
    "text",
    [
        "Mice lacking the receptor rejected the tumours. In 40 patients, responses were rare.",
        "Patients who met the inclusion criteria were randomised to the vaccine or placebo.",
        "Two phase III trials showed longer survival with the antibody.",
    ],
)
def test_primary_studies_are_no_review(text: str) -> None:
    assert document_kind(text) is None


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # one included study's result is that study's, certainty grade or not
        ("One trial found less nausea with the drug (RR 0.6; low-certainty evidence).",
         "clinical_trial"),
        ("The second study reported fewer falls in the exercise group.", "clinical_trial"),
        ("Vomiting was rarer with the drug (RR 0.7, 95% CI 0.5 to 0.9; 1 study, 90 adults).",
         "clinical_trial"),
        # two or more studies, pooled or counted
        ("Five RCTs (n = 600) showed a small benefit.", "meta_analysis"),
        ("Pooled results favoured the drug in one analysis of all trials.", "meta_analysis"),
        ("Both studies reported fewer falls.", "meta_analysis"),
        # appraisal of the evidence, whatever study it names
        ("The trial had a high risk of bias.", "meta_analysis"),
        ("The study did not measure quality of life.", "meta_analysis"),
        ("Only one trial reported deaths.", "meta_analysis"),
        # no study named: the review's
        ("The drug probably reduces pain a little.", "meta_analysis"),
    ],
)  # fmt: skip
def test_kinds_inside_a_review(sentence: str, kind: str) -> None:
    assert evidence_kind_of(sentence, None, META).value == kind


ONE_TRIAL = "One trial of 30 toddlers compared the spray with saline."
TWO_TRIALS = "Two trials compared the spray with saline."


@pytest.mark.parametrize(
    ("before", "sentence", "kind"),
    [
        # no study count of its own: it continues the single study's report before it
        ([ONE_TRIAL], "There may be no difference in cough scores at one hour.", "clinical_trial"),
        ([ONE_TRIAL], "No adverse events occurred in either group.", "clinical_trial"),
        # ... through other sentences of that report
        (["Sleep improved by night two (MD 1.1 hours).", ONE_TRIAL],
         "Parents rated the spray higher (P = 0.03).", "clinical_trial"),
        # several studies before it: the review's
        ([TWO_TRIALS], "There may be no difference in cough scores at one hour.", "meta_analysis"),
        # the review speaking for itself ends the report
        (["We judged the evidence to be of low quality.", ONE_TRIAL],
         "Cough scores fell by a third.", "meta_analysis"),
        ([ONE_TRIAL], "We found no difference in cough scores.", "meta_analysis"),
        # its own count decides
        ([ONE_TRIAL], "Both trials reported fewer visits.", "meta_analysis"),
        ([TWO_TRIALS], "The second trial found fewer visits (RR 0.5).", "clinical_trial"),
        # appraisal stays the review's
        ([ONE_TRIAL], "Hospital stays were not reported.", "meta_analysis"),
        # nothing before it: the review's
        ([], "There may be no difference in cough scores at one hour.", "meta_analysis"),
    ],
)  # fmt: skip
def test_review_continuation(before: list[str], sentence: str, kind: str) -> None:
    assert evidence_kind_of(sentence, None, META, None, before).value == kind


def test_continuation_only_inside_a_review() -> None:
    sentence = "There may be no difference in cough scores at one hour."
    claims: list[tuple[str, str | None]] = [(sentence, None), (sentence, None)]
    got = evidence_kinds(claims, META, [], [[ONE_TRIAL], []])
    assert [k.value for k in got] == ["clinical_trial", "meta_analysis"]
    # a primary paper's sentences do not look back
    assert evidence_kind_of(sentence, None, None, None, [ONE_TRIAL]) is (
        evidence_kind_of(sentence, None, None)
    )


def test_historical_sources_are_unspecified() -> None:
    text = "We read 18th-century village records to learn how grazing was managed. " * 3
    document = document_kind(text)
    assert document is EvidenceKind.UNSPECIFIED
    sentence = "Cattle were kept off the hay meadows until August."
    assert evidence_kind_of(sentence, None, document) is EvidenceKind.UNSPECIFIED
    # an explicit study cue still counts
    assert evidence_kind_of("Mice fed the grass gained weight.", None, document) is (
        EvidenceKind.ANIMAL_MODEL
    )


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # kilometres are no Michaelis constant; physical activity is no enzyme activity
        ("All tagged fish were found within 15 km of the release site.", "unspecified"),
        ("Risk did not change after adjustment for physical activity.", "unspecified"),
        ("The enzyme's Km for the substrate was 12 µM.", "in_vitro"),
        # wild-type phages and yeast are no animals
        ("Lysis time varied widely for the wild-type phage.", "in_vitro"),
    ],
)
def test_cue_words_mean_what_they_say(sentence: str, kind: str) -> None:
    assert evidence_kind_of(sentence, None, None).value == kind


def test_in_vitro_is_no_fallback() -> None:
    lab = [
        "Phage lysis time varied between strains.",
        "The plasmid raised expression in both strains.",
        "Lysogens cultured at 30 degrees lysed later.",
        "Later lysis gave larger bursts.",
    ]
    assert document_fallback(lab) is None


def test_weak_heading_gives_way_to_the_document_kind() -> None:
    sentence = "Prevalence rose with age."
    animal = EvidenceKind.ANIMAL_MODEL
    assert evidence_kind_of(sentence, "Cross-sectional surveys", None, animal) is animal
    assert evidence_kind_of(sentence, "Mouse experiments", None, None) is animal


LAB_FINDINGS = [
    "The enzyme assay showed faster turnover in the mutant strains.",
    "Purified protein bound the substrate within minutes.",
]
LAB_METHODS = (
    "Cells were grown in rich growth medium. Overnight cultures were used to inoculate fresh "
    "medium. Colonies were counted on agar plates."
)


def test_in_vitro_fallback_needs_lab_methods() -> None:
    vitro = EvidenceKind.IN_VITRO
    assert document_fallback(LAB_FINDINGS, LAB_METHODS) is vitro
    # bacteria and strains named in passing (a theory paper): no fallback
    assert document_fallback(LAB_FINDINGS) is None
    assert document_fallback(LAB_FINDINGS, "We simulated the growth of strains.") is None
    # simulations outweigh the lab words
    simulated = LAB_METHODS + " We simulated it. Simulations and a mathematical model... " * 2
    assert document_fallback(LAB_FINDINGS, simulated) is None
    # findings that never name their system take the document's kind
    claims: list[tuple[str, str | None]] = [("Lysis time fell by a third at 37 degrees.", None)]
    assert evidence_kinds(claims, None, LAB_FINDINGS, (), LAB_METHODS) == [vitro]
