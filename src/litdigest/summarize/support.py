"""Is a statement supported by its quotes? Numbers, names, negations and directions.

``check_support(statement, quotes)`` compares what a claim's statement says with what its
verified quotes say, after folding (Greek letters and their spelled forms, hyphens, case,
British/American spelling, common long forms such as "interleukin-10" -> "IL10"):

* **numbers** with their unit, sign and comparison operator ("p < 0.05", "42%", "HR 0.71
  (95% CI 0.60-0.84)", "3 months"); a statement may round a quoted value ("about 40%" for
  "39.6%") but not change it;
* **salient names**: gene, protein, cytokine, cell-type, drug and pathway names, and rare
  words;
* **negations**: a negation of the quote dropped by the statement, or one the statement adds;
* **directions**: increase/decrease, raise/lower, promote/suppress, improve/worsen, better/
  worse... A statement whose direction contradicts its quote is unsupported even when every
  term is present.

It is the single implementation of "supported" in litdigest: the chains re-ask and drop or
flag with it, the extractive backend composes its TL;DR with ``compose_tldr``, and the eval's
``unsupported_rate`` counts with ``check_support`` / ``check_tldr``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from litdigest import terms
from litdigest.summarize.schema import SECTIONS, TldrCitation

if TYPE_CHECKING:
    from collections.abc import Mapping

    from litdigest.summarize.schema import Claim, DocumentSummary, Section

__all__ = [
    "Direction",
    "Number",
    "SummarySupport",
    "SupportResult",
    "check_support",
    "check_terms",
    "check_tldr",
    "compose_cited_tldr",
    "compose_tldr",
    "directions",
    "negations",
    "parse_numbers",
    "split_sentences",
    "summary_support",
]

# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

_SPELLED: Final = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}
_SPELLED_RE: Final = re.compile(
    r"\b(" + "|".join(_SPELLED) + r")(?=[\s-]+(?:fold|times|months?|years?|weeks?|days?|hours?"
    r"|minutes?|patients|trials|studies|mice|doses|cycles|groups|arms)\b)",
    re.I,
)
_ONE_UNIT: Final = re.compile(r"\b(?:one|a single)(?=\s+(?:months?|years?|weeks?|days?|hours?)\b)")
_WORD_OPS: Final = (
    (re.compile(r"\b(?:less|fewer|lower) than\b|\bbelow\b|\bunder\b", re.I), "<"),
    (re.compile(r"\b(?:more|greater|higher) than\b|\babove\b|\bover\b|\bexceeding\b", re.I), ">"),
    (re.compile(r"\bat least\b|\bno less than\b", re.I), ">="),
    (re.compile(r"\bat most\b|\bup to\b|\bno more than\b", re.I), "<="),
)
_UNITS: Final = {
    "%": "%",
    "percent": "%",
    "fold": "fold",
    "x": "fold",
    "times": "fold",
    "mg/kg": "mg/kg",
    "mg/m2": "mg/m2",
    "mg": "mg",
    "µg": "ug",
    "μg": "ug",
    "ug": "ug",
    "ng": "ng",
    "pg": "pg",
    "ml": "ml",
    "kg": "kg",
    "g": "g",
    "mm": "mm",
    "cm": "cm",
    "nm": "nm",
    "µm": "um",
    "μm": "um",
    "gy": "gy",
    "months": "month",
    "month": "month",
    "mo": "month",
    "years": "year",
    "year": "year",
    "yr": "year",
    "weeks": "week",
    "week": "week",
    "wk": "week",
    "days": "day",
    "day": "day",
    "d": "day",
    "hours": "hour",
    "hour": "hour",
    "h": "hour",
    "hr": "hour",
    "minutes": "minute",
    "minute": "minute",
    "min": "minute",
}
_NUMBER_RE: Final = re.compile(
    r"(?P<op><=|>=|≤|≥|<|>|=)?\s*(?P<sign>[-+±])?(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d*\.\d+|\d+)"
    r"(?:\s*[-–]?\s*(?P<unit>%|percent\b|fold\b|times\b|x\b|mg/kg|mg/m2|[µμ]?[a-z]{1,7}\b))?",
    re.I,
)


@dataclass(frozen=True)
class Number:
    """A number as written: value, unit ('' if none), sign and comparison operator."""

    value: float
    text: str
    unit: str = ""
    op: str = ""
    negative: bool = False
    decimals: int = 0


_PER_CENT_RE: Final = re.compile(r"\bper\s?cent\b", re.I)


def _normalize_number_text(text: str) -> str:
    text = text.replace("−", "-").replace("·", ".").replace("\u2009", " ").replace("\xa0", " ")
    text = _PER_CENT_RE.sub("%", text)
    text = _ONE_UNIT.sub("1", text)
    text = _SPELLED_RE.sub(lambda m: str(_SPELLED[m.group(1).lower()]), text)
    for pattern, op in _WORD_OPS:
        text = pattern.sub(f" {op} ", text)
    return text


def _attached(text: str, start: int) -> bool:
    """The number starting at ``start`` is part of a name: CD8, IL-10, p53, PD-1, 5-FU."""
    if start == 0:
        return False
    before = text[start - 1]
    if before.isalpha() or before == "_":
        return True
    return bool(before in "-/" and start >= 2 and text[start - 2].isalpha())


@functools.lru_cache(maxsize=8192)
def parse_numbers(text: str) -> tuple[Number, ...]:
    """Every number of ``text`` that is not part of a name, with unit, sign and operator."""
    norm = _normalize_number_text(text)
    out: list[Number] = []
    for m in _NUMBER_RE.finditer(norm):
        num_start = m.start("num")
        sign = m.group("sign") or ""
        sign_start = m.start("sign") if sign else num_start
        if _attached(norm, sign_start):
            continue
        if sign == "-" and sign_start > 0 and (norm[sign_start - 1].isalnum()):
            sign = ""  # a range "10-20", not a negative number
        raw = m.group("num")
        after = norm[m.end("num") : m.end("num") + 1]
        if after.isalpha() and not m.group("unit"):
            continue  # "3D", "2nd"
        unit_raw = (m.group("unit") or "").lower()
        unit = _UNITS.get(unit_raw, "")
        decimals = len(raw.split(".", 1)[1]) if "." in raw else 0
        op = (m.group("op") or "").replace("≤", "<=").replace("≥", ">=")
        out.append(
            Number(
                value=float(raw.replace(",", "")),
                text=m.group(0).strip(),
                unit=unit,
                op="" if op == "=" else op,
                negative=sign == "-",
                decimals=decimals,
            )
        )
    return tuple(_spread_units(out))


def _spread_units(numbers: list[Number]) -> list[Number]:
    """'10-20%' and '0.60-0.84 months': the unit of a range's end applies to its start."""
    out = list(numbers)
    for i in range(len(out) - 2, -1, -1):
        a, b = out[i], out[i + 1]
        if not a.unit and b.unit:
            out[i] = Number(a.value, a.text, b.unit, a.op, a.negative, a.decimals)
    return out


