"""Offline polarity detection: directional assertions in a claim, and whether two claims
agree or disagree.

The same target (what is affected) and the same subject (what acts) with opposite direction
is a **disagreement**; the same direction an **agreement**; an effect against an explicit
"no (significant) effect" is a disagreement of kind ``effect_vs_null``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from litdigest.digest.model import STOP_WORDS, Polarity, content_words, stem, word_tokens

__all__ = [
    "NULL_MIN_SIMILARITY",
    "RELATION_MIN_SIMILARITY",
    "Assertion",
    "Found",
    "Parsed",
    "assertions",
    "compare",
    "compare_claims",
    "compatible_contexts",
    "compound",
    "context_terms",
    "fold",
    "related",
    "salient_terms",
]

# Claims compared for (dis)agreement must be about the same thing first.
RELATION_MIN_SIMILARITY: Final = 0.4
NULL_MIN_SIMILARITY: Final = 0.7  # "effect vs no effect" is noisier: claims must be closer

# Target words too generic to make two claims "about the same thing" on their own.
_WEAK_TARGET: Final = frozenset(
    "level levels rate rates risk risks outcome outcomes response responses activity function "
    "expression number amount proportion frequency patient patients people group groups "
    "significant significantly statistically cell cells tumour tumours tumor tumors cancer "
    "cancers carcinoma model models".split()
)
_STATS_WORDS: Final = frozenset(
    "ci smd md rr or hr confidence interval ratio mean difference quality low moderate high "
    "very certainty grade bias random randomised randomized trial rct rcts i2 heterogeneity "
    "statistically significant significantly clear clearly".split()
)
_MORTALITY: Final = frozenset({"mortality", "death", "deaths", "dying", "die", "died", "fatal"})


_UP_PREFIXES: Final = (
    "increas",
    "enhanc",
    "promot",
    "improv",
    "boost",
    "augment",
    "elevat",
    "upregulat",
    "up-regulat",
    "stimulat",
    "potentiat",
    "expand",
    "amplif",
    "prolong",
    "accelerat",
    "exacerbat",
    "strengthen",
    "restor",
    "favour",
    "favor",
)
_UP_WORDS: Final = frozenset(
    "higher more greater better longer raise raised raises raising rise rises rose gain gains "
    "benefit benefits beneficial superior extended extends".split()
)
_DOWN_PREFIXES: Final = (
    "decreas",
    "reduc",
    "diminish",
    "suppress",
    "inhibit",
    "impair",
    "attenuat",
    "downregulat",
    "down-regulat",
    "abrogat",
    "abolish",
    "dampen",
    "shorten",
    "worsen",
    "deplet",
    "restrain",
    "curtail",
    "prevent",
    "weaken",
    "compromis",
    "hamper",
    "hinder",
)
_DOWN_WORDS: Final = frozenset(
    "lower lowered lowers lowering less fewer worse poorer poor shorter loss decline declined "
    "declines drop dropped inferior harm harmful".split()
)
_NEGATORS: Final = frozenset(
    "not no never without neither nor cannot fail failed fails unable lack lacked".split()
)
_NULL_RE: Final = re.compile(
    r"\b(?:no|not)\s+(?:statistically\s+)?(?:significant(?:ly)?\s+)?"
    r"(?:difference|differences|effect|effects|change|changes|impact|benefit|improvement|"
    r"association|associated|different|differ|affect|affected|alter|altered|influence)\b"
    r"|\bdid\s+not\s+differ\b|\bunchanged\b|\bunaffected\b|\bcomparable\b|\bsimilar\s+(?:rates|risk)",
    re.I,
)
_RATIO_RE: Final = re.compile(
    r"\b(?P<kind>a?HR|a?OR|a?RR|hazard\s+ratio|odds\s+ratio|risk\s+ratio|relative\s+risk)"
    r"(?:\s*\([^)]{0,20}\))?[\s:=,]*(?:of\s+|was\s+|=\s*)?(?P<value>\d*\.\d+|\d+)"
    r"(?:[^;)\]]{0,25}?\b(?:CI|confidence\s+interval)(?:\s*\(CI\))?[\s:,=]*"
    r"(?P<lo>-?\d*\.\d+|-?\d+)\s*"
    r"(?:to|-|–|—|,)\s*(?P<hi>\d*\.\d+|\d+))?",
    re.I,
)
# Hedges: a cue after one of these in the same sentence asserts no (demonstrated) effect.
_HEDGE_RE: Final = re.compile(
    r"\b(?:no|little|insufficient|limited|inconclusive)\s+(?:\w+\s+){0,2}?evidence\b"
    r"|\bunclear\b|\buncertain\b|\binconclusive\b|\bnot\s+(?:been\s+)?(?:shown|demonstrated|"
    r"established|proven)\b",
    re.I,
)
_SENTENCE_END_RE: Final = re.compile(r"[.!?](?:\s|$)")
_CLAUSE_BREAK: Final = re.compile(r"[;:()\[\]]|,\s|\bbut\b|\bwhereas\b|\bwhile\b|\bthat\b", re.I)
_BE: Final = frozenset("is are was were be been being".split())
_TARGET_WINDOW: Final = 5
_SETTING_PREPOSITIONS: Final = frozenset("in among within during after before across at".split())


@dataclass(frozen=True, slots=True)
class Assertion:
    """One directional statement inside a claim: ``cue`` moves ``target`` by ``polarity``."""

    polarity: Polarity  # 1 up, -1 down, 0 explicitly no effect
    cue: str
    target: frozenset[str]
    start: int  # of the cue in the text


def _cue_polarity(word: str) -> Polarity | None:
    w = word.casefold()
    if w in _UP_WORDS or w.startswith(_UP_PREFIXES):
        return 1
    if w in _DOWN_WORDS or w.startswith(_DOWN_PREFIXES):
        return -1
    return None


_CELL_RE: Final = re.compile(r"\b(?:[TB]|NK|CD\d+\+?) cells?\b")


def compound(text: str) -> str:
    """ "T cells" as one word ("T-cells"), same length so offsets hold."""
    return _CELL_RE.sub(lambda m: m.group().replace(" ", "-"), text)


def _nominal(word: str) -> bool:
    """A cue used as a noun or gerund ("depletion", "depleting", "blockade")."""
    return word.casefold().endswith(("ion", "ions", "ing", "ade"))


def _clause_bounds(text: str, pos: int) -> tuple[int, int]:
    start = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, pos):
        start = m.end()
    nxt = _CLAUSE_BREAK.search(text, pos)
    return start, (nxt.start() if nxt else len(text))


def _window(words: list[str], *, from_end: bool) -> frozenset[str]:
    """Up to ``_TARGET_WINDOW`` content words from the start (or end) of ``words``."""
    seq = reversed(words) if from_end else iter(words)
    out: list[str] = []
    for word in seq:
        stemmed = stem(word)
        if out and not from_end and stemmed in _SETTING_PREPOSITIONS:
            break  # "infiltration in melanoma": the setting is not the target
        if _cue_polarity(word) is not None or stemmed in _NEGATORS:
            if out:
                break
            continue
        if stemmed in STOP_WORDS or len(stemmed) < 2 or not any(ch.isalpha() for ch in stemmed):
            continue
        out.append(stemmed)
        if len(out) >= _TARGET_WINDOW:
            break
    return frozenset(out)


def _canonical(polarity: Polarity, target: frozenset[str]) -> tuple[Polarity, frozenset[str]]:
    """Mortality and death are survival with the opposite sign ("reduced mortality" is
    "improved survival")."""
    if target & _MORTALITY:
        flipped: Polarity = 1 if polarity == -1 else (-1 if polarity == 1 else 0)
        return flipped, (target - _MORTALITY) | {"survival"}
    return polarity, target


def assertions(text: str) -> list[Assertion]:
    """The directional statements of ``text`` (see the module docstring)."""
    out: list[Assertion] = []
    text = compound(text)
    tokens = word_tokens(text)
    null_spans = [m.span() for m in _NULL_RE.finditer(text)]
    for m in _HEDGE_RE.finditer(text):  # the rest of the sentence is hedged
        stop = _SENTENCE_END_RE.search(text, m.end())
        null_spans.append((m.start(), stop.start() if stop else len(text)))
    for k, (word, start, _end) in enumerate(tokens):
        polarity = _cue_polarity(word)
        if polarity is None:
            continue
        lo, hi = _clause_bounds(text, start)
        before = [w for w, s, _ in tokens[:k] if s >= lo]
        after = [w for w, s, _ in tokens[k + 1 :] if s < hi]
        if _nominal(word) and any(_cue_polarity(w) is not None for w in after):
            continue  # "T cell depletion improved X": the intervention, not an effect
        prev = [stem(w) for w in before[-3:]]
        negated = any(p in _NEGATORS or p.endswith("n't") for p in prev) or any(
            a <= start < b for a, b in null_spans
        )
        # "X was reduced", "survival is improved": the target precedes the cue
        passive = bool(before) and before[-1].casefold() in _BE
        if passive or not after:
            target = _window(before[:-1] if passive else before, from_end=True)
        else:
            target = _window(after, from_end=False)
        if not target:
            continue
        pol: Polarity = 0 if negated else polarity
        pol, target = _canonical(pol, target)
        out.append(Assertion(pol, word.casefold(), target, start))
    for m in _NULL_RE.finditer(text):  # "no significant difference in survival"
        if any(a.start >= m.start() and a.start < m.end() for a in out):
            continue
        lo, hi = _clause_bounds(text, m.end())
        after = [w for w, s, _ in tokens if m.end() <= s < hi]
        before = [w for w, s, _ in tokens if lo <= s < m.start()]
        target = _window(after, from_end=False) or _window(before, from_end=True)
        if target:
            pol0, target = _canonical(0, target)
            out.append(Assertion(pol0, m.group().casefold(), target, m.start()))
    for m in _RATIO_RE.finditer(text):  # HR < 1 vs HR > 1 on the outcome named before it
        try:
            value = float(m.group("value"))
            lo_ci = float(m.group("lo")) if m.group("lo") else None
            hi_ci = float(m.group("hi")) if m.group("hi") else None
        except ValueError:
            continue
        if value <= 0:
            continue
        pol_r: Polarity
        if lo_ci is not None and hi_ci is not None and lo_ci <= 1.0 <= hi_ci:
            pol_r = 0
        else:
            pol_r = 1 if value > 1 else (-1 if value < 1 else 0)
        anchor = m.start()
        head = text[:anchor].rstrip()
        if head.endswith(("(", "[", ",", ";")):  # "better survival (HR 0.62, ...)"
            anchor = len(head) - 1
        lo, _ = _clause_bounds(text, anchor)
        before = [w for w, s, _ in tokens if lo <= s < anchor]
        target = _window(before, from_end=True) | {"ratio:" + _ratio_kind(m.group("kind"))}
        pol_r, target = _canonical(pol_r, frozenset(target))
        out.append(Assertion(pol_r, m.group("kind"), target, m.start()))
    return out


def _ratio_kind(kind: str) -> str:
    k = kind.casefold().lstrip("a")
    return {
        "hazard ratio": "hr",
        "odds ratio": "or",
        "risk ratio": "rr",
        "relative risk": "rr",
    }.get(" ".join(k.split()), k)


_WEIGHTED_RE: Final = re.compile(r"[A-Z0-9].*[A-Z0-9]|.*\d")


def _strong(words: Iterable[str]) -> set[str]:
    return {w for w in words if w not in _WEAK_TARGET and not w.startswith("ratio:")}


@dataclass(frozen=True, slots=True)
class Parsed:
    """A claim prepared for comparison: its assertions, content words, salient entities and
    setting."""

    assertions: list[Assertion]
    words: set[str]
    salient: frozenset[str]
    context: dict[str, frozenset[str]]
    text: str = ""  # compounded, case-folded: orders the words of a target
    setting: frozenset[str] = frozenset()  # content words of the setting phrases

    @classmethod
    def of(cls, text: str, salient: frozenset[str] | None = None) -> Parsed:
        words = content_words(compound(text))
        folded = compound(text).casefold()
        context, setting = _contexts(text)
        return cls(
            assertions(text),
            words,
            salient_terms(text) if salient is None else salient,
            context,
            folded,
            setting,
        )


def related(pa: Parsed, pb: Parsed) -> bool:
    """Comparable at all: a shared salient entity and compatible settings."""
    return bool(pa.salient & pb.salient) and compatible_contexts(pa.context, pb.context)


Found = tuple[Literal["disagree", "agree"], str, str, str]


def compare_claims(text_a: str, text_b: str) -> Found | None:
    """How two claims relate: ``("disagree"|"agree", opposition, target, detail)`` or None.

    Two assertions are comparable when their targets share a strong word (not a generic one
    like "level" or "risk") and the rest of the claims (the subject: what acts, in which
    setting) overlap: at least half of the smaller subject, or the subjects are both empty.
    Opposite non-zero polarities disagree (``opposite``); an effect against an explicit
    no-effect disagrees (``effect_vs_null``); equal non-zero polarities agree.
    """
    return compare(Parsed.of(text_a), Parsed.of(text_b))


def compare(pa: Parsed, pb: Parsed, *, allow_null: bool = True) -> Found | None:
    found_a, found_b = pa.assertions, pb.assertions
    if not found_a or not found_b or not related(pa, pb):
        return None
    setting = pa.setting | pb.setting
    words_a = _strong(pa.words - _STATS_WORDS - setting)
    words_b = _strong(pb.words - _STATS_WORDS - setting)
    best: tuple[int, Literal["disagree", "agree"], str, str, str] | None = None
    for a in found_a:
        for b in found_b:
            shared = (a.target & b.target) - setting
            strong = _strong(shared)
            ratio_match = any(w.startswith("ratio:") for w in shared)
            if not strong and not (ratio_match and _strong(a.target) & _strong(b.target)):
                continue
            subj_a = _subject(words_a - a.target)
            subj_b = _subject(words_b - b.target)
            if subj_a and subj_b:
                overlap = len(subj_a & subj_b) / min(len(subj_a), len(subj_b))
                if overlap < 0.5:
                    continue
            elif subj_a or subj_b:
                continue
            target = _display({w for w in shared if not w.startswith("ratio:")} or strong, pa.text)
            if a.polarity != 0 and b.polarity != 0:
                if a.polarity == b.polarity:
                    candidate = (1, "agree", "same", target, f"both {_arrow(a.polarity)}")
                else:
                    candidate = (3, "disagree", "opposite", target, f"{a.cue} vs {b.cue}")
            elif a.polarity != b.polarity and allow_null:
                candidate = (2, "disagree", "effect_vs_null", target, f"{a.cue} vs {b.cue}")
            else:
                continue
            score = (candidate[0], len(strong))
            if best is None or score > (best[0], len(best[3].split())):
                best = candidate  # type: ignore[assignment]
    if best is None:
        return None
    return best[1], best[2], best[3], best[4]


_GENERIC_ACTORS: Final = frozenset(
    "therapy therapies treatment treatments blockade blocking inhibition inhibitor inhibitors "
    "agent agents drug drugs signalling signaling pathway lesion lesions".split()
)


def _subject(words: set[str]) -> set[str]:
    """Subject words, folded (``anti-PD-1`` and ``PD-1`` are one key), generic actors out."""
    out: set[str] = set()
    for w in words:
        if _cue_polarity(w) is not None or w in _NEGATORS or w in _GENERIC_ACTORS:
            continue
        key = fold(w)
        if key.startswith("anti") and any(ch.isdigit() for ch in key):
            key = key[4:]
        out.add(_ALIASES.get(key, key))
    return out


def _display(words: Iterable[str], text: str) -> str:
    """Target words in their order in the claim ("cd8 t cell infiltration")."""
    ordered = sorted(words, key=lambda w: (text.find(w) if w in text else len(text), w))
    return " ".join(w.replace("-cell", " cell") for w in ordered)


def _arrow(polarity: int) -> str:
    return "increase" if polarity > 0 else "decrease"


# --------------------------------------------------------------------------------------------
# Salient entities (target, intervention, outcome) and context. ``salient_terms`` is the one
# entry point: swap its body for ``litdigest.terms`` when that module fits.

_GREEK: Final = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ω": "omega",
}
_NOT_SYMBOLS: Final = frozenset(
    "ci rr or hr md smd rct rcts grade itt usa uk ii iii iv vi dna rna ap no na nr ns sd se "
    "iqr bmi who fda ema nice nih vs et al eg ie aor ahr arr ai".split()
)
# Domain vocabulary: surface pattern -> canonical key (multi-word terms first).
_VOCAB: Final = [
    (r"overall survival", "overall survival"),
    (r"progression[- ]free survival", "progression-free survival"),
    (r"disease[- ]free survival", "disease-free survival"),
    (r"survival|mortality|death", "survival"),
    (r"(?:objective |overall |complete )?response rates?", "response rate"),
    (r"remissions?", "remission"),
    (r"relapses?|recurrences?", "recurrence"),
    (r"metastas[ie]s|metastatic spread", "metastasis"),
    (r"tumou?r (?:growth|burden|size)", "tumour growth"),
    (r"tumou?r (?:control|regression|rejection)", "tumour control"),
    (r"toxicit(?:y|ies)|adverse events?", "toxicity"),
    (r"quality of life", "quality of life"),
    (r"fatigue", "fatigue"),
    (r"pain", "pain"),
    (r"regulatory t cells?|tregs?", "regulatory t cell"),
    (r"(?:cd8\+? |cytotoxic |effector )t cells?|ctls?", "cd8 t cell"),
    (r"t cells?|t lymphocytes?|tumou?r[- ]infiltrating lymphocytes|tils?", "t cell"),
    (r"nk cells?|natural killer cells?", "nk cell"),
    (r"b cells?", "b cell"),
    (r"dendritic cells?", "dendritic cell"),
    (r"macrophages?|tams?", "macrophage"),
    (r"neutrophils?", "neutrophil"),
    (r"myeloid[- ]derived suppressor cells?|mdscs?", "mdsc"),
    (r"infiltration|recruitment|penetration|exclusion|trafficking", "infiltration"),
    (r"proliferation|expansion", "proliferation"),
    (r"apoptosis", "apoptosis"),
    (r"angiogenesis", "angiogenesis"),
    (r"exhaustion", "exhaustion"),
    (r"cytotoxi(?:city|c activity)|killing", "cytotoxicity"),
    (r"antigen presentation", "antigen presentation"),
    (r"hypoxi[ac]", "hypoxia"),
    (r"glycolysis", "glycolysis"),
    (r"lactate", "lactate"),
    (r"adenosine", "adenosine"),
    (r"\bph\b", "ph"),
    (r"glucose", "glucose"),
    (r"efficacy", "efficacy"),
    (r"chemotherapy", "chemotherapy"),
    (r"radiotherapy|radiation therapy", "radiotherapy"),
    (r"immunotherapy", "immunotherapy"),
    (r"checkpoint (?:blockade|inhibitors?|inhibition)", "checkpoint blockade"),
    (r"vaccines?|vaccination", "vaccine"),
    (r"car[- ]t", "car t"),
    (r"oncolytic virus(?:es)?", "oncolytic virus"),
    (r"exercise", "exercise"),
    (r"yoga", "yoga"),
    (r"antibiotics?", "antibiotic"),
    (r"microbiota|microbiome", "microbiota"),
    (r"interferon[- ]gamma|ifn[- ]?(?:γ|gamma)", "ifngamma"),
    (r"type i interferons?|ifn-?i\b", "ifn i"),
    (r"sting", "sting"),
    (r"tumou?r mutational burden|tmb", "tmb"),
    (r"neoantigens?", "neoantigen"),
    (r"cytokine release syndrome", "cytokine release syndrome"),
    (r"neutropenia", "neutropenia"),
    (r"sleep", "sleep"),
    (r"stroma|fibroblasts?", "stroma"),
]
# One pass: a zero-width lookahead per position, so overlapping terms ("CD8+ T cells" and
# "T cells", "overall survival" and "survival") are all found.
_VOCAB_RE: Final = re.compile(
    "(?=\\b(?:" + "|".join(f"(?P<v{i}>{p})" for i, (p, _) in enumerate(_VOCAB)) + ")\\b)", re.I
)
_VOCAB_KEYS: Final = {f"v{i}": key for i, (_, key) in enumerate(_VOCAB)}
_CONTEXTS: Final = {
    "cancer": [
        (r"melanomas?", "melanoma"),
        (r"(?:non[- ]small[- ]cell )?lung (?:cancer|carcinoma|adenocarcinoma)|nsclc", "lung"),
        (r"breast (?:cancer|carcinoma|tumou?rs?)", "breast"),
        (r"colorectal|colon (?:cancer|carcinoma)|rectal cancer", "colorectal"),
        (r"pancreatic", "pancreas"),
        (r"prostate", "prostate"),
        (r"ovarian", "ovary"),
        (r"gliomas?|glioblastomas?", "glioma"),
        (r"lymphomas?", "lymphoma"),
        (r"leuka?emias?", "leukaemia"),
        (r"renal cell|kidney cancer", "kidney"),
        (r"urothelial|bladder", "bladder"),
        (r"hepatocellular|liver cancer", "liver"),
        (r"gastric|stomach cancer", "stomach"),
        (r"gastrointestinal stromal", "gist"),
        (r"head and neck", "head and neck"),
        (r"sarcomas?", "sarcoma"),
        (r"diabetes", "diabetes"),
    ],
    "species": [
        (r"mice|mouse|murine", "mouse"),
        (r"rats?", "rat"),
        (r"patients?|humans?|participants|people|women|men|survivors", "human"),
    ],
}
_CONTEXT_LIST: Final = [(kind, p, key) for kind, v in _CONTEXTS.items() for p, key in v]
_CONTEXT_RE: Final = re.compile(
    "(?=\\b(?:" + "|".join(f"(?P<c{i}>{p})" for i, (_, p, _) in enumerate(_CONTEXT_LIST)) + ")\\b)",
    re.I,
)


@lru_cache(maxsize=65536)
def fold(term: str) -> str:
    """A folded key for a term: case, Greek letters, hyphens, spaces and British spelling."""
    out = term.casefold().rstrip("+")
    for letter, name in _GREEK.items():
        out = out.replace(letter, name)
    out = out.replace("tumour", "tumor").replace("oe", "e").replace("ae", "e")
    return re.sub(r"[\s\-/]+", "", out)


def salient_terms(text: str) -> frozenset[str]:
    """Folded salient entities of ``text``: gene/protein/cell-type symbols and drug names
    (``litdigest.terms``, the project's one folding: ``PD-L1``/``PDL1``, ``IFN-γ``/``IFN-gamma``)
    plus the domain vocabulary of targets, interventions and outcomes (``_VOCAB``: survival,
    infiltration, chemotherapy…). Settings (cancer type, species) are not entities: they are
    compared by ``context_terms``."""
    from litdigest import terms

    found = {
        _ALIASES.get(t.key, t.key)
        for t in terms.salient_terms(text)
        if t.kind in _TERM_KINDS and t.key not in _NOT_SYMBOLS and len(t.key) >= 2
    }
    for m in _VOCAB_RE.finditer(text):
        found.add(fold(_VOCAB_KEYS[m.lastgroup or ""]))
    return frozenset(found)


_TERM_KINDS: Final = frozenset({"symbol", "cell", "drug"})
_ALIASES: Final = {"pdl1": "pdl1", "antipd1": "pd1", "cd8": "cd8tcell", "ifng": "ifngamma"}


def context_terms(text: str) -> dict[str, frozenset[str]]:
    """Setting of a claim per kind (cancer type, species): ``{"cancer": {"melanoma"}, …}``."""
    return _contexts(text)[0]


def _contexts(text: str) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """The settings per kind, and the content words of the phrases naming them."""
    found: dict[str, set[str]] = {kind: set() for kind in _CONTEXTS}
    words: set[str] = set()
    for m in _CONTEXT_RE.finditer(text):
        name = m.lastgroup or ""
        kind, _, key = _CONTEXT_LIST[int(name[1:])]
        found[kind].add(key)
        words |= content_words(m.group(name))
    return {k: frozenset(v) for k, v in found.items()}, frozenset(words)


_NO_CONTEXT: Final = {k: frozenset[str]() for k in _CONTEXTS}


def compatible_contexts(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> bool:
    """False when both claims name a setting of one kind and the settings do not overlap."""
    return all(not (a[k] and b[k]) or bool(a[k] & b[k]) for k in a)
