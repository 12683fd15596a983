"""Informative spans of quoted sentences (extractive_spans): exact slices, framing dropped,
numbers and their brackets never cut; the v3 word budget."""

from __future__ import annotations

import pytest

from litdigest.summarize.backends.extractive_spans import (
    MIN_SPAN_WORDS,
    clause_spans,
    informative_span,
    near_repeat,
)


def _span(sentence: str) -> str:
    a, b = informative_span(sentence)
    assert 0 <= a < b <= len(sentence)
    return sentence[a:b]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "In this study, we found that STING-deficient tumours grew faster in mice.",
            "STING-deficient tumours grew faster in mice.",
        ),
        (
            "These findings suggest that STING agonists may improve responses to PD-1 blockade.",
            "STING agonists may improve responses to PD-1 blockade.",
        ),
        (
            "Taken together, these data suggest that lactate drains NAD+ in CD8+ T cells.",
            "lactate drains NAD+ in CD8+ T cells.",
        ),
        (
            "It has been shown that lactate drains NAD+ in CD8+ T cells and blocks glycolysis.",
            "lactate drains NAD+ in CD8+ T cells and blocks glycolysis.",
        ),
        (
            "Although PD-1 blockade benefits some patients, most tumours relapse within two years.",
            "most tumours relapse within two years.",
        ),
        (
            "Although A, B and C are known, most tumours relapse within two years of treatment.",
            "most tumours relapse within two years of treatment.",
        ),
        (
            "Moreover, IL-2 expanded regulatory T cells in the tumour bed, as described previously.",
            "IL-2 expanded regulatory T cells in the tumour bed",
        ),
        (
            "Tregs expressing CCR8 were enriched in several tumours (Fig. 2A).",
            "Tregs expressing CCR8 were enriched in several tumours",
        ),
        (
            "CCR8 marks Tregs in many tumours, which is consistent with earlier reports [12].",
            "CCR8 marks Tregs in many tumours",
        ),
    ],
)
def test_framing_and_tails_are_dropped(sentence: str, expected: str) -> None:
    assert _span(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Tregs expressing CCR8 were enriched in tumours (HR 0.48, 95% CI 0.3 to 0.7).",
        "Although 12 of 40 patients responded, most tumours relapse within two years.",
        "In 2019, we found that most tumours relapse within two years of treatment.",
        "Response rates were higher in the combination arm, consistent with a 2-fold rise.",
        "Tumours shrank in treated mice, as reported in 14 of 20 animals (P < 0.01).",
    ],
)
def test_numbers_statistics_and_their_brackets_are_never_cut(sentence: str) -> None:
    assert _span(sentence) == sentence


def test_a_span_is_never_shorter_than_a_clause() -> None:
    sentence = "We found that IL-2 acts fast."
    assert _span(sentence) == sentence
    for sentence in (
        "Moreover, these results suggest that TGF-beta excludes T cells from the tumour core.",
        "However, NK cells kill MHC-low tumour cells, as described previously in mice.",
    ):
        assert len(_span(sentence).split()) >= MIN_SPAN_WORDS


def test_clauses_split_at_semicolons_and_contrasts_outside_brackets() -> None:
    sentence = (
        "In the Hepa1-6 model (n = 14 mice per group; two runs), anti-PD-1 cured 43% of mice, "
        "whereas mice lacking Tcf7 in T cells did not respond at all."
    )
    parts = [sentence[a:b] for a, b in clause_spans(sentence)]
    assert parts == [
        "In the Hepa1-6 model (n = 14 mice per group; two runs), anti-PD-1 cured 43% of mice",
        "mice lacking Tcf7 in T cells did not respond at all.",
    ]
    assert clause_spans("Tumours grew slowly in treated mice (P < 0.01; n = 12).") == ()
    assert clause_spans("IL-2 acts; it binds CD25 on regulatory T cells in tumours.") == ()


def test_near_repeat() -> None:
    first = {"ccr8", "treg", "tumour", "enrich"}
    assert near_repeat({"ccr8", "treg", "tumour"}, [first], 0.8)
    assert not near_repeat({"ccr8", "antibody", "deplet", "mice"}, [first], 0.8)
    assert near_repeat(set(), [first], 0.8)
