"""What the extractive backends (v2 and v3) share: the text structure (paragraphs, headings and
the section kind they set, inline labels, captions, boilerplate, reference-list entries,
note-keeping fields, quotable candidate sentences), the TF-IDF importance of a sentence
(stopwords, light stemmer, leave-one-out centrality × position/section weight), the TL;DR and
the assembly of the summary.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from operator import mul
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, TypeVar

from litdigest.chunk.chunker import sentence_spans
from litdigest.summarize.backends.base import stable_hash
from litdigest.summarize.schema import SECTIONS, DocumentSummary, Usage

if TYPE_CHECKING:
    from litdigest.documents import Chunk, Document
    from litdigest.summarize.backends.base import CallContext
    from litdigest.summarize.schema import Claim, Section, TldrCitation

__all__ = [
    "ABSTRACT",
    "ANY_LABEL_RE",
    "BACK_MATTER",
    "BODY",
    "CAPTION_RE",
    "CLOSERS",
    "CONCLUSION",
    "CONCLUSION_START_RE",
    "DIGIT_RE",
    "INLINE_LABEL_RE",
    "MAX_WORDS",
    "METHODS",
    "MIN_WORDS",
    "RESULTS",
    "SECTION_HEADING_RE",
    "SECTION_WEIGHT",
    "STOPWORDS",
    "GatedPattern",
    "heading_kind",
    "is_heading",
    "paragraphs",
    "quotable",
    "stem",
    "unwanted",
]

MIN_WORDS: Final = 6  # a candidate sentence has MIN_WORDS to MAX_WORDS words
MAX_WORDS: Final = 80
DIGIT_RE: Final = re.compile(r"\d")

CLOSERS: Final = "\"'”’)]"
CAPTION_RE: Final = re.compile(
    r"^(?:Fig(?:ure)?s?\.?|Table|Box|Supplementary|Extended Data|Scheme|Video|Panel)\s*"
    r"[A-Z]?\d*[A-Za-z]?\s*[:.|—–-]",
)
# Reference-like sentences always have a digit or "et al"; boilerplate has one of these words.
_REFERENCE_RE: Final = re.compile(
    r"\bet al\.?|\bdoi\s*:|\b(?:19|20)\d\d\b[;.,)]|;\s*\d+\s*[:(]\s*\d+|\bPMID\b|\bpp?\.\s?\d"
    r"|\b[A-Z][a-z]+ [A-Z]{1,2},",
)
# Characters that re.IGNORECASE matches to an ASCII letter but str.lower() does not turn into
# that letter (long s, dotless i, dotted capital I, Kelvin sign): with one of them in a text,
# lower-case substring pre-filters do not hold.
_FOLD_SPECIALS: Final = frozenset("\u017f\u0131\u0130\u212a")
Needs = tuple[tuple[str, ...], ...]


class GatedPattern:
    """A case-insensitive regex given as its top-level alternatives, each with the lower-case
    substrings every match of it holds (one of each group), tried in ``order``: ``found`` is
    ``whole.search(text) is not None``, without the scans that cannot match."""

    def __init__(self, parts: tuple[tuple[str, Needs], ...], order: tuple[int, ...]) -> None:
        self.whole = re.compile("|".join(p for p, _ in parts), re.IGNORECASE)
        self.parts = tuple((re.compile(parts[i][0], re.IGNORECASE), parts[i][1]) for i in order)
        assert sorted(order) == list(range(len(parts)))

    def found(self, text: str, lower: str) -> bool:
        """``lower``: ``text.lower()``."""
        if not _FOLD_SPECIALS.isdisjoint(text):
            return self.whole.search(text) is not None
        for pattern, needs in self.parts:
            for group in needs:  # plain loops: generators cost more than these tests
                for n in group:
                    if n in lower:
                        break
                else:
                    break  # no substring of this group: the alternative cannot match
            else:
                if pattern.search(text):
                    return True
        return False


# Boilerplate: each alternative with the lower-case substrings every match of it holds.
_BOILERPLATE_PARTS: Final[tuple[tuple[str, Needs], ...]] = (
    (r"\bthis article (?:is|was|has)\b", (("this article ",),)),
    (r"\bcopyright\b", (("copyright",),)),
    (r"©", (("©",),)),
    (r"\ball rights reserved\b", (("all rights reserved",),)),
    (r"\blicen[cs]\w*", (("licen",),)),
    (r"creative commons", (("creative commons",),)),
    (r"\bhttps?://", (("://",),)),
    (r"\bwww\.", (("www.",),)),
    (r"\b(?:accessed|available) (?:for free|online|at)\b", (("accessed ", "available "),)),
    (r"\bsubscri\w+", (("subscri",),)),
    (r"\bclick here\b", (("click here",),)),
    (r"\bdownload\w*", (("download",),)),
    (r"\bpublished (?:online|by)\b", (("published ",),)),
    (r"\b(?:received|accepted|revised):", (("received:", "accepted:", "revised:"),)),
    (r"\bcompeting interests?\b", (("competing interest",),)),
    (r"\bconflicts? of interest\b", ((" of interest",),)),
    (r"\bauthor contributions\b", (("author contributions",),)),
    (
        r"\bthe authors? (?:declare|thank|acknowledge|would like)\b",
        (("the author",), ("declare", "thank", "acknowledge", "would like")),
    ),
    (r"\bwe thank\b", (("we thank",),)),
    (r"\bgrant (?:no|number)\b", (("grant n",),)),
    (r"\bfunded by\b", (("funded by",),)),
    (r"\bcorresponding author\b", (("corresponding author",),)),
    (r"\bthanks to support\b", (("thanks to support",),)),
    (r"\bcookies?\b", (("cookie",),)),
    (r"\bsign (?:in|up)\b", (("sign in", "sign up"),)),
    (r"\bpermissions?\b", (("permission",),)),
    (r"\breprints?\b", (("reprint",),)),
    (r"\bpeer review information\b", (("peer review information",),)),
    (r"\bcite this article\b", (("cite this article",),)),
    (r"\bsupplementary (?:information|material)\b", (("supplementary ",),)),
)
_BOILERPLATE_WORDS: Final = frozenset(
    """article copyright rights licence license licensed licenses licensing creative http https
    www accessed available subscribe subscribed subscriber subscribers subscription click
    download downloaded downloads published received accepted revised competing conflict
    conflicts contributions authors author thank thanks grant funded corresponding cookie
    cookies sign permission permissions reprint reprints peer cite supplementary""".split()
)
# Note-keeping fields at the start of a line ("Status: draft, ...", "Tags: ...").
_NOTE_FIELD_RE: Final = re.compile(
    r"(?:status|tags?|keywords?|updated|last updated|reviewed|date|todo|note to self|"
    r"read on|source|url)\s*:",
    re.IGNORECASE,
)
_LABELS: Final = (
    r"Abstract|Summary|Background|Introduction|Objectives?|Aims?|Purpose|Methods?|"
    r"Materials and methods|Search (?:methods|strategy)|Selection criteria|"
    r"Data collection and analysis|Main results|Results|Findings|Discussion|"
    r"Authors'? conclusions|Conclusions?|Interpretation|Significance|Implications(?: for [a-z]+)?|"
    r"Key points|Perspectives?|Outlook"
)
_LABEL_END: Final = r"\s*(?:[:|—–]\s*|-\s+|\.\s+)"
INLINE_LABEL_RE: Final = re.compile(rf"(?P<label>{_LABELS}){_LABEL_END}")
# ... and the capitalised labels of structured abstracts ("RESULTS: ...", "AVAILABILITY: ..."),
# as training/extract.py cuts them from the sentences the role model learns from.
ANY_LABEL_RE: Final = re.compile(
    rf"(?P<label>{_LABELS}|[A-Z][A-Z /&-]{{1,39}}[A-Z](?=:\s)){_LABEL_END}"
)
SECTION_HEADING_RE: Final = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?\s+)?(?P<h>[A-Z][^\n]{0,80})$",
)
_CONCLUSION_HEAD_RE: Final = re.compile(
    r"conclu|implication|significance|outlook|perspective|future|summary|interpretation|"
    r"discussion|closing|remarks|therapeutic|clinical|treatment|targeting",
    re.IGNORECASE,
)
_ABSTRACT_HEAD_RE: Final = re.compile(r"^(?:abstract|summary|background|key points)\b", re.I)
_RESULTS_HEAD_RE: Final = re.compile(r"\bresults?\b|\bfindings\b", re.IGNORECASE)
_METHODS_HEAD_RE: Final = re.compile(
    r"\bmethods?\b|\bprocedures?\b|\bprotocol\b|\bstatistical analys|\bsearch strategy|"
    r"\bselection criteria|\bdata collection|\bmaterials\b|\bexperimental design",
    re.IGNORECASE,
)
_BACK_MATTER_HEAD_RE: Final = re.compile(
    r"^(?:appendi\w+|supplement\w*|acknowledg\w+|references?|bibliography|funding|"
    r"author (?:contributions|information)|competing interests|conflicts? of interest|"
    r"abbreviations|data availability|ethics|additional information|notes?)\b",
    re.IGNORECASE,
)
CONCLUSION_START_RE: Final = re.compile(
    r"^(?:in (?:conclusion|summary|sum)|to (?:conclude|summari[sz]e)|taken together|overall|"
    r"collectively|altogether|together,|these (?:data|results|findings|observations) "
    r"(?:suggest|indicate|imply|support|show)|our (?:data|results|findings) (?:suggest|indicate))",
    re.IGNORECASE,
)

STOPWORDS: Final = frozenset(
    """a about above after again against all also although am among an and any are as at be
    because been before being below between both but by can could did do does doing down
    during each either et few for from further had has have having he her here hers him his
    how however i if in into is it its itself may might more most much must my no nor not of
    off on once only or other our ours out over own per same she should so some such than that
    the their theirs them then there these they this those through to too under until up upon
    very was we were what when where whether which while who whom why will with within without
    would yet you your al use used using also well one two three four five six seven eight nine
    ten include included including study studies review fig figure table""".split()
)


def stem(token: str) -> str:
    """A plural's singular, roughly ("studies" -> "study", "cells" -> "cell")."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# Section kinds, as set by headings and inline labels, and their weight in the importance.