def _number_matches(s: Number, q: Number) -> bool:
    if s.unit and q.unit and s.unit != q.unit:
        return False
    if s.negative and not q.negative:
        return False
    if s.value == q.value:
        return True
    if s.decimals < q.decimals:  # the statement rounds the quoted value
        return bool(abs(round(q.value, s.decimals) - s.value) < 0.5 * 10.0 ** (-s.decimals))
    return False


def _check_numbers(statement: str, quotes: str) -> tuple[list[str], list[str]]:
    missing: list[str] = []
    contradicted: list[str] = []
    quoted = parse_numbers(quotes)
    for s in parse_numbers(statement):
        same = [q for q in quoted if _number_matches(s, q)]
        if not same:
            missing.append(s.text)
        elif s.op and not any(_ops_agree(s.op, q.op) for q in same):
            contradicted.append(f"{s.text} (quote: {same[0].text})")
    return missing, contradicted


def _ops_agree(a: str, b: str) -> bool:
    return a == b or (a[0] == b[:1] and "" not in (a, b))


# --------------------------------------------------------------------------------------------
# Negations and directions
# --------------------------------------------------------------------------------------------

_WORD_RE: Final = re.compile(r"[\w\u0370-\u03ff]+(?:[-'][\w\u0370-\u03ff]+)*")
_NEGATION: Final = frozenset(
    {
        "not",
        "no",
        "never",
        "none",
        "neither",
        "nor",
        "without",
        "cannot",
        "unable",
        "fail",
        "failed",
        "fails",
        "lack",
        "lacked",
        "lacks",
        "lacking",
        "absence",
        "absent",
        "non-significant",
        "nonsignificant",
        "insignificant",
        "unaffected",
        "unchanged",
        "similar",
        "comparable",
        "equivalent",
    }
)
_UP: Final = frozenset(
    """increase increases increased increasing raise raises raised raising elevate elevates
    elevated elevating enhance enhances enhanced enhancing promote promotes promoted promoting
    boost boosts boosted boosting augment augments augmented augmenting upregulate upregulates
    upregulated upregulating up-regulate up-regulates up-regulated up-regulating improve
    improves improved improving better higher longer prolong prolongs prolonged prolonging
    stimulate stimulates stimulated stimulating amplify amplifies amplified accelerate
    accelerates accelerated activate activates activated favorable
    """.split()
)
_DOWN: Final = frozenset(
    """decrease decreases decreased decreasing lower lowers lowered lowering reduce reduces
    reduced reducing diminish diminishes diminished diminishing suppress suppresses suppressed
    suppressing inhibit inhibits inhibited inhibiting impair impairs impaired impairing
    attenuate attenuates attenuated attenuating downregulate downregulates downregulated
    downregulating down-regulate down-regulates down-regulated down-regulating worsen worsens
    worsened worsening worse poorer poor shorter shorten shortens shortened decline declines
    declined unfavorable
    """.split()
)
# a direction word right after one of these is inverted: "reverses suppression"
_INVERTERS: Final = frozenset(
    """reverse reverses reversed reversing overcome overcomes overcame overcoming counteract
    counteracts counteracted abrogate abrogates abrogated abolish abolishes abolished prevent
    prevents prevented preventing block blocks blocked blocking relieve relieves relieved
    """.split()
)
_STOP: Final = frozenset(
    """a an the of in on at to for by with and or as is are was were be been being that this
    these those it its their than from into via which who also both after before during
    between among while whereas but although than then there such may might can could would
    should will has have had do does did more less most least significantly significant
    statistically markedly strongly levels level expression
    """.split()
)
_CLAUSE_BREAK: Final = frozenset({"but", "whereas", "while", "although", "however", "yet"})


