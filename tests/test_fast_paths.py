"""The speed-ups of the support check and grounding give the same results as the plain code:
the synonym needles of ``litdigest.terms`` and the whitespace-only fold of grounding."""

from __future__ import annotations

import random
import re
import sys

import pytest

from litdigest import terms
from litdigest.summarize import grounding

# Our own phrases, at least one per synonym pattern, in several casings.
PHRASES = [
    "an anti-PD-1 antibody with anti-CTLA4 therapy",
    "checkpoint inhibitors, an inhibitor, inhibition, beta blockers, blocking antibodies",
    "programmed death ligand 1 and Programmed cell death-ligand-1",
    "programmed cell death protein 1 and programmed death-1",
    "cytotoxic T-lymphocyte associated antigen 4, cytotoxic t lymphocyte protein-4",
    "interferon gamma, Interferon-alpha, interferonbeta",
    "type I interferons, type 1 interferon, IFN-I and ifni",
    "interferons and IFNs",
    "tumour necrosis factor and tumor necrosis factor",
    "transforming growth factor beta and transforming growth factor-beta",
    "interleukin-10, Interleukin 2, interleukin12",
    "natural killer cells",
    "regulatory T cells, regulatory t-cell, Tregs and treg",
    "myeloid-derived suppressor cells and MDSCs",
    "tumour-associated macrophages, tumor associated macrophage, TAMs",
    "cancer-associated fibroblasts, CAFs",
    "chimeric antigen receptors",
    "immune checkpoint",
    "tertiary lymphoid structures",
    "conventional type 1 dendritic cells, conventional type-1 dendritic cell",
    "dendritic cells and DCs",
    "hazard ratios, odds ratio, risk ratios and relative risk",
    "confidence intervals",
    "overall survival, progression-free survival, event free survival",
    "objective response rates",
    "non-small cell lung cancers and non small-cell lung cancer",
    "tumour-infiltrating lymphocytes, TILs",
    "randomised controlled trials, randomized controlled trial, RCTs",
    "hepatocellular carcinomas",
    "pancreatic ductal adenocarcinoma",
    "cytokine-release syndrome",
    "immune-related adverse events, irAEs",
    "tumour mutational burden",
    "mismatch repair-deficient and mismatch-repair deficiency",
    "microsatellite instability-high, microsatellite-instable high",
    "MHC class I, HLA-I, hla 1, MHC-II",
    "Phase III, grade ii, Stage IV, type i, class II",
    "P values and a p-value",
    "ten per cent, 5 percent",
    "ANTI-PD-L1 INHIBITORS IN NON-SMALL CELL LUNG CANCER",
    "İnterferon gamma, ınterleukin-2, ſtage II, natural KILLER cells",
    "haemoglobin colour behaviour signalling tumour organisation",
    "IL-2–IL-2R, CD8+ T cells, CD4+ T-cells and the JAK1-STAT1-IRF1 pathway",
    "nivolumab and pembrolizumab: 5% (p < 0.05), HR 0.71 (95% CI 0.60-0.84)",
]


def _plain_synonyms(text: str) -> str:
    for pattern, replacement, _ in terms._SYNONYM_RES:
        text = pattern.sub(replacement, text)
    return text


def _texts() -> list[str]:
    rng = random.Random(7)
    words = " ".join(PHRASES).split()
    mixed = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 30))) for _ in range(2000)]
    return [*PHRASES, *(p.upper() for p in PHRASES), *(p.lower() for p in PHRASES), *mixed]


def test_every_synonym_pattern_is_exercised_and_its_matches_hold_a_needle() -> None:
    texts = _texts()
    for pattern, _, needles in terms._SYNONYM_RES:
        matches = [m.group() for t in texts for m in pattern.finditer(t)]
        assert matches, f"no phrase exercises {pattern.pattern}"
        for found in matches:
            if terms._CASE_TRAPS.isdisjoint(found):
                assert any(n in found.lower() for n in needles), (pattern.pattern, found)


def test_synonyms_with_needles_equal_the_plain_loop() -> None:
    for text in _texts():
        spelled = re.sub("[A-Za-z]+", terms._respell, text)
        assert terms._synonyms(spelled) == _plain_synonyms(spelled), text


def test_case_traps_are_every_non_ascii_letter_ignorecase_matches() -> None:
    letters = re.compile("[a-z]", re.IGNORECASE)
    found = {chr(c) for c in range(128, sys.maxunicode + 1) if letters.match(chr(c))}
    assert found == set(terms._CASE_TRAPS)


@pytest.mark.parametrize("seed", range(3))
def test_whitespace_only_fold_equals_the_full_fold(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = [*"ab1 _-*.,\t\n\u00a0\u2009\u3000é", *grounding._FOLD]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert grounding._folded(text) == grounding._fold(text)[0], repr(text)


def test_grounding_index_folds_the_text_only_when_needed() -> None:
    text = "The “quoted” passage — with a dash — is here. Another plain sentence follows it."
    index = grounding.GroundingIndex(text)
    assert index.search("Another plain sentence follows it.") == grounding.Located(
        46, 80, exact=True
    )
    assert index._index is None
    found = index.search('The "quoted" passage - with a dash')
    assert isinstance(found, grounding.Located)
    assert not found.exact
    assert index._index is not None
