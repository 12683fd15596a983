"""Semantic match of summary claims against reference key points.

A claim *covers* a key point when both hold:

* the **salient-term gate**: the key point's salient terms (``litdigest.terms``: gene,
  protein, cytokine, cell-type, drug and pathway names, rare domain words) are present in the
  claim or its quotes — at least ``TERM_GATE`` of its names (symbols, cell types, drugs) and
  *every* number it states — and an absent name is not replaced by a sibling (IL-12 for IL-2,
  PD-L2 for PD-L1); a key point naming nothing needs one of its specific words (not a
  ``_GENERIC_WORDS`` field word) in the claim; the two do not conflict (``conflicting``:
  opposite direction, ``polarity``; an effect vs no effect or certain vs uncertain evidence,
  ``stance``; "X makes Y" vs "Y changes X", ``relations``); no two names swap agent and
  patient roles (``roles.swapped``: "CD8 T cells kill TAMs" vs "TAMs suppress CD8 T cells");
  and the shared words come mostly
  in the key point's order (``ORDER_GATE``: a word salad does not match). Both texts are
  first put in one form (``match_form``: expansions and variants the ``litdigest.terms``
  folding lacks, e.g. ``neutrophil-to-lymphocyte ratio`` = ``NLR``, and the general lay /
  technical equivalences of ``litdigest.evaluate.lexicon``: ``hair loss`` = ``alopecia``,
  ``hepatic`` = ``liver``, ``NNT`` = ``number needed to treat``; and each number's unit
  written one way, ``unit_form``: ``10-min`` = ``10 minutes``, ``2x`` = ``twofold``,
  ``5 per cent`` = ``5%``, ``37 degrees C`` = ``37°C``); a claim naming another drug
  or another disease (``condition_substituted``: colitis for hepatitis, colon for rectal
  cancer) in place of an absent one is a substitution too, and so is any other name put in
  the absent name's slot of the frame both texts share (``slot_substituted``: "IFN-γ
  upregulates MHC class II on cancer cells" for "... upregulates PD-L1 on cancer cells");
* the **score** reaches ``MATCH_THRESHOLD``:
  ``W_EMBED * cosine + W_CONTAIN * containment + W_ORDER * lcs_recall + W_TERMS * terms``,
  where ``cosine`` is the static WordLlama embedding similarity (``litdigest.llm.embed``,
  offline), ``containment`` / ``lcs_recall`` the share of the key point's content words found
  in the claim (in order for the latter), and ``terms`` the share of its salient terms the
  statement itself states (the gate also looks in the quotes; the score does not); a key
  point with no salient term gets its ``containment`` there, not a free 1 (broad key points
  would otherwise match any sentence of the same field).

``MatchParts`` keeps every part of one comparison (for the report's explanations). The
threshold is calibrated on the ``train`` pairs of ``evals/calibration/pairs.yaml`` by
``calibrate`` (F1-maximising; ties: the midpoint of the best plateau), the procedure is
cross-validated within them (``cross_validate``: threshold from 4 folds of topic groups,
``pair_groups``, scored on the fifth),
and the matcher is reported on the ``heldout`` pairs; ``tests/test_eval_match.py`` recomputes the threshold and
fails when the stored value is no longer best.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from litdigest.evaluate.lexicon import canonical
from litdigest.evaluate.roles import swapped
from litdigest.terms import (
    Number,
    Term,
    common_prefix,
    numbers,
    present,
    salient_terms,
    term_keys,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "COHERENCE_GATE",
    "MATCH_THRESHOLD",
    "TERM_GATE",
    "Calibration",
    "LabelledPair",
    "MatchParts",
    "Matcher",
    "calibrate",
    "coherent",
    "content_tokens",
    "cross_validate",
    "evaluate_pairs",
    "lexical_features",
    "load_pairs",
    "match_form",
    "match_score",
    "number_words_ok",
    "pair_groups",
    "polarity",
    "relations",
    "slot_substituted",
    "stance",
    "stem",
    "unit_form",
]

W_EMBED: Final = 0.5
W_CONTAIN: Final = 0.15
W_ORDER: Final = 0.15
W_TERMS: Final = 0.15
# Share of the key point's names (symbols, cell types, drugs) the claim must contain.
TERM_GATE: Final = 0.5
# The in-order share of the key point's words must reach this fraction of the shared share.
ORDER_GATE: Final = 0.5
# Calibrated on the train pairs of evals/calibration/pairs.yaml (see the module docstring).
MATCH_THRESHOLD: Final = 0.26

STOPWORDS: Final = frozenset(
    """a about above after again against all also although among an and any are as at be
    because been before being both but by can could did do does during each either for from
    further had has have having here how however i if in into is it its itself may might more
    most much must no nor not of on once only or other our out over own per rather same
    several should so some such than that the their them then there these they this those
    through thus to too under until up upon very via was we were what when where whereas
    whether which while who whom whose why will with within without would yet""".split()
)
# "no"/"not"/"more" are stop words for overlap; polarity is left to the order and embedding.

_TOKEN_RE: Final = re.compile(r"[^\W_]+", re.UNICODE)
_SUFFIXES: Final = (
    "ations",
    "ation",
    "ings",
    "ing",
    "edly",
    "ed",
    "ies",
    "es",
    "s",
    "ly",
    "ion",
    "ions",
)
_SPELLING: Final = (("our", "or"), ("ise", "ize"), ("yse", "yze"), ("oe", "e"), ("ae", "e"))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light stem of a lower-case word: British spellings folded, one common suffix removed."""
    if word.isdigit() or len(word) <= 3:
        return word
    for old, new in _SPELLING:
        if old in word and not word.startswith(old):
            word = word.replace(old, new)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix == "ies":
                base += "y"
            return base.rstrip("e") if len(base) > 4 else base
    return word.rstrip("e") if len(word) > 4 else word