BODY, ABSTRACT, RESULTS, CONCLUSION, METHODS, BACK_MATTER = range(6)
SECTION_WEIGHT: Final = {
    BODY: 1.0,
    ABSTRACT: 1.35,
    RESULTS: 1.0,
    CONCLUSION: 1.25,
    METHODS: 0.45,
    BACK_MATTER: 0.0,
}


def heading_kind(heading: str) -> int:
    """The section kind a heading (or an inline label) opens."""
    if _BACK_MATTER_HEAD_RE.search(heading):
        return BACK_MATTER
    if _ABSTRACT_HEAD_RE.search(heading):
        return ABSTRACT
    if _METHODS_HEAD_RE.search(heading):
        return METHODS
    if _CONCLUSION_HEAD_RE.search(heading):
        return CONCLUSION
    if _RESULTS_HEAD_RE.search(heading):
        return RESULTS
    return BODY


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every non-blank line of ``text``, stripped of surrounding space."""
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        a, b = pos, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            yield a, b
        pos = end + 1


def is_heading(line: str, n_words: int) -> bool:
    return n_words <= 14 and len(line) <= 120 and line.rstrip(CLOSERS)[-1:] not in (".", "!", "?")


def quotable(sentence: str) -> bool:
    """A complete declarative sentence: final period or "!", not truncated, not a question."""
    core = sentence.rstrip(CLOSERS)
    if core[-1:] not in (".", "!") or core.endswith(("...", "…", "[…]", "[...]")):
        return False
    if CAPTION_RE.match(sentence):
        return False
    return _letters(sentence) >= 0.5 * len(sentence)  # not a table row, formula or numbers


# Every byte but the ASCII letters (what str.isalpha is on an ASCII string).
_NON_LETTERS: Final = bytes(c for c in range(256) if not chr(c).isascii() or not chr(c).isalpha())


def _letters(text: str) -> int:
    """The number of alphabetic characters (``str.isalpha``) of ``text``."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _NON_LETTERS))
    return sum(map(str.isalpha, text))