@dataclass(frozen=True)
class Direction:
    """A direction word: +1 (up) or -1 (down), with the content words around it."""

    word: str
    polarity: int
    context: frozenset[str]


_NOT_RE: Final = re.compile(r"n't\b")


def _tokens(text: str) -> list[str]:
    folded = _NOT_RE.sub(" not", terms.fold(text).replace("’", "'"))
    return list(_WORD_RE.findall(folded))


@functools.lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    t = token.replace("-", "")
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ed", "es", "s"):
        if len(t) > len(suffix) + 3 and t.endswith(suffix):
            t = t[: -len(suffix)]
            break
    return t[:-1] if len(t) > 4 and t.endswith("e") else t


def _content(tokens: Sequence[str]) -> list[str]:
    return [
        _stem(t)
        for t in tokens
        if t not in _STOP and t not in _UP and t not in _DOWN and t not in _NEGATION
    ]


@functools.lru_cache(maxsize=8192)
def directions(text: str) -> tuple[Direction, ...]:
    """Direction words of ``text``, inverted after 'reverses', 'overcomes'..."""
    toks = _tokens(text)
    out: list[Direction] = []
    for i, tok in enumerate(toks):
        polarity = 1 if tok in _UP else -1 if tok in _DOWN else 0
        if not polarity:
            continue
        if _inverted(toks, i):
            polarity = -polarity
        window = _clause(toks, i, before=2, after=4)
        out.append(Direction(tok, polarity, frozenset(_content(window))))
    return tuple(out)


def _inverted(toks: Sequence[str], i: int) -> bool:
    """'reverses (the) suppression': an inverter before ``toks[i]``, only stop words between."""
    for j in range(i - 1, max(-1, i - 4), -1):
        if toks[j] in _INVERTERS:
            return True
        if toks[j] not in _STOP:
            return False
    return False


def _clause(toks: Sequence[str], i: int, *, before: int, after: int) -> list[str]:
    """Up to ``before``/``after`` tokens around ``toks[i]``, not across 'but', 'whereas'..."""
    left: list[str] = []
    for t in reversed(toks[max(0, i - before) : i]):
        if t in _CLAUSE_BREAK:
            break
        left.insert(0, t)
    right: list[str] = []
    for t in toks[i + 1 : i + 1 + after]:
        if t in _CLAUSE_BREAK:
            break
        right.append(t)
    return left + right