# Expansions and variants rewritten to one form in both texts before any comparison (the
# ``litdigest.terms`` folding knows the commonest; these are the eval's own additions).
_MATCH_SYNONYMS: Final[tuple[tuple[str, str], ...]] = (
    (r"\bPD-?\(L\)1\b", "PD-1/PD-L1"),
    (r"\bNF-?kB\b|\bNF-?kappaB\b", "NF-κB"),
    (r"\bsPD-?L1\b", "soluble PD-L1"),
    (r"\bneutrophil[- ]to[- ]lymphocyte ratios?\b", "NLR"),
    (r"\btissue[- ]resident memory(?: T)?(?: cells?)?\b|\bTRM cells?\b", "TRM cells"),
    (r"\bgranulocyte[- ]macrophage colony[- ]stimulating factor\b", "GM-CSF"),
    (r"\bgranulocyte colony[- ]stimulating factor\b", "G-CSF"),
    (r"\bcolony[- ]stimulating factor[- ]1 receptor\b", "CSF1R"),
    (r"\bcolony[- ]stimulating factor[- ]1\b", "CSF1"),
    (r"\bindoleamine[- ]2,3[- ]dioxygenase(?:[- ]1)?\b", "IDO1"),
    (r"\bvascular endothelial growth factors?\b", "VEGF"),
    (r"\bhuman epidermal growth factor receptor[- ]2\b", "HER2"),
    (r"\bepidermal growth factor receptors?\b", "EGFR"),
    (r"\bmCRPC\b", "metastatic castration-resistant prostate cancer"),
    (r"\bCRPC\b", "castration-resistant prostate cancer"),
    (r"\bB[- ]ALL\b", "B-cell ALL"),
    (r"\bacute lymphoblastic leuka?emias?\b", "ALL"),
    (r"\bAML\b", "acute myeloid leukemia"),
    (r"\bCLL\b", "chronic lymphocytic leukemia"),
    (r"\bDLBCL\b", "diffuse large B-cell lymphoma"),
    (r"(?<!non-)(?<!non )\bsmall[- ]cell lung cancers?\b", "SCLC"),
    (r"\bhead and neck squamous[- ]cell carcinomas?\b|\bHNSCCs?\b", "head and neck cancer"),
    (r"\bpancreatic ductal adenocarcinomas?\b|\bPDACs?\b", "pancreatic cancer"),
    (r"\bTregs? cells?\b", "Treg"),
    (r"\bconventional type[- ]?(?:1|I) dendritic[- ]cells?\b", "cDC1"),
    (r"\btype[- ]?(?:1|I) conventional (?:dendritic[- ]cells?|DCs?)\b", "cDC1"),
    (r"\bdendritic-cells?\b", "dendritic cell"),
    (r"\bT[- ]lymphocytes?\b", "T cells"),
    (r"\bTcf7\b", "TCF1"),
    (r"\bRCC\b", "renal cell carcinoma"),
    (r"\btriple[- ]negative breast cancers?\b", "TNBC"),
    (r"\bcytotoxic T[- ]lymphocytes?\b|\bcytotoxic T[- ]cells?\b|\bCTLs?\b", "CD8+ T cells"),
    (r"\bimmune checkpoint inhibitors?\b|\bICIs?\b", "checkpoint blockade"),
    (r"\bGBM\b", "glioblastoma"),
    (r"\bstereotactic body radiation therapy\b|\bstereotactic body radiotherapy\b", "SBRT"),
    (r"\bneutrophil extracellular traps?\b", "NETs"),
    (r"\bmajor histocompatibility complex\b", "MHC"),
    (r"\bhuman leukocyte antigens?\b", "HLA"),
    (r"\bantibody[- ]drug conjugates?\b", "ADC"),
    (r"\bbispecific T[- ]cell engagers?\b", "BiTE"),
    (r"\bdisease[- ]free survival\b", "DFS"),
    (r"\b(?:recurrence|relapse)[- ]free survival\b", "RFS"),
    (r"\bpathologic(?:al)? complete responses?\b", "pCR"),
    (r"\btumou?r microenvironments?\b", "TME"),
    (r"\bstimulator of interferon genes?\b", "STING"),
    (r"\bcyclic GMP[- ]AMP synthase\b", "cGAS"),
    (r"\btoll[- ]like receptor[- ]?(\d+)\b", r"TLR\1"),
    (r"\bjanus kinase[- ]?(\d)\b", r"JAK\1"),
    (r"\bhypoxia[- ]inducible factor[- ]1[- ]?(?:alpha|α)\b", "HIF-1α"),
    (r"\b(?:beta|β)[- ]?2[- ]microglobulin\b", "B2M"),
    (r"\bepithelial[- ](?:to[- ])?mesenchymal transitions?\b", "EMT"),
    (r"\breactive oxygen species\b", "ROS"),
    (r"\bhuman papillomavirus(?:es)?\b", "HPV"),
    (r"\bEpstein[- ]Barr virus\b", "EBV"),
    (r"\blymphocyte[- ]activation gene[- ]3\b", "LAG-3"),
    (r"\blow[- ]level laser therapy\b|\bLLLT\b", "photobiomodulation"),
    (r"\bmutational load\b", "TMB"),
    (r"\bradiotherapy\b|\bradiation therapy\b|\birradiation\b", "radiation"),
)
_MATCH_SYNONYM_RES: Final = tuple((re.compile(p, re.IGNORECASE), r) for p, r in _MATCH_SYNONYMS)

# Unit spellings after a number ("10-min", "10 minutes", "10min") put in one form, so that
# ``litdigest.terms.numbers`` reads one number key from each (matcher-only: the summarizer's
# faithfulness checks keep their own reading). Compound units first; case matters for the
# molar units (mM is not mm) and the one-letter ones (3D is not 3 d).
_UNIT_FORMS: Final[tuple[tuple[str, str], ...]] = (
    (r"mg ?(?:/|per) ?kg|mg ?kg-1|milligrams? per kilogram", "mg/kg"),
    (r"seconds?|secs?|(?<=[ -])(?-i:s)", "s"),  # not the 1990s
    (r"minutes?|mins?", "min"),
    (r"hours?|hrs?|(?-i:h)", "h"),
    (r"days?|(?-i:d)", "day"),
    (r"weeks?|wks?", "week"),
    (r"months?|mos?", "month"),
    (r"years?|yrs?|(?-i:y)", "year"),
    (r"milligrams?|mg", "mg"),
    (r"micrograms?|mcg|[µμ]g|ug", "µg"),
    (r"kilograms?|kg", "kg"),
    (r"grams?|(?-i:g)", "g"),
    (r"millilit(?:re|er)s?|ml", "ml"),
    (r"lit(?:re|er)s?|l", "L"),
    (r"millimolar|(?-i:mM)", "mM"),
    (r"micromolar|(?-i:[µμu]M)", "µM"),
    (r"nanomolar|(?-i:nM)", "nM"),
    (r"per ?cent|percent|%", "%"),
    (r"[°º] ?C|degrees? (?:C|Celsius|centigrade)", "°C"),
    (
        r"(?:-?fold|x|×)(?!\s?\d)"
        r"|times(?= (?:the|as|more|higher|greater|larger|less|lower|fewer|smaller)\b)",
        "fold",
    ),
)
_UNIT_CANON: Final = {n: canon for n, (_, canon) in enumerate(_UNIT_FORMS)}
# A number (not the digits of a name: CD8, IL-2) directly before a unit, with or without a
# space or hyphen.
_UNIT_RE: Final = re.compile(
    r"(?<![\w.,/])(?<![A-Za-z]-)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)[ -]?(?:"
    + "|".join(f"(?P<u{n}>{p})" for n, (p, _) in enumerate(_UNIT_FORMS))
    + r")(?![\w/])",
    re.IGNORECASE,
)
# "n-fold" words the lexicon keeps as words (``lexicon.ENTRIES``)
_FOLD_WORDS: Final = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 10: "ten"}
_WORD_FOLD_RE: Final = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten)[- ]?fold\b", re.IGNORECASE
)
_NUMBER_WORD_VALUES: Final = {
    w: i for i, w in enumerate("two three four five six seven eight nine ten".split(), 2)
}


