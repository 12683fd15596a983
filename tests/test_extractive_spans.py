"""Informative spans of quoted sentences (extractive_spans): exact slices, framing dropped,
numbers and their brackets never cut; the v3 word budget."""

from __future__ import annotations

import re

import pytest

from litdigest.documents import Document, Format, Metadata, content_hash
from litdigest.summarize.backends.extractive_spans import (
    MIN_SPAN_WORDS,
    clause_spans,
    informative_span,
    near_repeat,
)
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import SECTIONS, DocumentSummary


def _span(sentence: str) -> str:
    a, b = informative_span(sentence)
    assert 0 <= a < b <= len(sentence)
    return sentence[a:b]


def _clauses(sentence: str) -> list[str]:
    return [sentence[a:b] for a, b in clause_spans(sentence)]


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
        (  # a factual frame of a few words (issue 13's budget: words that carry no finding)
            "One of the studies found that anti-D levels differed during the first week.",
            "anti-D levels differed during the first week.",
        ),
        (
            "Lineage tracing showed that most effector cells came from TCF1+ progenitors.",
            "most effector cells came from TCF1+ progenitors.",
        ),
        (  # an example marker and the authors' own frame carry no finding
            "For example, CXCL9 gradients guide CD8+ T cells into the tumour nest.",
            "CXCL9 gradients guide CD8+ T cells into the tumour nest.",
        ),
        (
            "The authors caution that systemic IL-2 also expands regulatory T cells.",
            "systemic IL-2 also expands regulatory T cells.",
        ),
        (
            "They suggest that CD73 blockade may restore NK-cell killing in ascites.",
            "CD73 blockade may restore NK-cell killing in ascites.",
        ),
        (  # a connective closed by a colon or a dash, as by a comma
            "In conclusion: the OHIP-NL is a reliable and valid measure of oral health.",
            "the OHIP-NL is a reliable and valid measure of oral health.",
        ),
        (
            "Taken together — IL-2 expands regulatory T cells in mice and in patients.",
            "IL-2 expands regulatory T cells in mice and in patients.",
        ),
        (  # a hedge is the claim's stance: it stays
            "The trend suggests that adjuvant radiotherapy may lower pelvic recurrence rates.",
            "The trend suggests that adjuvant radiotherapy may lower pelvic recurrence rates.",
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
        "Two RCTs enrolling 672 patients found that temozolomide prolonged survival in glioma.",
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
    parts = _clauses(sentence)
    assert parts == [
        "In the Hepa1-6 model (n = 14 mice per group; two runs), anti-PD-1 cured 43% of mice",
        "mice lacking Tcf7 in T cells did not respond at all.",
    ]
    assert clause_spans("Tumours grew slowly in treated mice (P < 0.01; n = 12).") == ()
    assert clause_spans("IL-2 acts; it binds CD25 on regulatory T cells in tumours.") == ()


def test_clauses_split_at_a_colon_or_a_spaced_dash() -> None:
    sentence = (
        "Exhausted CD8+ T cells lose their effector functions: most express PD-1 and TIM-3 "
        "and stop making IFN-gamma in tumours."
    )
    assert _clauses(sentence)[:2] == [
        "Exhausted CD8+ T cells lose their effector functions",
        "most express PD-1 and TIM-3 and stop making IFN-gamma in tumours.",
    ]
    dashed = "TGF-beta builds a collagen barrier around nests — T cells stay in the stroma outside."
    assert _clauses(dashed)[:2] == [
        "TGF-beta builds a collagen barrier around nests",
        "T cells stay in the stroma outside.",
    ]
    # Paired dashes hold an aside: no split at either.
    aside = (
        "Several anticancer agents — including classical chemotherapeutics and targeted "
        "compounds — stimulate tumour-specific immune responses in many patients."
    )
    assert clause_spans(aside) == ()
    # "…, while avoiding X, …" is a participle phrase, no clause: no split there.
    participle = (
        "Stool profiling may predict checkpoint response, and bacterial consortia, while "
        "avoiding antibiotics around treatment, deserve testing as adjuncts to PD-1 blockade."
    )
    assert clause_spans(participle) == ()
    # A colon before a capital (a label, a list heading) is no split.
    assert clause_spans("Main findings: Tumours grew slowly in all treated mice over time.") == ()


def test_a_later_clause_that_points_back_is_no_option() -> None:
    """ "they …", "this …", "the other …" need the first clause: only that one is offered."""
    for sentence, first in (
        (
            "Exhausted CD8+ T cells lose their effector functions: they express PD-1 and "
            "TIM-3 and stop making IFN-gamma in tumours.",
            "Exhausted CD8+ T cells lose their effector functions",
        ),
        (
            "One heme iron switches between two spin states across the pH range, while the "
            "other remains in a constant environment.",
            "One heme iron switches between two spin states across the pH range",
        ),
        (
            "Zorvamab halved the number of lung nodules in treated mice; this effect vanished "
            "in mice lacking natural killer cells.",
            "Zorvamab halved the number of lung nodules in treated mice",
        ),
    ):
        assert _clauses(sentence) == [first]
    # a sentence that itself opens with "These" keeps its clauses
    opening = (
        "These tumours grew slowly in treated mice; regulatory T cells left the tumour bed "
        "within a week of dosing."
    )
    assert next(opening[a:b] for a, b in clause_spans(opening)).startswith("These tumours")


def test_but_splits_two_clauses_not_an_ellipsis() -> None:
    sentence = (
        "Quality of life did not differ between the two arms but certain adverse events were "
        "more common with the added drug."
    )
    assert _clauses(sentence) == [
        "Quality of life did not differ between the two arms",
        "certain adverse events were more common with the added drug.",
    ]
    # "but B did (...)" leans on the first clause; "not in A but in B" is no clause
    for one in (
        "Treated women did not report worse cosmesis with radiotherapy but their physicians "
        "did (OR 1.14; 95% CI 0.42 to 3.07).",
        "The chemokine was made not by the tumour cells but by fibroblasts in the stroma.",
    ):
        assert clause_spans(one) == ()


def test_a_leading_concessive_is_kept_before_a_relative_clause() -> None:
    """The text after "Although …," must open a main clause, not continue the lead clause."""
    sentence = (
        "Although PD-1 blockade helps some patients, which is rare in pancreatic cancer, most "
        "tumours relapse within two years."
    )
    assert _span(sentence) == sentence


def test_and_splits_only_two_clauses() -> None:
    both = (
        "In mice, deleting Tcf7 in T cells abolished the response to anti-PD-1, and the "
        "patients with many progenitor cells lived longer on checkpoint therapy."
    )
    assert _clauses(both) == [
        "In mice, deleting Tcf7 in T cells abolished the response to anti-PD-1",
        "the patients with many progenitor cells lived longer on checkpoint therapy.",
    ]
    # An insertion (", and in particular X,") or a list is no pair of clauses.
    insertion = (
        "It has recently become clear that the tumour stroma, and in particular its immune "
        "cells, shapes how tumours respond to therapy."
    )
    assert _span(insertion).startswith("the tumour stroma, and in particular")
    assert clause_spans(insertion) == ()
    listing = "Tumours recruit neutrophils, monocytes, and regulatory T cells from the blood."
    assert clause_spans(listing) == ()


def test_near_repeat() -> None:
    first = {"ccr8", "treg", "tumour", "enrich"}
    assert near_repeat({"ccr8", "treg", "tumour"}, [first], 0.8)
    assert not near_repeat({"ccr8", "antibody", "deplet", "mice"}, [first], 0.8)
    assert near_repeat(set(), [first], 0.8)


# --------------------------------------------------------------------------------------------
# The v3 budget (extractive_v3._select): spans, first claims chosen together, no near-repeats

# Our own text: a short mechanism / evidence / implication note (under 300 words).
NOTE = """\
CCR8 and tumour regulatory T cells

Regulatory T cells inside tumours capture IL-2 through CD25 and strip CD80 and CD86 from \
dendritic cells with CTLA-4, which weakens priming of CD8+ T cells. In this study, we found \
that tumour-resident Treg cells, unlike those in blood, express high levels of the chemokine \
receptor CCR8.

In two mouse mammary tumour models (n = 12 per group), a CCR8-depleting antibody removed 87% \
of intratumoural Treg cells; it spared 94% of splenic Treg cells and caused complete \
regressions in 42% of treated mice. In 388 patients with breast cancer, a high CCR8+ Treg \
density was linked to shorter relapse-free survival (hazard ratio 1.96, 95% CI 1.29 to 2.98). \
In the patients with breast cancer, a high CCR8+ Treg density was linked to shorter \
relapse-free survival, as described previously.

These results suggest that selective depletion of CCR8+ Treg cells could relieve suppression \
in tumours without the autoimmunity of systemic Treg depletion.
"""


def _summary(**kwargs: float) -> DocumentSummary:
    text = NOTE
    doc = Document(
        doc_id=content_hash(text),
        text=text,
        metadata=Metadata(),
        format=Format.TEXT,
        source="note.txt",
    )
    return ExtractiveV3Backend(**kwargs).summarize_sync(doc)  # type: ignore[arg-type]


def _quoted_words(summary: DocumentSummary) -> int:
    return sum(len(q.text.split()) for _, _, c in summary.iter_claims() for q in c.quotes)


def test_quotes_are_exact_slices_and_statements_stay_inside_them() -> None:
    summary = _summary()
    assert verify_summary(summary, NOTE) == []
    for _, _, claim in summary.iter_claims():
        quote = " ".join(q.text for q in claim.quotes)
        for q in claim.quotes:
            assert NOTE[q.start : q.end] == q.text
        quote_words = {w.lower().strip(".,;()") for w in quote.split()}
        for word in claim.statement.split():
            assert word.lower().strip(".,;()") in quote_words, (word, claim.statement)
    statements = [c.statement for _, _, c in summary.iter_claims()]
    assert all(st.endswith((".", "!", "?", ".)")) for st in statements), statements
    quotes = [q.text for _, _, c in summary.iter_claims() for q in c.quotes]
    assert not any(q.startswith(("In this study", "These results suggest")) for q in quotes)
    assert not any(q.endswith("as described previously.") for q in quotes)


@pytest.mark.parametrize(("share", "tiny"), [(0.3, 0.45), (0.25, 0.3)])
def test_word_budget_holds_and_every_field_keeps_a_claim(
    share: float, tiny: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The selection is under test, not the later move of a spare claim to an empty field
    # (``_fill_empty``, which needs a field with two claims: a tight cap may leave none).
    from litdigest.summarize.backends import extractive_v3

    monkeypatch.setattr(extractive_v3, "_fill_empty", lambda chosen: None)
    words = len(NOTE.split())
    assert words < 300
    full = _summary(quote_share=1.0, tiny_quote_share=1.0)  # the default is capped
    capped = _summary(quote_share=share, tiny_quote_share=tiny)
    assert _quoted_words(capped) <= tiny * words < _quoted_words(full)
    assert verify_summary(capped, NOTE) == []
    # The first claims are chosen together: no field that has a claim without the cap is left
    # empty under it.
    for section in SECTIONS:
        assert bool(capped.section(section)) == bool(full.section(section)), section


def test_a_second_claim_is_no_near_repeat() -> None:
    summary = _summary()
    quotes = [c.quotes[0].text for _, _, c in summary.iter_claims()]
    # The survival finding and its restatement are not both quoted.
    assert sum("relapse-free survival" in q for q in quotes) == 1, quotes


def test_a_sentence_may_be_quoted_by_clause() -> None:
    summary = _summary(quote_share=0.3, tiny_quote_share=0.45)
    sentence_ends = {m.end() for m in re.finditer(r"[.!?](?=\s)", NOTE)}
    for _, _, claim in summary.iter_claims():
        for q in claim.quotes:
            # Either a whole sentence (tail) or a clause ending at a boundary, never mid-word.
            assert q.end in sentence_ends or NOTE[q.end] in ",; "