@functools.lru_cache(maxsize=8192)
def negations(text: str) -> tuple[tuple[str, frozenset[str], int], ...]:
    """(negation word, content words of its scope, token index) for every negation."""
    toks = _tokens(text)
    out: list[tuple[str, frozenset[str], int]] = []
    for i, tok in enumerate(toks):
        if tok in _NEGATION:
            scope = _clause(toks, i, before=0, after=4)
            out.append((tok, frozenset(_content(scope)), i))
    return tuple(out)


def _aligned(statement: str, quote: str) -> list[int]:
    """Positions in the quote's tokens of the statement's tokens, aligned greedily in order."""
    q_stems = [_stem(t) for t in _tokens(quote)]
    at, out = -1, []
    for stem in (_stem(t) for t in _tokens(statement) if t not in _NEGATION):
        nxt = next((j for j in range(at + 1, len(q_stems)) if q_stems[j] == stem), None)
        if nxt is not None:
            at = nxt
            out.append(at)
    return out


def _restates(statement: str, quote: str, position: int, scope: frozenset[str]) -> bool:
    """Does the statement restate the negated part of the quote? It must reach past the
    negation (a statement that restates only what comes before it did not drop it) and say
    what is negated (a word of its scope, or the word right after it)."""
    aligned = _aligned(statement, quote)
    if not aligned or aligned[-1] <= position:
        return False
    said = set(_content(_tokens(statement)))
    return bool(scope & said) or any(position < j <= position + 2 for j in aligned)


def _check_negation(statement: str, quotes: Sequence[str]) -> list[str]:
    s_neg = negations(statement)
    q_negs = [(q, negations(q)) for q in quotes]
    if s_neg and not any(n for _, n in q_negs):
        return [f"negation added: {s_neg[0][0]!r}"]
    restated = [
        word
        for quote, negs in q_negs
        for word, scope, position in negs
        if _restates(statement, quote, position, scope)
    ]
    if len(restated) > len(s_neg):  # the statement says fewer of them than it restates
        return [f"negation dropped: the quote says {restated[0]!r}"]
    return []


def _check_direction(statement: str, quotes: str) -> list[str]:
    q_dirs = directions(quotes)
    if not q_dirs:
        return []
    out: list[str] = []
    for d in directions(statement):
        overlap = [len(q.context & d.context) for q in q_dirs]
        best = max(overlap)
        pool = [q for q, n in zip(q_dirs, overlap, strict=True) if n == best]
        if any(q.polarity == d.polarity for q in pool):
            continue
        opposite = next(q for q in pool if q.polarity == -d.polarity)
        out.append(f"direction {d.word!r} (quote: {opposite.word!r})")
    return out


# --------------------------------------------------------------------------------------------
# Salient names
# --------------------------------------------------------------------------------------------


def _check_names(statement: str, quotes: str) -> list[str]:
    """Salient names of the statement (``litdigest.terms``) that its quotes lack."""
    available = terms.term_keys(quotes)
    found = sorted(terms.salient_terms(statement), key=lambda t: t.key)
    return [t.text or t.key for t in found if not terms.present(t, available)]


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportResult:
    """``ok`` when nothing in the statement is missing from, or contradicted by, the quotes."""

    missing: tuple[str, ...] = ()
    contradicted: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing and not self.contradicted

    @property
    def terms(self) -> list[str]:
        """Everything that failed, as short human-readable items."""
        return [*self.missing, *self.contradicted]

    def describe(self) -> str:
        parts = []
        if self.missing:
            parts.append("not in the quotes: " + ", ".join(repr(t) for t in self.missing))
        if self.contradicted:
            parts.append("contradicted by the quotes: " + "; ".join(self.contradicted))
        return "; ".join(parts) or "supported"


def check_terms(text: str, quotes: Sequence[str] | str) -> SupportResult:
    """Numbers and salient names of ``text`` that the quotes do not contain (TL;DR check)."""
    joined = quotes if isinstance(quotes, str) else "\n".join(quotes)
    missing, contradicted = _check_numbers(text, joined)
    missing.extend(_check_names(text, joined))
    return SupportResult(tuple(missing), tuple(contradicted))