def _unit_form(m: re.Match[str]) -> str:
    unit = _UNIT_CANON[int((m.lastgroup or "u0")[1:])]
    number = m.group(1)
    if unit == "fold":
        # "2-fold" = "twofold" = "2x": the lexicon's word where it has one
        word = _FOLD_WORDS.get(int(number)) if number.isdigit() else None
        return f"{word}fold" if word else f"{number} fold"
    return f"{number}{unit}" if unit in {"%", "°C"} else f"{number} {unit}"


@lru_cache(maxsize=16384)
def unit_form(text: str) -> str:
    """``text`` with each number's unit written one way ("10-min", "10 minutes" → "10 min";
    "two-fold", "2x" → "twofold"; "5 per cent" → "5%"; "37 degrees C" → "37°C")."""
    text = _WORD_FOLD_RE.sub(lambda m: f"{_NUMBER_WORD_VALUES[m.group(1).lower()]}-fold", text)
    return _UNIT_RE.sub(_unit_form, text)


@lru_cache(maxsize=16384)
def match_form(text: str) -> str:
    """``text`` with the eval's extra expansions and variants rewritten (``_MATCH_SYNONYMS``),
    then its lay / technical variants put in one form (``lexicon.canonical``)."""
    text = unit_form(text)
    for pattern, replacement in _MATCH_SYNONYM_RES:
        text = pattern.sub(replacement, text)
    return canonical(text)


