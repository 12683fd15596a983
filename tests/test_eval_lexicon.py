"""The eval matcher's lay / technical equivalence lexicon (``litdigest.evaluate.lexicon``)."""

from __future__ import annotations

import re

from litdigest.evaluate.lexicon import ENTRIES, canonical
from litdigest.evaluate.match import Matcher, match_form


def test_lexicon_is_broad_and_unambiguous() -> None:
    assert len(ENTRIES) >= 150
    seen: dict[str, str] = {}
    for canon, loose, strict in ENTRIES:
        for variant in (*loose, *strict):
            key = variant if variant in strict else variant.lower()
            assert seen.setdefault(key, canon) == canon, f"{variant} is in two groups"


def test_every_variant_reaches_its_group_form() -> None:
    for canon, loose, strict in ENTRIES:
        target = canonical(canon)
        assert canonical(target) == target  # a fixed point
        for variant in (*strict, *(v for v in loose if not re.search(r"[?()\\[]", v))):
            assert canonical(variant) == target, (variant, canon)


def test_canonical_examples() -> None:
    assert canonical("hair loss and low white counts were commoner") == (
        "alopecia and leucopenia were more frequent"
    )
    assert canonical("painkillers") == canonical("analgesics")
    assert canonical("hepatic metastases") == "liver metastases"
    assert canonical("NNT 20") == "number needed to treat 20"
    assert canonical("about 1 in 9 patients") == "about 1 in 9 patients"  # digits stay numbers
    assert canonical("by five percentage points") == "by 5%"
    assert canonical("fourfold odds") == canonical("4-fold odds") == "fourfold odds"


def test_abbreviations_only_as_written() -> None:
    assert canonical("AEs were rare") == "adverse events were rare"
    assert canonical("aes were rare") == "aes were rare"
    assert canonical("stage IV disease") == "stage IV disease"  # not "intravenous"
    assert canonical("programmed cell death 1") == "programmed cell death 1"  # PD-1, not apoptosis
    assert canonical("programmed cell death") == "apoptosis"


def test_match_form_uses_the_lexicon() -> None:
    assert match_form("hot flashes") == match_form("hot flushes")
    assert match_form("underactive thyroid") == match_form("hypothyroidism")


def test_another_drug_for_an_absent_drug_is_a_substitution() -> None:
    key_point = "temozolomide with radiotherapy prolonged survival in glioblastoma"
    claim = "cetuximab with radiotherapy prolonged survival in head and neck cancer"
    parts = Matcher().parts([claim], [key_point])[0][0]
    assert parts.substituted and not parts.gated
