"""litdigest.terms: folding, salient names and words, numbers, presence checks."""

from __future__ import annotations

import pytest

from litdigest.terms import fold, missing_terms, numbers, salient_terms, squash, term_keys


def keys(text: str) -> set[str]:
    return {t.key for t in salient_terms(text)}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("IFN-γ", "interferon gamma"),
        ("IFNγ", "IFN-gamma"),
        ("PD-L1", "PDL1"),
        ("TGF-β", "transforming growth factor beta"),
        ("anti-PD-1", "PD-1 blockade"),
        ("PD-1 inhibitors", "PD-1 blockade"),
        ("tumour", "tumor"),
        ("signalling", "signaling"),
        ("characterised", "characterized"),
        ("haematological", "hematological"),
        ("natural killer", "NK"),
        ("regulatory T cells", "Tregs"),
        ("interleukin-2", "IL-2"),
    ],
)
def test_fold_makes_variants_equal(a: str, b: str) -> None:
    assert squash(a) == squash(b)


def test_fold_keeps_ordinary_words() -> None:
    assert fold("The promise of precise exercise") == "the promise of precise exercise"
    assert fold("four hours") == "four hours"


def test_salient_symbols_cells_and_words() -> None:
    found = keys("IFN-γ from CD8+ T cells raises PD-L1 via JAK1–STAT1–IRF1 signalling in MDSCs")
    assert {"ifngamma", "cd8", "tcell", "pdl1", "jak1", "stat1", "irf1", "mdsc"} <= found
    assert "signal" not in found and "raise" not in found
    assert keys("temozolomide and pembrolizumab") == {"temozolomid", "pembrolizumab"}
    assert "immunogenic" in keys("immunogenic cell death")
    assert keys("RESULTS: the patients were treated") == set()
    kinds = {t.key: t.kind for t in salient_terms("pembrolizumab and NK cells")}
    assert kinds == {"pembrolizumab": "drug", "nk": "symbol", "nkcell": "cell"}


def test_numbers_with_units_operators_and_kinds() -> None:
    found = numbers("HR 0.62 (95% CI 0.50–0.77; p < 0.001); 48% responded; −3.2 mg/kg; ≥2 years")
    got = [(n.value, n.unit, n.op, n.kind) for n in found]
    assert got == [
        ("0.62", "", "", "ratio"),
        ("95", "%", "", "percent"),
        ("0.5", "", "", "interval"),
        ("0.77", "", "", "interval"),
        ("0.001", "", "<", "p_value"),
        ("48", "%", "", "percent"),
        ("-3.2", "mg/kg", "", "plain"),
        ("2", "year", "≥", "plain"),
    ]
    assert numbers("CD8, IL-2, PD-1 and claudin-18 cells") == []
    assert numbers("1,000 patients")[0].value == "1000"


def test_numbers_stay_linear_on_a_long_text() -> None:
    """A number's kind reads only the text just before it (a whole document pasted as a claim
    used to make the eval's support check quadratic)."""
    import time

    chunk = "In arm A, HR 0.62 (95% CI 0.50-0.77; p < 0.001) and 48% responded over 12 months. "
    text = chunk * 2000  # 170,000 characters, 14,000 numbers
    start = time.perf_counter()
    found = numbers(text)
    assert time.perf_counter() - start < 10.0  # ~0.3 s; the quadratic version took minutes
    assert len(found) == 14000
    kinds = ["ratio", "percent", "interval", "interval", "p_value", "percent", "plain"]
    assert [n.kind for n in found[-7:]] == kinds


def test_missing_terms_is_the_support_check() -> None:
    quote = "Interferon-gamma released by CD8+ T cells induces PD-L1 through JAK1, STAT1 and IRF1."
    assert missing_terms("IFN-γ from T cells raises PD-L1 via JAK1–STAT1–IRF1", quote) == []
    missing = missing_terms("IFN-γ raises PD-L2 in 48% of cases", quote)
    assert {getattr(t, "key", "") for t in missing} == {"pdl2", "#48%"}
    assert missing_terms("anti-PD-1 worked", "PD-1 blockade worked") == []


def test_term_keys_cover_joined_and_plural_forms() -> None:
    k = term_keys("PD L1 on DCs and T-cells")
    assert {"pdl1", "dc", "tcell"} <= k
