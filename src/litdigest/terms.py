"""Salient terms of biomedical text, and the folding that lets two wordings be compared.

A *salient term* is what a claim cannot leave out or get wrong without saying something
else: gene, protein, cytokine, cell-type, drug and pathway names (``PD-L1``, ``IFN-γ``,
``CD8+ T cells``, ``temozolomide``, ``JAK–STAT``), rare domain words (``adenosine``,
``immunogenic``; rarity from ``wordfreq``) and numbers (``48%``, ``p < 0.05``, ``HR 0.62``,
``95% CI 0.50–0.77``, ``−3.2 mg/kg``, ``≥ 2 years``).

Public API:

* ``fold(text)`` — the comparable form of a text: Unicode-normalised, lower-cased, Greek
  letters spelled (``γ`` → ``gamma``), British spellings made American, common synonyms and
  expansions rewritten to one form (``interferon gamma`` → ``ifn-gamma``, ``anti-PD-1`` →
  ``pd-1 blockade``, ``natural killer`` → ``nk``);
* ``salient_terms(text) -> set[Term]`` — the salient names and words (``Term.key`` is the
  folded form, hyphens and spaces squashed: ``PD-L1``, ``PDL1`` and ``PD L1`` give ``pdl1``);
* ``numbers(text) -> list[Number]`` — the numbers with their sign, comparison operator and
  unit, and a ``kind`` (``p_value``, ``ratio`` for HR/OR/RR, ``interval`` for CI bounds,
  ``percent``, ``plain``);
* ``term_keys(text)`` — every key a text offers (tokens, squashed 2- and 3-token runs,
  stems, number keys), for presence checks;
* ``missing_terms(text, reference)`` — the salient terms and numbers of ``text`` absent from
  ``reference`` (the claim-vs-quote support check; ``[]`` when everything is there).

Foundation layer: imports only the standard library, ``wordfreq`` and ``litdigest.errors``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final, Literal

__all__ = [
    "Number",
    "NumberKind",
    "Term",
    "TermKind",
    "common_prefix",
    "fold",
    "is_rare",
    "missing_terms",
    "normalise",
    "numbers",
    "present",
    "salient_terms",
    "squash",
    "stem",
    "term_keys",
]

TermKind = Literal["symbol", "cell", "drug", "word", "number"]
NumberKind = Literal["p_value", "ratio", "interval", "percent", "plain"]

# Zipf frequency (wordfreq, English) below which a lower-case word counts as rare/salient.
RARE_ZIPF: Final = 3.3
MIN_WORD_LEN: Final = 4


@dataclass(frozen=True, slots=True)
class Term:
    """A salient term: ``key`` is what comparisons use; ``text`` the surface form found."""

    key: str
    kind: TermKind
    text: str = ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Term) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


@dataclass(frozen=True, slots=True)
class Number:
    """A number as written: ``value`` canonical (``0.50`` → ``0.5``, ``1,000`` → ``1000``)."""

    value: str
    unit: str = ""
    op: str = ""
    kind: NumberKind = "plain"
    text: str = ""

    @property
    def key(self) -> str:
        return f"#{self.value}{self.unit}"


# --------------------------------------------------------------------------------------------
# Folding

GREEK: Final[dict[str, str]] = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "µ": "mu",
    "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon",
    "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}  # fmt: skip
_GREEK_NAMES: Final = "|".join(sorted(set(GREEK.values()), key=len, reverse=True))
_DASHES: Final = dict.fromkeys(map(ord, "‐‑‒–—―−﹣－"), "-")

_ROMAN: Final = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}


def _roman(match: re.Match[str]) -> str:
    return f"{match.group(1)} {_ROMAN[match.group(2).lower()]}"


# (pattern, replacement, needles), case-insensitive, on text with Greek letters spelled;
# symbols come out upper-case so that ``salient_terms`` sees them as names. Order matters.
# Every match of a pattern contains one of its needles (lower-case), so a text with none of
# them is not scanned (a speed-up only: tests/test_fast_paths.py checks the equivalence).
_SYNONYMS: Final[tuple[tuple[str, Any, tuple[str, ...]], ...]] = (
    (r"\banti-(?=[a-z]{0,6}\d|[a-z]{2,5}-?\d)([a-z0-9-]+)", r"\1 blockade", ("anti-",)),
    (r"\b(inhibitors?|inhibition|blockers?|blocking antibod(?:y|ies))\b", "blockade",
     ("inhibit", "blocker", "blocking antibod")),
    (r"\bprogrammed (?:cell )?death[- ]?ligand[- ]?1\b", "PD-L1", ("programmed",)),
    (r"\bprogrammed (?:cell )?death(?:[- ]?protein)?[- ]?1\b", "PD-1", ("programmed",)),
    (r"\bcytotoxic t[- ]lymphocyte[- ](?:associated )?(?:antigen|protein)[- ]?4\b", "CTLA-4",
     ("cytotoxic t",)),
    (r"\binterferon[- ]?(" + _GREEK_NAMES + r")\b", r"IFN-\1", ("interferon",)),
    (r"\btype (?:i|1) interferons?\b|\bifn-?i\b", "IFN-I", ("interferon", "ifn")),
    (r"\binterferons?\b|\bifns\b", "IFN", ("interferon", "ifns")),
    (r"\btumou?r necrosis factor\b", "TNF", ("necrosis factor",)),
    (r"\btransforming growth factor[- ]?(beta)\b", r"TGF-\1", ("transforming growth factor",)),
    (r"\binterleukin[- ]?(\d+)", r"IL-\1", ("interleukin",)),
    (r"\bnatural killer\b", "NK", ("natural killer",)),
    (r"\bregulatory t[- ]cells?\b|\btregs?\b", "TREG", ("regulatory t", "treg")),
    (r"\bmyeloid[- ]derived suppressor cells?\b|\bmdscs\b", "MDSC", ("suppressor cell", "mdscs")),
    (r"\btumou?r[- ]associated macrophages?\b|\btams\b", "TAM", ("associated macrophage", "tams")),
    (r"\bcancer[- ]associated fibroblasts?\b|\bcafs\b", "CAF", ("associated fibroblast", "cafs")),
    (r"\bchimeric antigen receptors?\b", "CAR", ("chimeric antigen receptor",)),
    (r"\bimmune checkpoint\b", "checkpoint", ("immune checkpoint",)),
    (r"\btertiary lymphoid structures?\b", "TLS", ("tertiary lymphoid structure",)),
    (r"\bconventional type[- ]?1 dendritic cells?\b", "CDC1", ("conventional",)),
    (r"\bdendritic cells?\b|\bdcs\b", "DC", ("dendritic cell", "dcs")),
    (r"\bhazard ratios?\b", "HR", ("hazard ratio",)),
    (r"\bodds ratios?\b", "OR", ("odds ratio",)),
    (r"\b(?:risk ratios?|relative risks?)\b", "RR", ("risk ratio", "relative risk")),
    (r"\bconfidence intervals?\b", "CI", ("confidence interval",)),
    (r"\boverall survival\b", "OS", ("overall survival",)),
    (r"\bprogression[- ]free survival\b", "PFS", ("free survival",)),
    (r"\bobjective response rates?\b", "ORR", ("objective response rate",)),
    (r"\bnon[- ]small[- ]cell lung cancers?\b", "NSCLC", ("lung cancer",)),
    (r"\btumou?r[- ]infiltrating lymphocytes?\b|\btils\b", "TIL",
     ("infiltrating lymphocyte", "tils")),
    (r"\brandomi[sz]ed controlled trials?\b|\brcts\b", "RCT", ("controlled trial", "rcts")),
    (r"\bevent[- ]free survival\b", "EFS", ("free survival",)),
    (r"\bhepatocellular carcinomas?\b", "HCC", ("hepatocellular carcinoma",)),
    (r"\bpancreatic ductal adenocarcinomas?\b", "PDAC", ("ductal adenocarcinoma",)),
    (r"\bcytokine[- ]release syndrome\b", "CRS", ("release syndrome",)),
    (r"\bimmune[- ]related adverse events?\b|\biraes\b", "IRAE", ("adverse event", "iraes")),
    (r"\btumou?r mutational burden\b", "TMB", ("mutational burden",)),
    (r"\bmismatch[- ]repair[- ]deficien(?:t|cy)\b", "DMMR", ("deficien",)),
    (r"\bmicrosatellite[- ]instab(?:le|ility)[- ]high\b", "MSI-H", ("microsatellite",)),
    (r"\b(?:mhc|hla)[- ]?(?:class[- ]?)?(?:i|1)\b(?![- ]?i)", "MHC-I", ("mhc", "hla")),
    (r"\b(phase|grade|stage|type|class)[- ](iv|iii|ii|i)\b", _roman,
     ("phase", "grade", "stage", "type", "class")),
    (r"\bp[- ]?values?\b", "p", ("value",)),
    (r"\bper ?cent\b", "%", ("cent",)),
)  # fmt: skip
_SYNONYM_RES: Final = tuple((re.compile(p, re.IGNORECASE), r, n) for p, r, n in _SYNONYMS)
# Characters outside ASCII that ``re.IGNORECASE`` matches to an ASCII letter while
# ``str.lower`` does not turn them into it: with one of them, every pattern is tried.
_CASE_TRAPS: Final = frozenset("\u0130\u0131\u017f\u212a")
# Folded keys that name the same thing.
_KEY_ALIASES: Final[dict[str, str]] = {
    "ifng": "ifngamma", "tnfalpha": "tnf", "tnfa": "tnf", "tgfb": "tgfbeta",
    "tgfb1": "tgfbeta1", "pdcd1": "pd1", "cd279": "pd1", "cd274": "pdl1", "b7h1": "pdl1",
    "cd152": "ctla4", "ifnalpha": "ifni", "ifnbeta": "ifni", "cart": "carcell",
    "tgfbeta1": "tgfbeta", "hif1alpha": "hif1a", "tvec": "talimogen",
}  # fmt: skip
# Antibodies and drugs stand for their target in a presence check ("ipilimumab" offers ctla4).
DRUG_TARGETS: Final[dict[str, tuple[str, ...]]] = {
    "ipilimumab": ("ctla4",), "tremelimumab": ("ctla4",), "nivolumab": ("pd1",),
    "pembrolizumab": ("pd1",), "cemiplimab": ("pd1",), "dostarlimab": ("pd1",),
    "atezolizumab": ("pdl1",), "durvalumab": ("pdl1",), "avelumab": ("pdl1",),
    "bevacizumab": ("vegf",), "tocilizumab": ("il6r", "il6"), "blinatumomab": ("cd19", "cd3"),
    "trastuzumab": ("her2",), "cetuximab": ("egfr",), "rituximab": ("cd20",),
    "dinutuximab": ("gd2",), "magrolimab": ("cd47",), "urelumab": ("cd137", "41bb"),
    "relatlimab": ("lag3",), "tiragolumab": ("tigit",), "epacadostat": ("ido1",),
    "sipuleucel": ("sipuleucelt",), "tisagenlecleucel": ("cd19", "carcell"),
}  # fmt: skip

_BRITISH_WORDS: Final[dict[str, str]] = {
    "signalling": "signaling", "signalled": "signaled", "labelling": "labeling",
    "labelled": "labeled", "modelling": "modeling", "modelled": "modeled",
    "travelled": "traveled", "cancelled": "canceled", "fuelled": "fueled",
    "centre": "center", "centres": "centers", "fibre": "fiber", "fibres": "fibers",
    "litre": "liter", "litres": "liters", "programme": "program", "programmes": "programs",
    "ageing": "aging", "grey": "gray", "oesophagus": "esophagus",
    "oesophageal": "esophageal", "diarrhoea": "diarrhea", "oedema": "edema",
    "oestrogen": "estrogen", "foetal": "fetal", "orthopaedic": "orthopedic",
}  # fmt: skip
_ISE_EXCEPTIONS: Final = frozenset(
    """promise otherwise precise exercise concise expertise premise compromise advertise
    enterprise surprise franchise merchandise improvise supervise televise devise revise
    excise incise chastise despise disguise demise noise raise arise praise poise rise
    wise guise cruise bruise chemise treatise paradise""".split()
)


_OUR_RE: Final = re.compile(r"[^aeiou]our(s|ed|ing|al)?$")
_OUR_SUB_RE: Final = re.compile(r"our(s|ed|ing|al)?$")
_ISE_RE: Final = re.compile(r"(is|ys)(e|ed|es|ing|ation|ations)$")


def _americanise(word: str) -> str:
    if word in _BRITISH_WORDS:
        return _BRITISH_WORDS[word]
    if len(word) > 5 and _OUR_RE.search(word) and word[-5:] != "flour":
        word = _OUR_SUB_RE.sub(r"or\1", word)
    if word.startswith(("haem", "anaem", "leukaem", "paed", "oncae")) or "aemi" in word:
        word = word.replace("ae", "e")
    m = _ISE_RE.search(word)
    if m and len(word) > 6:
        base = word[: m.start()]
        if base + m.group(1) + "e" not in _ISE_EXCEPTIONS and base + "ise" not in _ISE_EXCEPTIONS:
            word = base + ("iz" if m.group(1) == "is" else "yz") + m.group(2)
    return word


_ALPHA_RE: Final = re.compile(r"[A-Za-z]+")
# Greek letters spelled and dashes made ASCII, in one pass (the two tables are disjoint).
_SPELL_TABLE: Final = {**_DASHES, **str.maketrans(GREEK)}
_GREEK_AFTER_RE: Final = re.compile(r"(?<=[A-Z0-9])(" + _GREEK_NAMES + r")\b")


@lru_cache(maxsize=65536)
def _respelled(word: str) -> str:
    lower = word.lower()
    american = _americanise(lower)
    return word if american == lower else american


def _respell(match: re.Match[str]) -> str:
    return _respelled(match.group())


def _synonyms(text: str) -> str:
    """``_SYNONYMS`` applied in order; a pattern none of whose needles is in the text is
    skipped (unless the text holds a ``_CASE_TRAPS`` character)."""
    if not _CASE_TRAPS.isdisjoint(text):
        for pattern, replacement, _ in _SYNONYM_RES:
            text = pattern.sub(replacement, text)
        return text
    lower = text.lower()
    for pattern, replacement, needles in _SYNONYM_RES:
        if any(n in lower for n in needles):
            text, count = pattern.subn(replacement, text)
            if count:
                lower = text.lower()
    return text


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """``text`` with Unicode, dashes, Greek letters, spelling and synonyms normalised; case
    is kept (names rewritten by a synonym come out upper-case)."""
    text = unicodedata.normalize("NFKC", text).translate(_SPELL_TABLE)
    text = _GREEK_AFTER_RE.sub(r"-\1", text)
    text = _ALPHA_RE.sub(_respell, text)
    return _synonyms(text)


def fold(text: str) -> str:
    """Comparable form of ``text`` (see the module docstring); keeps punctuation and spaces."""
    return normalise(text).lower()


def squash(text: str) -> str:
    """``text`` folded, then everything but letters and digits removed (``PD-L1`` → ``pdl1``)."""
    return re.sub(r"[^a-z0-9]+", "", fold(text))


_SUFFIXES: Final = ("ically", "ations", "ation", "ally", "ings", "ing", "ies", "ed", "es", "s")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light stem of a folded lower-case word (one common suffix removed)."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            return base + "y" if suffix == "ies" else base.rstrip("e")
    return word.rstrip("e")


@lru_cache(maxsize=65536)
def is_rare(word: str) -> bool:
    """True for a lower-case word of at least ``MIN_WORD_LEN`` letters that is rare in
    general English (wordfreq Zipf frequency below ``RARE_ZIPF``)."""
    from wordfreq import zipf_frequency

    if len(word) < MIN_WORD_LEN or not word.isalpha():
        return False
    return zipf_frequency(word, "en") < RARE_ZIPF


@lru_cache(maxsize=65536)
def _very_rare(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") < RARE_INFLECTED_ZIPF


# --------------------------------------------------------------------------------------------
# Numbers

_UNITS: Final = (
    r"%|mg/kg|mg/m2|mg/m²|mg|mug|ng/ml|pg/ml|g/dl|mmol/l|ml|mm|cm|nm|kg|gy|"
    r"months?|years?|weeks?|days?|hours?|hrs?|h|min|fold|x"
)
_NUMBER_RE: Final = re.compile(
    r"(?P<op><=|>=|≤|≥|<|>|=|~|≈)?\s?"
    r"(?P<sign>[-+±])?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?:\s?(?P<unit>" + _UNITS + r"))?(?![a-z0-9])",
    re.IGNORECASE,
)
_P_RE: Final = re.compile(r"\bp\s*$", re.IGNORECASE)
_RATIO_RE: Final = re.compile(r"\b(HR|OR|RR|[Rr]atio|[Rr]isk)\b[\s:=,(]*(?:of|was|is)?\s*$")
_CI_RE: Final = re.compile(r"\bci\b[^0-9]{0,12}(\d[^;)\]]{0,20})?$", re.IGNORECASE)
_UNIT_CANON: Final = {
    "month": "month", "months": "month", "year": "year", "years": "year", "week": "week",
    "weeks": "week", "day": "day", "days": "day", "hour": "h", "hours": "h", "hr": "h",
    "hrs": "h", "h": "h", "x": "fold", "mg/m²": "mg/m2",
}  # fmt: skip


def _canonical(num: str) -> str:
    num = num.replace(",", "")
    if "." in num:
        num = num.rstrip("0").rstrip(".")
    if num.startswith("0."):
        return num
    return num.lstrip("0") or "0"


# How much of the text before a number ``numbers`` hands to ``_number_kind``: its patterns are
# anchored at the end (a p, HR, CI just before the number), so the whole prefix would only
# make long texts quadratic.
_KIND_CONTEXT: Final = 64


def _number_kind(before: str, unit: str) -> NumberKind:
    if _P_RE.search(before):
        return "p_value"
    if _RATIO_RE.search(before):
        return "ratio"
    if _CI_RE.search(before[-30:]):
        return "interval"
    return "percent" if unit == "%" else "plain"


def numbers(text: str) -> list[Number]:
    """The numbers of ``text`` in order, not counting digits inside names (``CD8``, ``IL-2``)."""
    text = normalise(text)
    out: list[Number] = []
    for m in _NUMBER_RE.finditer(text):
        num_start = m.start("num")
        sign = m.group("sign") or ""
        before = text[max(0, num_start - len(sign) - 1) : num_start - len(sign)]  # last char
        if before[-1:].isalpha() or (
            not sign and (before[-1:].isdigit() or before[-1:] in {".", "/"})
        ):
            continue  # CD8, IL-2, claudin-18, 2.3.1, 1/2
        if sign and (before[-1:].isdigit() or before[-1:] == "%"):
            sign = ""  # a range: 0.50-0.77
        if sign == "+":
            sign = ""
        unit = (m.group("unit") or "").lower()
        unit = _UNIT_CANON.get(unit, unit)
        op = {"<=": "≤", ">=": "≥", "≈": "~"}.get(m.group("op") or "", m.group("op") or "")
        if op == "=":
            op = ""
        out.append(
            Number(
                value=sign + _canonical(m.group("num")),
                unit=unit,
                op=op,
                kind=_number_kind(text[max(0, m.start() - _KIND_CONTEXT) : m.start()], unit),
                text=m.group().strip(),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Salient terms

_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
_DRUG_RE: Final = re.compile(
    r"(mab|nib|platin|taxel|rubicin|lomide|tecan|mustine|citabine|trexate|parib|lisib|ciclib)$"
)
_CELL_HEADS: Final = frozenset(
    """t b nk nkt car treg dc cdc1 pdc stem plasma mast dendritic myeloid killer helper memory
    effector cd4 cd8 th1 th2 th17 tfh mait ilc ilc2 ilc3 gammadelta""".split()
)
_NOT_SYMBOLS: Final = frozenset(
    {"ci", "hr", "or", "rr", "et", "al", "vs", "us", "uk", "ii", "iii", "iv"}
)
# Inflected words (relation verbs, adverbs) must be rarer than this to count.
RARE_INFLECTED_ZIPF: Final = 2.5
_NOT_SALIENT: Final = frozenset(
    """thereby whereby moreover furthermore hence herein therein thus versus respectively
    notably albeit namely likewise overall whilst amongst""".split()
)


def _symbolish(part: str, after_symbol: bool) -> bool:
    if not part:
        return False
    has_digit = any(c.isdigit() for c in part)
    has_alpha = any(c.isalpha() for c in part)
    if has_digit and has_alpha:
        return True
    if part.isdigit() or part.lower() in GREEK.values() or (len(part) == 1 and part.isupper()):
        return after_symbol
    core = part.rstrip("+")
    if len(core) >= 2 and core.isupper():
        return not (len(core) >= 6 and not is_rare(core.lower()))
    return any(c.isupper() for c in core[1:]) and any(c.islower() for c in core)


def _key(surface: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "", surface.lower())
    return _KEY_ALIASES.get(key, key)


def _group_terms(group: list[str]) -> Iterable[Term]:
    """One name per hyphen group, or one per part for a pathway (``JAK1-STAT1-IRF1``)."""
    pathway = len(group) > 1 and all(len(p) >= 3 and _symbolish(p, False) for p in group)
    for surface in group if pathway else ["-".join(group)]:
        if re.fullmatch(r"[A-Z0-9-]{2,}s", surface):
            surface = surface[:-1]
        key = _key(surface)
        if key and key not in _NOT_SYMBOLS and not key.isdigit():
            yield Term(key, "symbol", surface)


def _symbols(text: str) -> Iterable[Term]:
    """Names written as symbols (``PD-L1``, ``IFN-gamma``, ``CD8+``, ``cDC1``, ``MDSCs``)."""
    for token in _TOKEN_RE.findall(text):
        yield from _token_symbols(token)


@lru_cache(maxsize=65536)
def _token_symbols(token: str) -> tuple[Term, ...]:
    out: list[Term] = []
    group: list[str] = []
    for part in [*token.split("-"), ""]:
        if _symbolish(part, bool(group)):
            group.append(part)
            continue
        if group:
            out.extend(_group_terms(group))
            group = []
        if _symbolish(part, False):
            group.append(part)
    return tuple(out)


_INFLECTED_RE: Final = re.compile(r"(ed|es|ing|ly)$")


def _words(folded: str) -> Iterable[Term]:
    tokens = re.findall(r"[a-z0-9+]+", folded)
    for i, word in enumerate(tokens):
        if word in {"cell", "cells"} and i and tokens[i - 1].rstrip("+") in _CELL_HEADS:
            yield Term(tokens[i - 1].rstrip("+") + "cell", "cell", f"{tokens[i - 1]} {word}")
        term = _word_term(word)
        if term is not None:
            yield term


@lru_cache(maxsize=65536)
def _word_term(word: str) -> Term | None:
    """The salient-word term of one folded token, if it is one."""
    if not word.isalpha() or word in _NOT_SALIENT or not is_rare(word):
        return None
    if _INFLECTED_RE.search(word) and not _very_rare(word):
        return None
    kind: TermKind = "drug" if _DRUG_RE.search(word) else "word"
    return Term(stem(word), kind, word)


def salient_terms(text: str) -> set[Term]:
    """The salient names, cell types, drugs and rare words of ``text`` (numbers: ``numbers``)."""
    normal = normalise(text)
    symbols = set(_symbols(normal))
    symbol_words = {w for t in symbols for w in re.findall(r"[a-z]+", t.text.lower())}
    words = {t for t in _words(normal.lower()) if t.kind == "cell" or t.text not in symbol_words}
    return symbols | words


@lru_cache(maxsize=4096)
def term_keys(text: str) -> frozenset[str]:
    """Every key ``text`` offers to a presence check (see ``missing_terms``)."""
    tokens = re.findall(r"[a-z0-9]+", fold(text))
    tokens = ["cell" if t == "cells" else t for t in tokens]
    # runs of 1, 2 and 3 tokens, squashed, and their aliases
    keys = {*tokens, *map("".join, pairwise(tokens))}
    keys.update(map("".join, zip(tokens, tokens[1:], tokens[2:], strict=False)))
    keys.update([_KEY_ALIASES[k] for k in keys if k in _KEY_ALIASES])
    for tok in set(tokens):
        keys.update(_token_keys(tok))
    keys.update(n.key for n in numbers(text))
    return frozenset(keys)


@lru_cache(maxsize=65536)
def _token_keys(tok: str) -> tuple[str, ...]:
    """A token's stem, the targets of a drug it names, and its singular."""
    base = stem(tok)
    singular = (tok[:-1],) if len(tok) >= 3 and tok.endswith("s") else ()
    return (base, *DRUG_TARGETS.get(base, ()), *singular)