def content_tokens(text: str) -> list[str]:
    """Stemmed content words of ``text``, in order (numbers kept, stop words dropped)."""
    return [stem(t) for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


_UP_WORDS: Final = """increase increases increased increasing raise raised raises enhance enhanced
enhances higher longer more greater promote promotes promoted improve improves improved
improving extend extended extends expand expands expanded stimulate stimulates stimulated
activate activates activated boost boosted boosts prolong prolonged prolongs better restore
restores restored restoring rescue rescues rescued upregulate upregulates upregulated upregulating preserve preserves
preserved sensitive sensitises sensitizes sensitised sensitized rise rises rose risen lengthen lengthens
lengthened strengthen strengthens strengthened augment augments augmented amplify amplifies
amplified elevate elevates elevated respond responds responded""".split()
_DOWN_WORDS: Final = """decrease decreases decreased reduce reduces reduced reducing lower
lowered lowers shorter less fewer inhibit inhibits inhibited suppress suppresses suppressed
block blocks blocked impair impairs impaired prevent prevents prevented worse blunt blunts
blunted abolish abolished diminish diminished downregulate downregulates downregulated
downregulating halve halves halved resistant resistance fall falls fell fallen decline
declines declined drop drops dropped delay delays delayed slow slows slowed dampen dampens
dampened hamper hampers hampered weaken weakens weakened worsen worsens worsened""".split()
NEGATION_REACH: Final = 8  # words before a direction word in which a negation flips it
_NEGATIONS: Final = frozenset(
    {"not", "no", "without", "neither", "nor", "never", "cannot", "failed", "fails", "fail",
     "avoid", "avoiding", "avoided", "lack", "lacks", "lacked", "lacking"}
)  # fmt: skip
# "X, but not Y, ..." / "X, not Y, ..." / "X rather than Y": a contrast, not a negation of
# the statement (its words are dropped before the direction is read).
_CONTRAST_RE: Final = re.compile(
    r",\s*not\b[^,;.]*,|\b(?:but not|rather than|unlike|instead of)\b[^,;.]*(?:,|$)|"
    r"\b(?:with|versus|vs|to|than) no\b",
    re.IGNORECASE,
)
_AGENT_NOUN_RE: Final = re.compile(r"(?:ions?|itors?|ators?|ckers?)$")
# A statement of no effect / no association ("did not differ", "no significant difference").
_NULL_RE: Final = re.compile(
    r"\b(?:no|not)\b(?:\s+\w+){0,2}\s+(?:associated|associat\w*|correlat\w*|differ\w*|"
    r"significant\w*|effect\w*|benefit\w*|impact\w*|influence\w*|change\w*|linked|related|"
    r"relation\w*)\b|"
    r"\bsimilar\b|\bcomparable\b|\bequal(?:ly)?\b|\bequivalent\b|\bno difference\b|"
    r"\bno clear\b|\bdid not\b|\bdoes not\b|\bfailed to\b|"
    # "as often as", "as effective as": equality (not "twice as likely as")
    r"(?<!twice )(?<!times )(?<!half )\bas (?:\w+ )?(?:often|well|effective|effectively|good|"
    r"likely|much|many|frequent|frequently|safe|common|long)\s+as\b",
    re.IGNORECASE,
)
_MIXED_RE: Final = re.compile(r"\b(?:but|whereas|while|although)\b", re.IGNORECASE)
_UNCERTAIN_RE: Final = re.compile(
    r"\buncertain\w*|\blow[- ](?:certainty|quality)\b|\bvery low\b|\binsufficient\b|"
    r"\bunclear\b|\blimited evidence\b",
    re.IGNORECASE,
)
_CERTAIN_RE: Final = re.compile(
    r"\bhigh[- ](?:certainty|quality)\b|\bstrong evidence\b|\bclearly\b|\bconclusive\w*",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _direction_stems() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(map(stem, _UP_WORDS)), frozenset(map(stem, _DOWN_WORDS))


@lru_cache(maxsize=16384)
def polarity(text: str) -> int:
    """+1 / -1 when ``text`` states an increase / a decrease, else 0: the sum of its direction
    words, each flipped by the negations among the ``NEGATION_REACH`` words before it.

    A crude, purely lexical cue: "X raises Y" vs "X lowers Y" (or "does not raise Y")
    share their content words and embed alike, but state opposite things. Contrasts
    ("X, not Y, raises Z") are dropped first; a negation far from the verb ("avoiding
    steroids ... may extend the benefit") does not flip it.
    """
    up, down = _direction_stems()
    words = _TOKEN_RE.findall(_CONTRAST_RE.sub(" ", text).lower())
    total = 0
    for i, word in enumerate(words):
        # process and agent nouns ("CSF1R inhibition", "inhibitors") name the intervention
        if _AGENT_NOUN_RE.search(word):
            continue
        s = stem(word)
        direction = (s in up) - (s in down)
        if direction:
            negations = sum(w in _NEGATIONS for w in words[max(0, i - NEGATION_REACH) : i])
            total += -direction if negations % 2 else direction
    return (total > 0) - (total < 0)


@lru_cache(maxsize=16384)
def asserts_effect(text: str) -> bool:
    """True when ``text`` states a change that no negation before it denies ("X raises Y",
    not "X did not raise Y" or "no more Y than": a denied change states no effect)."""
    up, down = _direction_stems()
    words = _TOKEN_RE.findall(_CONTRAST_RE.sub(" ", _COMPOUND_RELATION_RE.sub(" ", text)).lower())
    for i, word in enumerate(words):
        if _AGENT_NOUN_RE.search(word):
            continue
        s = stem(word)
        changes = s in up or s in down or _RELATION_WORDS.get(word) == "effect"
        if changes and not sum(w in _NEGATIONS for w in words[max(0, i - NEGATION_REACH) : i]) % 2:
            return True
    return False


_RELATION_WORDS: Final[dict[str, str]] = {
    **dict.fromkeys(
        """secrete secretes secreted secreting secretion production release
        releases released source sources generate generates generated express expresses
        expressed expressing derived""".split(),
        "source",
    ),
    **dict.fromkeys(
        """associate associated association correlate correlated correlates correlation
        predict predicts predicted predictive prognostic marker markers linked""".split(),
        "assoc",
    ),
    **dict.fromkeys(
        """induce induces induced drive drives drove trigger triggers triggered cause causes
        caused license licenses recruit recruits recruited attract attracts kill kills killed
        exclude excludes excluded deplete depletes depleted require requires required
        essential escape escaped evade evades mediate mediates respond responds responded
        benefit beat confer confers effective efficacious relieve relieves relieved cure cures
        cured eradicate eradicates eradicated protect protects protected lessen lessens
        lessened alleviate alleviates alleviated sustain sustains sustained
        maintain maintains maintained""".split(),
        "effect",
    ),
    **dict.fromkeys(
        """consume consumes consumed consuming consumption uptake capture captures captured
        capturing starve starves starved
        deprive deprives deprived deprivation sequester sequesters sequestered""".split(),
        "sink",
    ),
}


_COMPOUND_RELATION_RE: Final = re.compile(r"-(?:associated|induced)\b", re.IGNORECASE)


@lru_cache(maxsize=16384)
def relations(text: str) -> frozenset[str]:
    """The relation classes ``text`` states: ``source`` (X makes Y), ``sink`` (X takes Y
    up), ``assoc`` (X goes with Y), ``effect`` (X changes Y; every direction word counts)."""
    up, down = _direction_stems()
    out: set[str] = set()
    # "tumour-associated macrophages", "chemotherapy-induced nausea": a name, not a relation
    text = _COMPOUND_RELATION_RE.sub(" ", text)
    for word in _TOKEN_RE.findall(text.lower()):
        if word in _RELATION_WORDS:
            out.add(_RELATION_WORDS[word])
        elif stem(word) in up or stem(word) in down:
            out.add("effect")
    return frozenset(out)


def relation_conflict(claim: str, key_point: str) -> bool:
    """Both state a relation, no class is shared, and one says X makes Y or X takes Y up
    (a correlation vs an effect is left alone: "raised risk" reads as an effect)."""
    a, b = relations(claim), relations(key_point)
    if not a or not b or a & b:
        return False
    return bool({"source", "sink"} & (a | b))


@lru_cache(maxsize=16384)
def stance(text: str) -> tuple[bool, int]:
    """(states no effect, certainty: -1 uncertain / +1 certain / 0 unsaid) of ``text``; a
    statement of no effect joined to another ("no gain in survival but more responses") is
    mixed and does not count as one."""
    text = _CONTRAST_RE.sub(" ", text)
    certainty = (1 if _CERTAIN_RE.search(text) else 0) - (1 if _UNCERTAIN_RE.search(text) else 0)
    null = bool(_NULL_RE.search(text)) and not _MIXED_RE.search(text)
    return null, certainty


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


# Words every key point of the field uses: they say which field, not which point.
_GENERIC_WORDS: Final = """tumour tumours tumor tumors tumoural cancer cancers cell cells immune
immunity immunological antitumour antitumor anticancer patient patients therapy therapies
treatment treatments treated treating immunotherapy immunotherapies response responses effect
effects role roles mechanism mechanisms clinical disease study studies trial trials evidence
malignant malignancy shape act acts make makes use used using new""".split()


@lru_cache(maxsize=1)
def _generic_stems() -> frozenset[str]:
    return frozenset(map(stem, _GENERIC_WORDS))


def specific_coverage(claim: str, key_point: str) -> float:
    """Share of the key point's specific content words (not ``_GENERIC_WORDS``) in the claim
    (1.0 when it has none)."""
    generic = _generic_stems()
    wanted = {w for w in _words(key_point) if stem(w) not in generic and w.isalpha()}
    if not wanted:
        return 1.0
    said = _words(claim)
    stems = {stem(w) for w in said}
    found = sum(stem(w) in stems or any(_akin(w, x) for x in said) for w in wanted)
    return found / len(wanted)


@lru_cache(maxsize=16384)
def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _TOKEN_RE.findall(text.lower()) if w not in STOPWORDS)


def _akin(a: str, b: str) -> bool:
    """Two words of one family: a shared head of 5+ letters, all but 3 of the shorter one,
    or the shorter one (6+ letters) ending the longer."""
    if a[:5] == b[:5] and common_prefix(a, b) >= max(5, min(len(a), len(b)) - 3):
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 6 and long.endswith(short)  # markers / biomarkers


def lexical_features(claim: str, key_point: str) -> tuple[float, float]:
    """(containment, lcs_recall) of the key point's content words in the claim."""
    kp = content_tokens(key_point)
    if not kp:
        return 0.0, 0.0
    cl = content_tokens(claim)
    claim_set = set(cl)
    unique = list(dict.fromkeys(kp))
    containment = sum(t in claim_set for t in unique) / len(unique)
    kp_set = set(kp)
    order = _lcs(kp, [t for t in cl if t in kp_set]) / len(kp)  # other words cannot count
    return containment, order


# A statement whose words shared with its own quotes come in another order is a word salad.
COHERENCE_GATE: Final = 0.45
COHERENCE_WINDOW: Final = 120  # content words of the statement checked (bounds the LCS)


def coherent(statement: str, quotes: str) -> bool:
    """True unless the statement's words shared with its quotes (4 or more) mostly come in
    another order than in the quotes (shuffled words restate nothing)."""
    if " ".join(statement.split()) in " ".join(quotes.split()):
        return True  # the statement is a passage of its quotes
    said = content_tokens(statement)[:COHERENCE_WINDOW]
    quoted = content_tokens(quotes)
    common = set(said) & set(quoted)
    if len(common) < 4:
        return True
    a = [t for t in said if t in common]
    b = [t for t in quoted if t in common][: 4 * COHERENCE_WINDOW]
    return _lcs(a, b) >= COHERENCE_GATE * min(len(a), len(b))


def combine(cosine: float, containment: float, order: float, terms: float = 1.0) -> float:
    return W_EMBED * max(cosine, 0.0) + W_CONTAIN * containment + W_ORDER * order + W_TERMS * terms


def conflicting(claim: str, key_point: str) -> bool:
    """True when claim and key point state opposite directions (see ``polarity``), one states
    no effect and the other an effect, or one calls the evidence certain, the other not."""
    a, b = polarity(claim), polarity(key_point)
    if a != 0 and b != 0 and a != b:
        return True
    (null_a, sure_a), (null_b, sure_b) = stance(claim), stance(key_point)
    if null_a != null_b and asserts_effect(claim if null_b else key_point):
        return True
    if relation_conflict(claim, key_point):
        return True
    return sure_a * sure_b < 0


@dataclass(frozen=True, slots=True)
class KeyPointTerms:
    """The salient terms of one key point, split by how strictly they are required."""

    names: tuple[Term, ...]
    words: tuple[Term, ...]
    numbers: tuple[Number, ...]

    @classmethod
    @lru_cache(maxsize=4096)
    def of(cls, key_point: str) -> KeyPointTerms:
        found = sorted(salient_terms(key_point), key=lambda t: t.key)
        unique = {n.key: n for n in numbers(key_point)}
        return cls(
            names=tuple(t for t in found if t.kind != "word"),
            words=tuple(t for t in found if t.kind == "word"),
            numbers=tuple(unique.values()),
        )


@dataclass(frozen=True, slots=True)
class MatchParts:
    """Every part of one claim / key-point comparison."""

    cosine: float
    containment: float
    order: float
    terms: float  # share of the key point's salient terms and numbers in the statement
    names: float  # share of its names (symbols, cell types, drugs) present (1 if none)
    numbers_ok: bool  # every number of the key point is present
    conflict: bool  # opposite direction, effect vs no effect, certainty or relation class
    substituted: bool  # the claim names a sibling of an absent name (IL-12 for IL-2)
    swapped: bool  # two names swap agent and patient roles (``roles.swapped``)
    specific: float  # share of its specific words present (1 when it names something)
    missing: tuple[str, ...]  # keys of the absent salient terms and numbers
    score: float

    @property
    def in_order(self) -> bool:
        """The shared words come mostly in the key point's order (not a word salad)."""
        return self.order >= ORDER_GATE * self.containment - 1e-9

    @property
    def gated(self) -> bool:
        return (
            self.names >= TERM_GATE - 1e-9
            and self.numbers_ok
            and not self.conflict
            and not self.substituted
            and not self.swapped
            and self.specific > 0
            and self.in_order
        )

    def covers(self, threshold: float = MATCH_THRESHOLD) -> bool:
        return self.gated and self.score >= threshold - 1e-9

    def as_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 4),
            "cosine": round(self.cosine, 4),
            "containment": round(self.containment, 4),
            "order": round(self.order, 4),
            "terms": round(self.terms, 4),
            "names": round(self.names, 4),
            "numbers_ok": self.numbers_ok,
            "conflict": self.conflict,
            "substituted": self.substituted,
            "swapped": self.swapped,
            "specific": round(self.specific, 4),
            "in_order": self.in_order,
            "missing_terms": list(self.missing),
        }