def unwanted(sentence: str, words: set[str]) -> bool:
    """Boilerplate, a note-keeping field or a reference-list entry (``words``: the sentence's
    lower-case alphanumeric tokens)."""
    if _NOTE_FIELD_RE.match(sentence):
        return True
    if ("©" in sentence or not _BOILERPLATE_WORDS.isdisjoint(words)) and _BOILERPLATE.found(
        sentence, sentence.lower()
    ):
        return True
    return (
        ("et" in words or DIGIT_RE.search(sentence) is not None)
        and _reference_bound(sentence) >= 2
        and len(_REFERENCE_RE.findall(sentence)) >= 2
    )


_CAPITAL_COMMA_RE: Final = re.compile(r"[A-Z],")


def _reference_bound(sentence: str) -> int:
    """At least the number of ``_REFERENCE_RE`` matches: each (they do not overlap) holds its
    own "et al", "doi", "19" or "20" (a year), ";", "PMID", "p." or capital-and-comma."""
    return (
        sentence.count("et al")
        + sentence.count("doi")
        + sentence.count("19")
        + sentence.count("20")
        + sentence.count(";")
        + sentence.count("PMID")
        + sentence.count("p.")
        + len(_CAPITAL_COMMA_RE.findall(sentence))
    )


def candidate(sentence: str) -> tuple[str, set[str], int] | None:
    """(lower-cased, its ``CUE_TOKEN_RE`` tokens, word count) of a sentence fit to quote: of
    MIN_WORDS to MAX_WORDS words, quotable, no boilerplate; None for another."""
    fit = candidate_tokens(sentence)
    return None if fit is None else (fit[0], fit[2], fit[3])