@lru_cache(maxsize=4096)
def _sorted_keys(keys: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(k for k in keys if k.isalpha()))


def common_prefix(a: str, b: str) -> int:
    """Length of the longest shared start of ``a`` and ``b``."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _prefix_present(word: str, keys: frozenset[str]) -> bool:
    """A rare word is present when some word shares all but its last 3 letters (at least 5):
    ``infiltration`` / ``infiltrating``, ``necroptotic`` / ``necroptosis``."""
    if len(word) < 5:
        return False
    ordered = _sorted_keys(keys)
    head = word[:5]
    i = bisect_left(ordered, head)
    while i < len(ordered) and ordered[i].startswith(head):
        other = ordered[i]
        shared = common_prefix(word, other)
        if shared >= max(5, min(len(word), len(other)) - 3):
            return True
        i += 1
    return False


def present(term: Term | Number, keys: frozenset[str]) -> bool:
    """True when ``term`` occurs among ``keys`` (from ``term_keys``)."""
    if term.key in keys:
        return True
    return (
        isinstance(term, Term) and term.kind in {"word", "drug"} and _prefix_present(term.key, keys)
    )


def missing_terms(text: str, reference: str) -> list[Term | Number]:
    """Salient terms and numbers of ``text`` that ``reference`` does not contain, in a stable
    order (empty when ``text`` says nothing ``reference`` lacks, by this measure)."""
    keys = term_keys(reference)
    found: list[Term | Number] = sorted(salient_terms(text), key=lambda t: t.key)
    found += list({n.key: n for n in numbers(text)}.values())
    return [t for t in found if not present(t, keys)]