# Numbers written as words in a key point: integers must be stated (as word or digits);
# fractions may also be given as a percentage or as a ratio (RR 0.52 "halves" the risk).
_INTEGER_WORDS: Final = {
    w: i for i, w in enumerate("two three four five six seven eight nine ten".split(), 2)
}
_FRACTION_RE: Final = re.compile(
    r"\b(?:(?P<half>half|halve[sd]?|halving)|(?:a|one)[- ](?P<part>third|quarter|fifth)|"
    r"one in (?P<den>two|three|four|five|six|seven|eight|nine|ten))\b",
    re.IGNORECASE,
)
_PARTS: Final = {"third": 3, "quarter": 4, "fifth": 5}
# An integer word counts as a number before a unit ("three fractions", "two to three weeks"),
# not as a count of listed items ("in three ways").
_COUNT_RE: Final = re.compile(
    r"\b(" + "|".join(_INTEGER_WORDS) + r")\b(?:\s*(?:to|or|-)\s*\w+)?\s+"
    r"(?:months?|years?|weeks?|days?|hours?|fractions?|doses?|cycles?|courses?|times|fold|gy)\b"
)
_FRACTION_SLACK: Final = 0.1


def _fraction(m: re.Match[str]) -> float:
    if m.group("half"):
        return 0.5
    if m.group("part"):
        return 1 / _PARTS[m.group("part").lower()]
    return 1 / _INTEGER_WORDS[m.group("den").lower()]