def candidate_tokens(sentence: str) -> tuple[str, list[str], set[str], int] | None:
    """``candidate``, with the list of the tokens (in order, repeated) too."""
    n_words = len(sentence.split())
    if not (MIN_WORDS <= n_words <= MAX_WORDS and quotable(sentence)):
        return None
    lower = sentence.lower()
    tokens = _TOKEN_RE.findall(lower)
    words = set(tokens)
    return None if unwanted(sentence, words) else (lower, tokens, words, n_words)


_TOKEN_RE: Final = re.compile(r"[a-z0-9]+")  # extractive_cues.CUE_TOKEN_RE

# What ``pieces`` yields, in document order.
HEADING, CAPTION, SENTENCE = range(3)


class Piece(NamedTuple):
    kind: int  # HEADING, CAPTION or SENTENCE
    start: int
    end: int
    section: int  # the section kind in force (after this heading or inline label)
    paragraph: int  # index of the sentence's paragraph
    first: bool  # the first sentence of its paragraph
    label: str | None  # a heading that names a section; a sentence's inline label


def pieces(text: str, labels: re.Pattern[str] = INLINE_LABEL_RE) -> Iterator[Piece]:
    """Headings, captions and sentences (label excluded) of a cleaned text, with the section
    kind each heading or inline label (``labels``, at a sentence's start) sets."""
    section = BODY
    paragraph = -1
    for p_start, p_end in paragraphs(text):
        line = text[p_start:p_end]
        n_line_words = len(line.split()) if len(line) <= 200 else 99
        if is_heading(line, n_line_words):
            titled = SECTION_HEADING_RE.match(line) is not None
            if titled:
                kind = heading_kind(line)
                # A subsection heading ("Study population") stays in its section; only the
                # abstract ends at any heading.
                if kind != BODY or section == ABSTRACT:
                    section = kind
            yield Piece(
                HEADING, p_start, p_end, section, paragraph, False, line if titled else None
            )
            continue
        if CAPTION_RE.match(line):  # figure legend or table title, whatever its length
            yield Piece(CAPTION, p_start, p_end, section, paragraph, False, None)
            continue
        paragraph += 1
        first = True
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            m = labels.match(text, s_start, s_end)
            label = None
            if m:
                label = m.group("label")
                section = heading_kind(label)
                s_start = m.end()
            yield Piece(SENTENCE, s_start, s_end, section, paragraph, first, label)
            first = False


_BOILERPLATE: Final = GatedPattern(_BOILERPLATE_PARTS, tuple(range(len(_BOILERPLATE_PARTS))))
_BOILERPLATE_RE: Final = _BOILERPLATE.whole


