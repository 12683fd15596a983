"""Salient terms and folding for the support check (``support.py``).

Folding makes spellings of one name compare equal: case, hyphens and spaces inside names
("PD-L1", "PDL1", "PD L1"), Greek letters and their spelled forms ("TNF-α", "TNF-alpha"),
British/American spelling ("tumour", "tumor"), plurals, and common long forms and synonyms
("interleukin-10" = "IL-10", "anti-PD-1" / "PD-1 blockade" both name PD-1).

A *salient term* is a gene, protein, cytokine, cell-type, drug or pathway name, or a rare
word (wordfreq Zipf frequency below ``RARE_ZIPF``).
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Final

from wordfreq import zipf_frequency

__all__ = ["fold_words", "key_present", "salient_terms", "term_keys"]

RARE_ZIPF: Final = 2.3

_GREEK: Final = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ω": "omega",
    "ζ": "zeta",
    "θ": "theta",
    "σ": "sigma",
}
_BRITISH: Final = (
    (re.compile(r"tumour"), "tumor"),
    (re.compile(r"our(s?)\b"), r"or\1"),  # behaviour, favour, colour
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)\b"), r"iz\1"),
    (re.compile(r"(?<=[a-z])yse(s|d)?\b"), r"yze\1"),
    (re.compile(r"\b(h|l)aem"), r"\1em"),
    (re.compile(r"aemi"), "emi"),
    (re.compile(r"\boe(strogen|dema|sophag)"), r"e\1"),
    (re.compile(r"\bpaed"), "ped"),
    (re.compile(r"\bfoet"), "fet"),
    (re.compile(r"signall"), "signal"),
    (re.compile(r"programme"), "program"),
    (re.compile(r"\bageing\b"), "aging"),
    (re.compile(r"centre"), "center"),
)
# long forms and synonyms -> the short name (after lower-casing and Greek folding)
_LONG_FORMS: Final = (
    (r"interleukin[- ]?", "il-"),
    (r"interferon[- ]?(alpha|beta|gamma)", r"ifn-\1"),
    (r"interferons?", "ifn"),
    (r"tumor necrosis factor[- ]?(alpha)?", r"tnf-\1"),
    (r"transforming growth factor[- ]?(beta)?", r"tgf-\1"),
    (r"vascular endothelial growth factor", "vegf"),
    (r"programmed (?:cell )?death(?: protein)?[- ]?(?:1|one)\b", "pd-1"),
    (r"programmed (?:cell )?death[- ]ligand[- ]?(1|2)\b", r"pd-l\1"),
    (r"cytotoxic t[- ]lymphocyte[- ]associated (?:protein|antigen)[- ]?4", "ctla-4"),
    (r"natural killer", "nk"),
    (r"regulatory t[- ]cells?", "treg"),
    (r"myeloid[- ]derived suppressor cells?", "mdsc"),
    (r"tumor[- ]associated macrophages?", "tam"),
    (r"tumor[- ]infiltrating lymphocytes?", "til"),
    (r"cytotoxic t[- ]lymphocytes?", "ctl"),
    (r"dendritic cells?", "dc"),
    (r"cancer[- ]associated fibroblasts?", "caf"),
    (r"non[- ]small[- ]cell lung (?:cancer|carcinoma)", "nsclc"),
    (r"hepatocellular carcinoma", "hcc"),
    (r"hazard ratios?", "hr"),
    (r"odds ratios?", "or"),
    (r"(?:risk|relative risk|risk ratio)s?\b(?= ?[\(\[]?\d)", "rr"),
    (r"confidence intervals?", "ci"),
    (r"overall survival", "os"),
    (r"progression[- ]free survival", "pfs"),
    (r"disease[- ]free survival", "dfs"),
    (r"nuclear factor[- ]kappa ?b", "nf-kappab"),
    (r"\bnf[- ]?kb\b", "nf-kappab"),
    (r"\banti[- ]", ""),  # anti-PD-1 names PD-1
    (r"(?<=\w) (?:blockade|inhibitors?|inhibition|antibod(?:y|ies)|blocking)\b", ""),
)
_LONG_RE: Final = tuple((re.compile(p), r) for p, r in _LONG_FORMS)

_CELL_TYPES: Final = frozenset(
    """macrophage neutrophil monocyte lymphocyte fibroblast eosinophil basophil platelet
    erythrocyte hepatocyte adipocyte osteoclast keratinocyte microglia treg mdsc tam til ctl
    dc caf nk""".split()
)
_CELL_PHRASE: Final = re.compile(
    r"\b(t|b|nk|mast|plasma|stem|dendritic|endothelial|epithelial|helper|memory|effector|"
    r"naive|killer|myeloid|tumor|cancer|immune|germinal|kupffer|langerhans)[- ]cells?\b"
)
_DRUG: Final = re.compile(
    r"[a-z]{3,}(?:mab|tinib|rafenib|ciclib|parib|platin|taxel|rubicin|mycin|mustine|formin"
    r"|statin|vastatin|limus|fenib)s?"
)
_WORD: Final = re.compile(r"[\w+]+(?:[-/][\w+]+)*")
_ROMAN: Final = frozenset({"II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII"})
_COMMON_ACRONYMS: Final = frozenset({"US", "UK", "EU", "USA", "AND", "OR", "THE", "NOT"})


def _fold_greek(text: str) -> str:
    return "".join(_GREEK.get(ch, ch) for ch in text)


@functools.lru_cache(maxsize=16384)
def fold_words(text: str, long_forms: bool = True) -> str:
    """Lower-cased text with Greek letters spelled out, American spelling, "n't" -> " not"
    and (``long_forms``) long forms replaced by short names (hyphens kept)."""
    t = _fold_greek(text.lower()).replace("’", "'")
    t = re.sub(r"n't\b", " not", t)
    for pattern, repl in _BRITISH:
        t = pattern.sub(repl, t)
    if long_forms:
        for pattern, repl in _LONG_RE:
            t = pattern.sub(repl, t)
    return t


def _key(token: str) -> str:
    """Compare key of a name: folded, no hyphens/slashes/plus, no plural 's'."""
    k = re.sub(r"[-/+\s]", "", token)
    if len(k) > 3 and k.endswith("s") and not k.endswith(("ss", "us", "is")):
        k = k[:-1]
    return k


def _is_rare(word: str) -> bool:
    return len(word) >= 6 and word.isalpha() and zipf_frequency(word, "en") < RARE_ZIPF


@functools.lru_cache(maxsize=8192)
def salient_terms(text: str) -> tuple[tuple[str, str], ...]:
    """(surface form, compare key) of every salient term of ``text``, in order, deduplicated."""
    out: dict[str, str] = {}
    for m in _WORD.finditer(_fold_greek(text)):
        word = m.group(0).strip("-/+")
        if not word or word in _ROMAN or word.upper() in _COMMON_ACRONYMS:
            continue
        upper = sum(ch.isupper() for ch in word)
        if upper >= 2 or (upper and any(ch.isdigit() for ch in word)):
            out.setdefault(_key(fold_words(word)), word)
    folded_text = fold_words(text)
    for m in _CELL_PHRASE.finditer(folded_text):
        out.setdefault(_key(m.group(0)), m.group(0))
    for m in _WORD.finditer(folded_text):
        word = m.group(0)
        key = _key(word)
        if word[0].isalpha() and any(ch.isdigit() for ch in word):
            out.setdefault(key, word)
            continue
        if key in _CELL_TYPES or _is_rare(word) or _DRUG.fullmatch(word):
            out.setdefault(key, word)
    return tuple((surface, key) for key, surface in out.items())


@functools.lru_cache(maxsize=4096)
def term_keys(text: str) -> frozenset[str]:
    """Every compare key of ``text``: its words, adjacent pairs, and triples joined, with
    long forms folded to short names and as written ("tumor-associated macrophages" gives
    "tam" and "macrophage")."""
    keys: set[str] = set()
    for folded in (fold_words(text), fold_words(text, long_forms=False)):
        words = [k for k in (_key(w) for w in _WORD.findall(folded)) if k]
        keys.update(words)
        keys.update(a + b for a, b in itertools.pairwise(words))
        keys.update(a + b + c for a, b, c in zip(words, words[1:], words[2:], strict=False))
    return frozenset(keys)


def key_present(key: str, available: frozenset[str]) -> bool:
    """``key`` is among ``available``; a rare word also matches by its first 6 letters."""
    if key in available:
        return True
    if key.isalpha() and len(key) >= 7:
        stem = key[:6]
        return any(
            k.isalpha() and (k.startswith(stem) or (len(k) >= 6 and k in key)) for k in available
        )
    return False