def number_words_ok(claim: str, key_point: str) -> bool:
    """True unless the key point states a number in words the claim does not state."""
    said = set(_TOKEN_RE.findall(claim.lower()))
    values = [abs(float(n.value.lstrip("±"))) for n in numbers(claim)]
    shares = [v / 100 if v > 1 else v for v in values]
    for m in _FRACTION_RE.finditer(key_point):
        if _FRACTION_RE.search(claim):
            continue
        f = _fraction(m)
        if not any(min(abs(x - f), abs(1 - x - f)) <= _FRACTION_SLACK for x in shares):
            return False
    kp_rest = _FRACTION_RE.sub(" ", key_point.lower())
    for m in _COUNT_RE.finditer(kp_rest):
        n = _INTEGER_WORDS[m.group(1)]
        if m.group(1) not in said and float(n) not in values:
            return False
    return True


def _fraction_states(number: Number, claim: str) -> bool:
    """A key point's percentage given in words by the claim ("half" for 50%, "one in five"
    for 20%), within ``_FRACTION_SLACK``."""
    if number.unit != "%" or number.op:
        return False
    try:
        share = float(number.value) / 100
    except ValueError:
        return False
    return any(abs(_fraction(m) - share) <= _FRACTION_SLACK for m in _FRACTION_RE.finditer(claim))


_FAMILY_RE: Final = re.compile(r"[a-z]+")


# Names of one kind that a claim may swap for one another (beyond a shared letter prefix).
_SIBLINGS: Final[dict[str, str]] = {
    **dict.fromkeys(("pd1", "pdl1", "pdl2", "ctla4", "lag3", "tim3", "tigit"), "checkpoint"),
    **dict.fromkeys(("ifnalpha", "ifnbeta", "ifngamma", "ifni", "ifnlambda"), "ifn"),
    **dict.fromkeys(("nsclc", "sclc"), "lungcancer"),
}


# Cytokines and chemokines: one for another is a substitution (TGF-β for IL-10, CCL5 for IL-6).
_CYTOKINE_RE: Final = re.compile(r"^(?:il\d|ifn|tnf|tgf|ccl\d|cxcl\d|xcl\d|gmcsf|gcsf|mcsf|csf\d)")


def _family(key: str) -> str:
    if key in _SIBLINGS:
        return _SIBLINGS[key]
    if _CYTOKINE_RE.match(key):
        return "cytokine"
    m = _FAMILY_RE.match(key)
    return m.group() if m and len(m.group()) >= 2 and m.group() != key else ""


# Diseases and conditions named by their suffix (melanoma, colitis, candidiasis, anaemia,
# neutropenia, neuropathy) or as a site's cancer ("rectal cancer", "breast tumours").
_CONDITION_RE: Final = re.compile(
    r"\b([a-z]{3,}(?:omas?|itis|iasis|osis|a?emias?|penias?|pathy|pathies))\b", re.IGNORECASE
)
_NOT_CONDITIONS: Final = frozenset(
    """diagnosis prognosis apoptosis necrosis stasis hypothesis analysis basis emphasis
    thesis synthesis genesis mitosis metastasis stroma chromosomes trauma phagocytosis
    osmosis""".split()
)
_SITES: Final = """breast lung colon colorectal rectal rectum prostate ovarian ovary cervical cervix
gastric stomach pancreatic pancreas bladder renal kidney liver hepatocellular oesophageal
esophageal skin thyroid brain endometrial uterine testicular anal oral laryngeal bone""".split()
_SITE_RE: Final = re.compile(
    r"\b(" + "|".join(_SITES) + r")[- ](?:cancers?|tumou?rs?|carcinomas?|adenocarcinomas?|"
    r"malignan\w*|surgery|resections?)\b",
    re.IGNORECASE,
)


# Symptoms and adverse effects without a disease suffix (lay forms are put in these forms
# by ``lexicon.canonical`` first).
_SYMPTOMS_RE: Final = re.compile(
    r"\b(diarrho?ea|nausea|vomiting|fatigue|constipation|pyrexia|rash|alopecia|insomnia|"
    r"anorexia|dyspno?ea|pruritus|xerostomia|bleeding|oedema|edema|hot flushes|hot flashes|"
    r"impotence|incontinence)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=16384)
def conditions(text: str) -> frozenset[str]:
    """Diseases, conditions and symptoms ``text`` names (stems; ``site:`` + organ for
    "X cancer")."""
    found = {
        stem(m.group(1).lower())
        for m in _CONDITION_RE.finditer(text)
        if m.group(1).lower() not in _NOT_CONDITIONS
    }
    found |= {m.group(1).lower() for m in _SYMPTOMS_RE.finditer(text)}
    return frozenset(found | {"site:" + stem(m.group(1).lower()) for m in _SITE_RE.finditer(text)})


def _condition_kind(c: str) -> str:
    """``cancer`` (a site's cancer, an -oma, a leukaemia) or ``other`` (symptoms, -itis...):
    a claim's population (thyroid cancer) does not replace a key point's outcome (xerostomia)."""
    cancer = c.startswith("site:") or c.endswith(("oma", "omas")) or c.startswith("leuk")
    return "cancer" if cancer else "other"


def _same_condition(a: str, b: str) -> bool:
    if a.startswith("site:") or b.startswith("site:"):
        return a == b
    return a == b or _akin(a, b) or a[:4] == b[:4]  # glioma / glioblastoma


def condition_substituted(claim: str, key_point: str) -> bool:
    """The key point names a disease or condition the claim lacks, and the claim names
    another in its place (colitis for hepatitis, colon for rectal cancer)."""
    wanted, said = conditions(key_point), conditions(claim)
    absent = {_condition_kind(c) for c in wanted if not any(_same_condition(c, x) for x in said)}
    extra = {_condition_kind(x) for x in said if not any(_same_condition(x, c) for c in wanted)}
    return bool(absent & extra)


def _substituted(absent: Sequence[Term], claim: str, key_point: str) -> bool:
    """True when a name the key point states is absent from the claim and the claim names
    another member of its family instead (IL-12 for IL-2, CD4 for CD8, CTLA-4 for PD-L1),
    another drug for an absent drug (cetuximab for temozolomide), or another disease for an
    absent one (``condition_substituted``)."""
    if condition_substituted(claim, key_point):
        return True
    if not absent:
        return False
    kp_keys = term_keys(key_point)
    extra = [t for t in salient_terms(claim) if t.key not in kp_keys]
    if any(t.kind == "drug" for t in absent) and any(t.kind == "drug" for t in extra):
        return True
    others = {_family(t.key) for t in extra if t.kind == "symbol"}
    if any(_family(t.key) and _family(t.key) in others for t in absent):
        return True
    return slot_substituted(absent, claim, key_point)


# Words on either side of a slot (between two shared words, or next to the first / last one).
SLOT_REACH: Final = 3


def _alignment(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of one longest common subsequence of ``a`` and ``b``."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = (
                table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
            )
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j]:
            out.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def _slots(a: Sequence[str], b: Sequence[str]) -> list[tuple[Sequence[str], Sequence[str]]]:
    """The words of ``a`` and of ``b`` that stand in one place of their shared frame: between
    two consecutive shared words, or up to ``SLOT_REACH`` words before the first or after the
    last; slots longer than ``SLOT_REACH`` words on either side are left out."""
    shared = _alignment(a, b)
    if not shared:
        return []
    reach = SLOT_REACH
    (i0, j0), (i1, j1) = shared[0], shared[-1]
    slots = [(a[max(0, i0 - reach) : i0], b[max(0, j0 - reach) : j0])]
    slots += [(a[i + 1 : k], b[j + 1 : m]) for (i, j), (k, m) in pairwise(shared)]
    slots.append((a[i1 + 1 : i1 + 1 + reach], b[j1 + 1 : j1 + 1 + reach]))
    return [(x, y) for x, y in slots if 0 < len(x) <= reach and 0 < len(y) <= reach]