_TERM_CACHE: dict[str, str] = {}  # token -> its stem, "" for a stopword, number or letter
_TERM_CACHE_MAX: Final = 200_000


def _term(token: str) -> str:
    """The stem of a content word, "" for a stopword, number or letter; cached."""
    keep = token not in STOPWORDS and not token[0].isdigit() and len(token) > 1
    term = stem(token) if keep else ""
    if len(_TERM_CACHE) >= _TERM_CACHE_MAX:
        _TERM_CACHE.clear()
    _TERM_CACHE[token] = term
    return term


def terms(tokens: list[str]) -> Counter[str]:
    """Counts of the stemmed content words among a sentence's tokens (cached per token), in
    the order of their first occurrence."""
    found = list(map(_TERM_CACHE.get, tokens))
    if None in found:  # a token not seen yet
        found = [v if (v := _TERM_CACHE.get(t)) is not None else _term(t) for t in tokens]
    return Counter(filter(None, found))


class Scored(Protocol):
    """A candidate sentence as ``score_importance`` reads and writes it."""

    text: str
    lower: str
    section: int
    paragraph: int
    first_in_paragraph: bool
    n_words: int
    tokens: Counter[str]
    importance: float


def _centralities(
    sentences: Sequence[Scored], tokens: Sequence[list[str]] | None = None
) -> list[float]:
    """TF-IDF cosine of each sentence to the centroid of the others (O(n): leave-one-out from
    one centroid); sets each sentence's ``tokens`` (the terms of ``tokens[i]``, its
    ``_TOKEN_RE`` tokens when the caller has them)."""
    n = len(sentences)
    df: Counter[str] = Counter()
    for i, s in enumerate(sentences):
        s.tokens = terms(_TOKEN_RE.findall(s.lower) if tokens is None else tokens[i])
        df.update(s.tokens.keys())
    idf = {t: math.log((n + 1) / (c + 0.5)) + 0.1 for t, c in df.items()}
    vectors: list[dict[str, float]] = []
    centroid: dict[str, float] = {}
    # The sums below run over the same values in the same order as plain generator sums
    # (``map``/``operator.mul`` only spare the Python-level loop): the same floats.
    for s in sentences:
        # (1 + log 1) × idf is idf exactly: the log only for repeated terms
        vec = {t: idf[t] if c == 1 else (1 + math.log(c)) * idf[t] for t, c in s.tokens.items()}
        values = vec.values()
        norm = math.sqrt(sum(map(mul, values, values))) or 1.0
        vec = {t: v / norm for t, v in vec.items()}
        vectors.append(vec)
        for t, v in vec.items():
            centroid[t] = centroid.get(t, 0.0) + v
    c_norm2 = sum(map(mul, centroid.values(), centroid.values()))
    out: list[float] = []
    for vec in vectors:
        dot = sum(map(mul, vec.values(), map(centroid.__getitem__, vec)))
        self_norm2 = sum(map(mul, vec.values(), vec.values()))
        rest_norm2 = max(c_norm2 - 2 * dot + self_norm2, 0.0)
        centrality = (dot - self_norm2) / math.sqrt(rest_norm2) if rest_norm2 > 1e-12 else 0.5
        out.append(0.5 if n == 1 else centrality)
    return out