def check_support(statement: str, quotes: Sequence[str] | str) -> SupportResult:
    """Check one claim's statement against its (verified) quotes; see the module docstring."""
    listed = [quotes] if isinstance(quotes, str) else list(quotes)
    joined = "\n".join(listed)
    base = check_terms(statement, joined)
    contradicted = [
        *base.contradicted,
        *_check_negation(statement, listed),
        *_check_direction(statement, joined),
    ]
    return SupportResult(base.missing, tuple(contradicted))


# --------------------------------------------------------------------------------------------
# TL;DR
# --------------------------------------------------------------------------------------------

_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


@dataclass
class TldrCheck:
    """Per TL;DR sentence: what its cited claims' quotes do not contain."""

    failures: list[tuple[str, SupportResult]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def terms(self) -> list[str]:
        return [t for _, r in self.failures for t in r.terms]


def check_tldr(sentences: Iterable[tuple[str, Sequence[str]]]) -> TldrCheck:
    """Check TL;DR sentences, each with the verified quotes of the claims it cites."""
    out = TldrCheck()
    for text, quotes in sentences:
        result = check_terms(text, quotes) if quotes else _uncited(text)
        if not result.ok:
            out.failures.append((text, result))
    return out


def _uncited(text: str) -> SupportResult:
    names = sorted(terms.salient_terms(text), key=lambda t: t.key)
    items = [n.text for n in parse_numbers(text)] + [t.text or t.key for t in names]
    return SupportResult(tuple(items) or ("the sentence cites no claim",))


def compose_tldr(statements: Sequence[str], max_sentences: int = 2) -> str:
    """A TL;DR made of the first statements (each one a sentence ending with a period)."""
    out: list[str] = []
    for s in statements[:max_sentences]:
        text = " ".join(s.split())
        if text and text[-1] not in ".!?":
            text += "."
        if text:
            out.append(text[:1].upper() + text[1:])
    return " ".join(out)


def compose_cited_tldr(
    sections: Mapping[Section, Sequence[Claim]], max_sentences: int = 2
) -> tuple[str, list[TldrCitation]]:
    """A TL;DR from the top supported claims' statements (the first of each section, in
    section order), with its citations: what the extractive backend and a failed TL;DR use."""
    picked: list[tuple[Section, int, Claim]] = []
    for section in SECTIONS:
        for i, c in enumerate(sections.get(section, [])):
            if c.support != "unverified":
                picked.append((section, i, c))
                break
    picked = picked[:max_sentences]
    citations = [
        TldrCitation(sentence=compose_tldr([c.statement]), claims=[f"{s}[{i}]"])
        for s, i, c in picked
    ]
    return " ".join(c.sentence for c in citations), citations


# --------------------------------------------------------------------------------------------
# Whole summaries (the eval's unsupported_rate)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummarySupport:
    """Per field: (claims, unsupported claims); and whether the TL;DR is unsupported."""

    fields: dict[str, tuple[int, int]]
    tldr_unsupported: bool | None  # None: no TL;DR

    @property
    def claims(self) -> int:
        return sum(n for n, _ in self.fields.values())

    @property
    def unsupported(self) -> int:
        return sum(u for _, u in self.fields.values())

    @property
    def rate(self) -> float | None:
        return self.unsupported / self.claims if self.claims else None


def summary_support(summary: DocumentSummary) -> SummarySupport:
    """Check every claim of ``summary`` and its TL;DR (against the quotes of the claims it
    cites, or of every claim when it cites none): the eval's ``unsupported_rate``."""
    fields: dict[str, tuple[int, int]] = {}
    quotes_of: dict[str, list[str]] = {}
    for section, i, claim in summary.iter_claims():
        quotes = [q.text for q in claim.quotes]
        quotes_of[f"{section}[{i}]"] = quotes
        n, u = fields.get(section, (0, 0))
        fields[section] = (n + 1, u + (not check_support(claim.statement, quotes).ok))
    if not summary.tldr.strip():
        return SummarySupport(fields, None)
    every = [q for qs in quotes_of.values() for q in qs]
    pairs: list[tuple[str, Sequence[str]]] = []
    for cite in summary.tldr_citations:
        cited = [q for ref in cite.claims for q in quotes_of.get(ref, [])]
        pairs.append((cite.sentence, cited or every))
    if not pairs:
        pairs = [(summary.tldr, every)]
    return SummarySupport(fields, not check_tldr(pairs).ok)