def slot_substituted(absent: Sequence[Term], claim: str, key_point: str) -> bool:
    """A name the key point states (``absent``: missing from the claim) stands in a slot of
    the frame both texts share, and the claim puts another name in that slot ("IFN-γ
    upregulates MHC class II on cancer cells" vs "... upregulates PD-L1 on cancer cells";
    "anti-CD25 antibody eliminated" vs "anti-CCR8 antibody eliminated"): the same statement
    about another entity. Names of any kind count, not only one family's."""
    names = [t for t in absent if t.kind != "word"]
    if not names:
        return False
    kp_keys = term_keys(key_point)
    extra = [t for t in salient_terms(claim) if t.kind != "word" and not present(t, kp_keys)]
    if not extra:
        return False
    wanted = {w for t in names for w in content_tokens(t.text or t.key)}
    said = {w for t in extra for w in content_tokens(t.text or t.key)}
    return any(
        wanted.intersection(x) and said.intersection(y)
        for x, y in _slots(content_tokens(key_point), content_tokens(claim))
    )


@lru_cache(maxsize=65536)
def match_parts(claim: str, key_point: str, cosine: float, evidence: str = "") -> MatchParts:
    """Parts of one comparison; ``evidence`` (the claim's quotes) also counts for the terms."""
    claim, key_point, evidence = match_form(claim), match_form(key_point), match_form(evidence)
    kp = KeyPointTerms.of(key_point)
    keys = term_keys(f"{claim}\n{evidence}" if evidence else claim)
    own = term_keys(claim)  # the score reads the statement; the gate also its quotes
    wanted: list[Term | Number] = [*kp.names, *kp.words, *kp.numbers]
    found = [present(t, keys) for t in wanted]
    said = [present(t, own) for t in wanted] if evidence else found
    names = found[: len(kp.names)]
    nums = [
        ok or _fraction_states(n, claim)
        for n, ok in zip(kp.numbers, found[len(kp.names) + len(kp.words) :], strict=True)
    ]
    found[len(kp.names) + len(kp.words) :] = nums
    missing = tuple(t.key for t, ok in zip(wanted, found, strict=True) if not ok)
    containment, order = lexical_features(claim, key_point)
    specific = specific_coverage(claim, key_point) if not kp.names else 1.0
    # a key point without salient terms earns no free term credit: its words must be there
    terms = sum(said) / len(said) if said else containment
    return MatchParts(
        cosine=cosine,
        containment=containment,
        order=order,
        terms=terms,
        names=sum(names) / len(names) if names else 1.0,
        numbers_ok=all(nums) and number_words_ok(claim, key_point),
        conflict=conflicting(claim, key_point),
        substituted=_substituted(
            [t for t, ok in zip(kp.names, names, strict=True) if not ok], claim, key_point
        ),
        swapped=swapped(claim, key_point),
        specific=specific,
        missing=missing,
        score=combine(cosine, containment, order, terms),
    )


def match_score(claim: str, key_point: str) -> float:
    """Match score of one claim and one key point; 0 when the term gate fails."""
    from litdigest.llm.embed import similarity

    parts = match_parts(claim, key_point, similarity(claim, key_point))
    return parts.score if parts.gated else 0.0


class Matcher:
    """Scores claims against key points in batches (one embedding call per batch)."""

    def __init__(self, threshold: float = MATCH_THRESHOLD) -> None:
        self.threshold = threshold

    def parts(
        self,
        claims: Sequence[str],
        key_points: Sequence[str],
        evidence: Sequence[str] | None = None,
    ) -> list[list[MatchParts]]:
        """``parts[i][j]``: claim ``i`` (with its quotes ``evidence[i]``) vs key point ``j``."""
        from litdigest.llm.embed import embed

        if not claims or not key_points:
            return [[] for _ in claims]
        vectors = embed([*claims, *key_points])
        cos = vectors[: len(claims)] @ vectors[len(claims) :].T
        ev = list(evidence) if evidence is not None else [""] * len(claims)
        return [
            [
                match_parts(claim, kp, round(float(cos[i, j]), 6), ev[i])
                for j, kp in enumerate(key_points)
            ]
            for i, claim in enumerate(claims)
        ]

    def matrix(
        self,
        claims: Sequence[str],
        key_points: Sequence[str],
        evidence: Sequence[str] | None = None,
    ) -> npt.NDArray[np.float64]:
        """``scores[i, j]``: the match score, 0 where the term gate fails."""
        import numpy as np

        scores = np.zeros((len(claims), len(key_points)), dtype=np.float64)
        for i, row in enumerate(self.parts(claims, key_points, evidence)):
            for j, p in enumerate(row):
                scores[i, j] = p.score if p.gated else 0.0
        return scores

    def matches(self, claim: str, key_point: str) -> bool:
        return match_score(claim, key_point) >= self.threshold - 1e-9