def score_importance(
    sentences: Sequence[Scored],
    *,
    ends: bool = False,
    tokens: Sequence[list[str]] | None = None,
) -> None:
    """Each sentence's ``importance``: leave-one-out TF-IDF centrality × position/section weight
    × length. ``ends``: also raise the end of a one-paragraph text (an abstract's conclusions)
    and the last paragraph of a longer one (v2)."""
    if not sentences:
        return
    n = len(sentences)
    last_paragraph = sentences[-1].paragraph
    single_paragraph = sentences[0].paragraph == last_paragraph
    for i, (s, centrality) in enumerate(
        zip(sentences, _centralities(sentences, tokens), strict=True)
    ):
        weight = SECTION_WEIGHT[s.section]
        if i == 0:
            weight *= 1.25
        elif s.paragraph == 0 and not single_paragraph:
            weight *= 1.15
        if s.first_in_paragraph and not single_paragraph:
            weight *= 1.1
        if ends and single_paragraph and n >= 4 and i >= n - max(2, n // 4):
            weight *= 1.1  # abstracts end on their conclusions
        if ends and not single_paragraph and s.paragraph == last_paragraph:
            weight *= 1.1
        if CONCLUSION_START_RE.match(s.text):
            weight *= 1.2
        length = min(1.0, s.n_words / 12)  # very short sentences carry little
        s.importance = (0.15 + max(centrality, 0.0)) * weight * length


class _Picked(Protocol):
    @property
    def index(self) -> int: ...
    @property
    def n_words(self) -> int: ...
    @property
    def text(self) -> str: ...


_P = TypeVar("_P", bound=_Picked)
TLDR_MAX_WORDS: Final = 60


def pick_tldr(ranked: Sequence[_P], n_sentences: int) -> str:
    """The best of ``ranked`` (best first) and the next ones that fit in TLDR_MAX_WORDS, up
    to ``n_sentences``, verbatim in document order; "" for none."""
    if not ranked:
        return ""
    picked = [ranked[0]]
    words = ranked[0].n_words
    for s in ranked[1:]:
        if len(picked) >= n_sentences:
            break
        if words + s.n_words <= TLDR_MAX_WORDS:
            picked.append(s)
            words += s.n_words
    picked.sort(key=lambda s: s.index)
    return " ".join(" ".join(s.text.split()) for s in picked)


def claims_tldr(
    claims: dict[Section, list[Claim]], n_sentences: int, *, pad_with_evidence: bool = True
) -> tuple[str, list[TldrCitation]]:
    """The TL;DR composed from the claims (issue 14): mechanism and implication first,
    evidence only when they are missing; every term of it is in a cited claim's quote.
    ``pad_with_evidence`` (v2): evidence also when they give fewer than ``n_sentences``
    sentences; without it (v3, issue 13: "taken from mechanism and implication"), one
    mechanism or implication sentence is the TL;DR."""
    from litdigest.summarize.support import compose_cited_tldr

    first: dict[Section, list[Claim]] = {
        "mechanism": claims["mechanism"],
        "therapeutic_implication": claims["therapeutic_implication"],
    }
    tldr, citations = compose_cited_tldr(first, n_sentences)
    if not citations or (pad_with_evidence and len(citations) < n_sentences):
        tldr, citations = compose_cited_tldr(claims, n_sentences)
    return tldr, citations


class ExtractiveBase:
    """What the extractive backends share: the settings hash, ``summarize`` on the event loop
    as ``summarize_sync`` (pure computation, no I/O) and the assembly of the summary."""

    name: str
    model: str
    prompt_version: str
    max_claims_per_field: int
    tldr_sentences: int

    def extra_settings(self) -> dict[str, float]:
        """The backend's own settings that change its output (in the settings hash)."""
        return {}

    def settings_hash(self) -> str:
        return stable_hash(
            {
                "backend": self.name,
                "model": self.model,
                "prompt_version": self.prompt_version,
                "max_claims_per_field": self.max_claims_per_field,
                "tldr_sentences": self.tldr_sentences,
                "tldr": "composed from the claims",
                **self.extra_settings(),
            }
        )

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        return self.summarize_sync(doc)

    def summarize_sync(self, doc: Document) -> DocumentSummary:
        raise NotImplementedError


def assemble(
    backend: ExtractiveBase,
    doc: Document,
    claims: dict[Section, list[Claim]],
    tldr: str,
    citations: list[TldrCitation],
) -> DocumentSummary:
    """The summary of ``doc``, with a warning for each empty field."""
    warnings = [
        f"no {section.replace('_', '-')} sentence found"
        for section in SECTIONS
        if not claims[section]
    ]
    return DocumentSummary(
        doc_id=doc.doc_id,
        source=doc.source,
        metadata=doc.metadata,
        tldr=tldr,
        tldr_citations=citations,
        mechanism=claims["mechanism"],
        evidence=claims["evidence"],
        therapeutic_implication=claims["therapeutic_implication"],
        backend=backend.name,
        model=backend.model,
        prompt_version=backend.prompt_version,
        usage=Usage(),
        warnings=warnings,
    )