# --------------------------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True, slots=True)
class LabelledPair:
    claim: str
    key_point: str
    match: bool
    hard: bool = False  # a hard negative: same entities, another relation
    kind: str = ""
    split: str = "train"  # train | heldout (never tune on held-out pairs)


@dataclass(frozen=True, slots=True)
class Calibration:
    threshold: float
    f1: float
    precision: float
    recall: float
    n_pairs: int
    n_positive: int


def load_pairs(path: Path) -> list[LabelledPair]:
    """Labelled pairs from a calibration YAML (``pairs: [{claim, key_point, match}]``)."""
    import yaml

    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("pairs") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a mapping with a 'pairs' list")
    pairs: list[LabelledPair] = []
    for i, item in enumerate(items):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("claim"), str)
            and isinstance(item.get("key_point"), str)
            and isinstance(item.get("match"), bool)
        ):
            raise ValueError(f"{path}: pairs[{i}] needs claim, key_point (text) and match (bool)")
        pairs.append(
            LabelledPair(
                item["claim"],
                item["key_point"],
                item["match"],
                bool(item.get("hard", False)),
                str(item.get("kind", "")),
                str(item.get("split", "train")),
            )
        )
    return pairs


def _prf(scores: Sequence[float], labels: Sequence[bool], t: float) -> tuple[float, float, float]:
    tp = sum(s >= t and y for s, y in zip(scores, labels, strict=True))
    fp = sum(s >= t and not y for s, y in zip(scores, labels, strict=True))
    fn = sum(s < t and y for s, y in zip(scores, labels, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return f1, p, r


def pair_scores(pairs: Sequence[LabelledPair]) -> list[float]:
    """Match score of each pair (0 where the term gate fails)."""
    import numpy as np

    from litdigest.llm.embed import embed

    claims = embed([p.claim for p in pairs])
    kps = embed([p.key_point for p in pairs])
    cos = np.sum(claims * kps, axis=1)
    out: list[float] = []
    for p, c in zip(pairs, cos, strict=True):
        parts = match_parts(p.claim, p.key_point, float(c))
        out.append(parts.score if parts.gated else 0.0)
    return out


def evaluate_pairs(pairs: Sequence[LabelledPair], threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of the matcher at ``threshold`` on ``pairs``."""
    f1, precision, recall = _prf(pair_scores(pairs), [p.match for p in pairs], threshold)
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": float(len(pairs))}


def _best_threshold(
    scores: Sequence[float], labels: Sequence[bool], step: float
) -> tuple[float, float, float, float]:
    """(threshold, F1, precision, recall) maximising F1 on a ``step`` grid; ties → the midpoint
    of the longest run of best thresholds."""
    grid = [round(i * step, 10) for i in range(round(1 / step) + 1)]
    results = [(t, *_prf(scores, labels, t)) for t in grid]
    best = max(r[1] for r in results)
    plateau = [r for r in results if abs(r[1] - best) < 1e-12]
    runs: list[list[tuple[float, float, float, float]]] = []
    for row in plateau:
        if runs and abs(row[0] - runs[-1][-1][0] - step) < 1e-9:
            runs[-1].append(row)
        else:
            runs.append([row])
    run = max(runs, key=len)
    return run[len(run) // 2]


def calibrate(pairs: Sequence[LabelledPair], *, step: float = 0.01) -> Calibration:
    """The threshold (on a ``step`` grid) maximising F1 on ``pairs``; ties → plateau midpoint."""
    scores = pair_scores(pairs)
    labels = [p.match for p in pairs]
    t, f1, precision, recall = _best_threshold(scores, labels, step)
    return Calibration(
        threshold=t,
        f1=f1,
        precision=precision,
        recall=recall,
        n_pairs=len(pairs),
        n_positive=sum(labels),
    )


def _text_key(text: str) -> str:
    return " ".join(text.lower().strip(" .").split())


def pair_groups(pairs: Sequence[LabelledPair], rare: float = 0.02) -> list[int]:
    """A group id per pair, for cross-validation by topic: pairs sharing a claim or a key
    point, or whose key points share a name (symbol, cell type, drug) that few key points
    state (at most ``rare`` of them), fall in one group, so a fold never scores a pair whose
    twin or topic-mate it was fitted on."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    names = [
        {t.key for t in salient_terms(match_form(p.key_point)) if t.kind != "word"} for p in pairs
    ]
    counts: dict[str, int] = {}
    for keys in names:
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
    limit = max(2, int(rare * len(pairs)))
    for p, keys in zip(pairs, names, strict=True):
        kp = "K:" + _text_key(p.key_point)
        parent[find("C:" + _text_key(p.claim))] = find(kp)
        for k in keys:
            if counts[k] <= limit:
                parent[find("N:" + k)] = find(kp)
    roots: dict[str, int] = {}
    return [roots.setdefault(find("K:" + _text_key(p.key_point)), len(roots)) for p in pairs]


def cross_validate(
    pairs: Sequence[LabelledPair], *, folds: int = 5, seeds: int = 3, step: float = 0.01
) -> dict[str, float]:
    """Precision, recall and F1 of the calibration *procedure*, grouped by topic
    (``pair_groups``): the threshold is chosen on the pairs of ``folds - 1`` folds of groups
    and applied to the left-out fold (seeded shuffles of the groups, averaged). A score and
    threshold that only fit the pairs they were chosen on lose here."""
    import random

    scores = pair_scores(pairs)
    labels = [p.match for p in pairs]
    groups = pair_groups(pairs)
    totals = [0.0, 0.0, 0.0]
    for seed in range(seeds):
        ids = sorted(set(groups))
        random.Random(seed).shuffle(ids)
        fold_of = {g: n % folds for n, g in enumerate(ids)}
        predicted = [False] * len(pairs)
        for k in range(folds):
            fit = [i for i, g in enumerate(groups) if fold_of[g] != k]
            t = _best_threshold([scores[i] for i in fit], [labels[i] for i in fit], step)[0]
            for i, g in enumerate(groups):
                if fold_of[g] == k:
                    predicted[i] = scores[i] >= t - 1e-9
        as_scores = [1.0 if x else 0.0 for x in predicted]
        for n, v in enumerate(_prf(as_scores, labels, 0.5)):
            totals[n] += v / seeds
    f1, precision, recall = totals
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": float(len(pairs))}
