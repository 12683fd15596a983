"""Extractive backend: offline, deterministic and fast; no model, no network.

Algorithm (``extractive-v2``: v1 plus note-keeping fields such as "Status:" skipped):

1. **Sentences.** The cleaned text is split into paragraphs (lines) and sentences
   (``chunk.sentence_spans``). Short lines without final punctuation are headings: they are
   never quoted, but they set the *section* of what follows (abstract, results, conclusions,
   methods, back matter...). An inline label (``Abstract |``, ``Main results:``) is kept out of
   the quote and sets the section too.
2. **Candidates.** Captions, reference-like lines, boilerplate (copyright, licences, URLs,
   access notices), questions, truncated sentences and sentences under 6 or over 80 words are
   dropped; back matter (methods details, appendices, acknowledgements...) is down-weighted or
   dropped.
3. **Importance** = TF-IDF cosine of the sentence to the centroid of the other sentences
   (O(n): leave-one-out from one centroid) × position/section weight (first sentences,
   abstract and conclusions up; methods down).
4. **Fields.** A weighted cue lexicon scores each sentence for mechanism, evidence and
   therapeutic implication (plus section biases: results → evidence, conclusions →
   implication). A sentence goes to its best field when that score reaches a threshold.
   Per field, the ``max_claims_per_field`` sentences with the best importance × cue score
   are kept, then put back in document order. An empty field takes the best-suited sentence
   from a field that has more than one claim, or from those left over.
5. **Claims.** The quote is the sentence (label excluded), an exact slice of the text; the
   statement is the sentence lightly trimmed of leading connectives and bracketed citations.
   Evidence claims get an ``EvidenceKind`` from cue words, falling back to the document's
   kind (systematic review → meta-analysis, review article → review).
6. **tldr**: the one or two most important sentences, verbatim, in document order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from litdigest.chunk.chunker import sentence_spans
from litdigest.summarize.backends.base import stable_hash
from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    DocumentSummary,
    EvidenceKind,
    Quote,
    Section,
    TldrCitation,
    Usage,
)

if TYPE_CHECKING:
    from litdigest.config import SummarizeSettings
    from litdigest.documents import Chunk, Document
    from litdigest.summarize.backends.base import CallContext

__all__ = ["ExtractiveBackend"]

VERSION: Final = "extractive-v2"

MIN_WORDS: Final = 6
MAX_WORDS: Final = 80
# Minimum cue score for a sentence to join a field (one weak cue is not a mechanism).
FIELD_THRESHOLD: Final[dict[Section, float]] = {
    "mechanism": 1.6,
    "evidence": 1.0,
    "therapeutic_implication": 1.0,
}
FILL_THRESHOLD: Final = 0.8  # minimum cue score to fill an otherwise empty field
TLDR_MAX_WORDS: Final = 60

# --------------------------------------------------------------------------------------------
# Cue lexicons, per field: word cues (fullmatched against lower-case alphanumeric tokens, looked
# up once per distinct word through a cache) and phrase cues (searched in the sentence,
# case-insensitive unless (?-i:...) says otherwise). Each cue counts once per sentence.
# --------------------------------------------------------------------------------------------

Cues = tuple[tuple[str, float], ...]
# Phrase cues: (regex, weight, gate). The regex runs only when the sentence has one of the gate's
# words (space-separated lower-case tokens), a digit ("#") or a "%" ("%"): cheap pre-filters
# that keep the scan O(sentence) without one big, slow alternation.
Phrases = tuple[tuple[str, float, str], ...]

_MECHANISM_WORDS: Final[Cues] = (
    (r"mechanis(?:m|ms|tic|tically)", 2.0),
    (r"pathways?", 1.5),
    (r"signal(?:l?ing|s|l?ed)?", 1.5),
    (r"whereby", 1.5),
    (r"induc(?:e|es|ed|ing|tion|ible)", 1.0),
    (r"activat(?:e|es|ed|ing|ion)", 1.0),
    (r"suppress(?:es|ed|ing|ion|ive)?", 1.0),
    (r"via", 1.0),
    (r"through", 0.5),
    (r"mediat(?:e|es|ed|ing|ion|or|ors)", 1.2),
    (r"express(?:es|ed|ing|ion)?", 1.0),
    (r"receptors?", 1.2),
    (r"(?:up|down)regulat\w*", 1.5),
    (r"regulat(?:e|es|ed|ing|ion|ory|or|ors)", 0.8),
    (r"recruit\w*", 1.2),
    (r"inhibit(?:s|ed|ing|ion|ory)?", 1.0),
    (r"promot(?:e|es|ed|ing)", 1.0),
    (r"drive|drives|driven|driving", 1.0),
    (r"bind|binds|binding|ligands?", 1.2),
    (r"cytokines?|chemokines?|interferons?|interleukin\w*", 0.8),
    (r"secret(?:e|es|ed|ion)", 0.8),
    (r"epigenetic\w*|methylat\w*|acetylat\w*|phosphorylat\w*", 1.2),
    (r"transcription\w*", 1.0),
    (r"differentiat\w*|polari[sz]\w*|exhaustion|exhausted", 1.0),
    (r"evade|evades|evasion|escape|escapes|immunoevasion", 1.0),
    (r"interact\w*|crosstalk", 0.8),
    (r"dependent", 0.8),
    (r"microenvironment", 0.5),
    (r"apoptosis|senescence|autophagy|pyroptosis|ferroptosis|necroptosis", 0.8),
    (r"immunogenic\w*", 0.6),
    (r"modulat\w*|trigger\w*|sensing|sensors?", 0.8),
    (r"metabol\w*|proliferat\w*", 0.6),
    (r"genes?|proteins?|molecules?|molecular|cellular|circuitr\w+", 0.4),
)
_MECHANISM_PHRASES: Final[Phrases] = (
    (r"\b(?:by|through) which\b", 1.5, "which"),
    (r"\b(?:up|down)-regulat", 1.5, "up down"),
    (
        r"\b(?:leads? to|led to|resulting in|results in|gives? rise to)\b",
        0.8,
        "lead leads led resulting results give gives",
    ),
    (r"\brole (?:in|of)\b|\bfunctions? (?:in|as)\b", 1.0, "role function functions"),
    (r"\bcross-talk\b", 0.8, "cross"),
    (r"\bdepends? on\b", 0.8, "depend depends"),
    (r"\bcell death\b|\bimmune escape\b", 0.8, "death escape"),
    (r"\bgene expression\b", 1.0, "expression"),
)

_NUM: Final = r"\d+(?:[.,]\d+)?"
_EVIDENCE_WORDS: Final[Cues] = (
    (r"mice|mouse|murine|xenografts?|syngeneic", 1.5),
    (r"organoids?|coculture\w*", 1.2),
    (r"patients", 0.6),
    (r"participants", 1.2),
    (r"cohorts?|retrospective\w*|prospective\w*", 1.5),
    (r"trials?|randomi[sz]\w+|placebo", 1.0),
    (r"survival", 0.8),
    (r"showed|shown|revealed|demonstrat\w+", 1.0),
    (r"found|finds?|observed|reported|detected|measured|identified", 1.0),
    (r"significant\w*|statistically", 1.2),
    (r"study|studies|experiments?|data|analysis|analyses", 0.6),
    (r"correlat\w+|versus|vs", 1.0),
    (r"increased|decrease[ds]?|reduc\w+|lower|higher|fewer", 0.5),
    (r"included|involving|enrolled", 0.8),
    (r"knockout|knockdown|deficient|deficiency", 1.0),
    (r"findings?|results?|evidence", 0.6),
)
_EVIDENCE_PHRASES: Final[Phrases] = (
    (rf"{_NUM}\s?%", 1.5, "%"),
    (
        rf"\b{_NUM}\s?(?:mg|µg|ug|ng|g|kg|ml|mm|cm|mmhg|days?|weeks?|months?|years?|hours?|"
        r"minutes?|participants|patients|people|children|women|men|adults|infants|babies|"
        r"studies|trials|rcts|mice|rats|subjects|individuals|cases|eyes|pregnancies)\b",
        1.5,
        "#",
    ),
    (r"\bn\s?=\s?\d", 2.0, "#"),
    (r"\bp\s?[<=>≤≥]\s?0?\.\d", 2.0, "#"),
    (
        r"\b(?:hazard|odds|risk|rate) ratios?\b|\brelative risk\b|\bmean difference\b",
        2.0,
        "ratio ratios risk difference",
    ),
    (r"(?-i:\b(?:HR|OR|RR|MD|SMD|RD|aOR|aHR|IRR)\b)\s?[\d(=:,]", 2.0, "#"),
    (r"(?-i:\bCIs?\b)|\bconfidence intervals?\b|(?-i:\bI2\b|\bI²)", 1.5, "ci cis confidence i2 i"),
    (r"\bin (?:vivo|vitro)\b|\bcell lines?\b|\bco-cultur", 1.2, "vivo vitro line lines co"),
    (
        r"\bresponse rates?\b|\b(?:overall|progression-free|disease-free|median) survival\b",
        1.5,
        "rate rates survival",
    ),
    (r"\b(?:show|shows|reveal|reveals) that\b", 1.0, "show shows reveal reveals"),
    (
        r"\bassociated with\b|\bcompared (?:with|to)\b|\bmore likely\b",
        1.0,
        "associated compared likely",
    ),
    (r"\bknocked out\b|-/-", 1.0, "knocked %"),
    (r"\bmeta-analys", 1.0, "meta"),
)

_IMPLICATION_WORDS: Final[Cues] = (
    (r"therap(?:y|ies|eutic|eutics|eutically)", 1.5),
    (r"treat|treatment|treatments|treating|treated", 1.0),
    (r"target|targets|targeted|targeting|targetable", 1.2),
    (r"inhibitors?|blockade|blocking", 1.5),
    (r"immunotherap\w*", 1.5),
    (r"clinic|clinical|clinically|clinicians?", 0.8),
    (r"combination|combinations|combining|combined", 1.0),
    (r"strateg(?:y|ies|ic)|approach(?:es)?", 1.2),
    (r"could|may|might", 0.6),
    (r"should|must", 1.0),
    (r"implications?|implicate|implicates", 1.5),
    (r"benefit\w*", 1.0),
    (r"drugs?|agents?|vaccin\w*|antibod(?:y|ies)", 1.0),
    (r"checkpoints?", 0.8),
    (r"efficac\w*|effective\w*", 1.0),
    (r"improv\w*|outcomes?", 0.5),
    (r"recommend\w*|guidelines?|practice|policy", 1.5),
    (r"warranted|needed|necessary|required", 1.5),
    (r"unclear|uncertain\w*|insufficient|inconclusive", 1.0),
    (r"prognos\w+|biomarkers?|predict\w*|stratif\w+", 1.0),
    (r"overcome|circumvent|harness\w*|exploit\w*|boost\w*|enhanc\w+|sensiti[sz]\w+", 1.0),
    (r"resistan\w+|durable|regression|cure[ds]?", 0.6),
    (r"promis\w+|opportunit\w+", 1.5),
    (r"conclu\w+|suggests?|indicates?|supports?", 0.6),
)
_IMPLICATION_PHRASES: Final[Phrases] = (
    (
        r"\b(?:may|might|could|can) (?:improve|enhance|benefit|help|be used|increase|"
        r"reduce|prevent|offer|play|inform|lead)\b",
        1.5,
        "may might could can",
    ),
    (r"\bneed to\b", 1.0, "need"),
    (
        r"\b(?:further|more|future|additional|larger|well[- ]designed|high[- ]quality)\s+"
        r"(?:research|studies|trials|investigation|evidence|work)\b",
        1.5,
        "further more future additional larger designed quality",
    ),
    (
        r"\bno (?:clear )?evidence\b|\blimited evidence\b|\bcannot be drawn\b",
        1.0,
        "evidence drawn",
    ),
    (r"\bpatients (?:may|might|could|would) benefit\b", 2.0, "benefit"),
    (r"(?-i:\b(?:PD-1|PD-L1|CTLA-4|CAR[- ]T)\b)", 0.8, "pd ctla car"),
)


def _alternation(cues: Cues) -> str:
    return "|".join(f"(?P<w{i}>{p})" for i, (p, _) in enumerate(cues))


@dataclass(frozen=True, slots=True)
class _Phrase:
    pattern: re.Pattern[str]
    weight: float
    words: frozenset[str]
    digit: bool
    percent: bool
    on_lower: bool  # matched against the lower-cased sentence (no case-sensitive parts)


@dataclass(frozen=True, slots=True)
class _Lexicon:
    words: re.Pattern[str]  # fullmatch against one lower-case token
    weights: dict[str, float]  # word cue group -> weight
    phrases: tuple[_Phrase, ...]

    @classmethod
    def build(cls, words: Cues, phrases: Phrases) -> _Lexicon:
        compiled = []
        for pattern, weight, gate in phrases:
            gates = gate.split()
            on_lower = "(?-i:" not in pattern
            compiled.append(
                _Phrase(
                    re.compile(pattern) if on_lower else re.compile(pattern, re.IGNORECASE),
                    weight,
                    frozenset(g for g in gates if g not in ("#", "%")),
                    "#" in gates,
                    "%" in gates,
                    on_lower,
                )
            )
        return cls(
            re.compile(_alternation(words)),
            {f"w{i}": w for i, (_, w) in enumerate(words)},
            tuple(compiled),
        )


_LEXICONS: Final[tuple[tuple[Section, _Lexicon], ...]] = (
    ("mechanism", _Lexicon.build(_MECHANISM_WORDS, _MECHANISM_PHRASES)),
    ("evidence", _Lexicon.build(_EVIDENCE_WORDS, _EVIDENCE_PHRASES)),
    ("therapeutic_implication", _Lexicon.build(_IMPLICATION_WORDS, _IMPLICATION_PHRASES)),
)
_CUE_TOKEN_RE: Final = re.compile(r"[a-z0-9]+")
_WORD_CACHE: dict[str, tuple[tuple[int, str], ...]] = {}
_WORD_CACHE_MAX: Final = 200_000


def _word_cues(word: str) -> tuple[tuple[int, str], ...]:
    """(field index, cue group) of every word cue that ``word`` matches; cached."""
    hit = _WORD_CACHE.get(word)
    if hit is None:
        found: list[tuple[int, str]] = []
        for fi, (_, lexicon) in enumerate(_LEXICONS):
            m = lexicon.words.fullmatch(word)
            if m is not None and m.lastgroup is not None:
                found.append((fi, m.lastgroup))
        hit = tuple(found)
        if len(_WORD_CACHE) >= _WORD_CACHE_MAX:
            _WORD_CACHE.clear()
        _WORD_CACHE[word] = hit
    return hit


def _cue_scores(sentence: str, lower: str, words: set[str]) -> dict[Section, float]:
    """Cue score per field of ``sentence`` (``lower``: lower-cased; ``words``: its tokens)."""
    seen: set[tuple[int, str]] = set()
    for word in words:
        seen.update(_word_cues(word))
    totals = [0.0, 0.0, 0.0]
    for fi, group in seen:
        totals[fi] += _LEXICONS[fi][1].weights[group]
    has_digit = bool(_DIGIT_RE.search(sentence))
    has_percent = "%" in sentence or "/" in sentence
    for fi, (_, lexicon) in enumerate(_LEXICONS):
        for phrase in lexicon.phrases:
            if not (
                (phrase.digit and has_digit)
                or (phrase.percent and has_percent)
                or not phrase.words.isdisjoint(words)
            ):
                continue
            if phrase.pattern.search(lower if phrase.on_lower else sentence):
                totals[fi] += phrase.weight
    return {section: totals[fi] for fi, (section, _) in enumerate(_LEXICONS)}


_DIGIT_RE: Final = re.compile(r"\d")


# Statistics: sentences reporting figures belong to evidence, not conclusions.
_STATS_RE: Final = re.compile(
    r"\d\s?%|\b[Pp]\s?[<=>≤≥]\s?0?\.\d|(?-i:\bCI\b)|confidence interval|\b[nN]\s?=\s?\d|"
    r"(?-i:\b(?:HR|OR|RR|MD|SMD|RD)\b)\s?[\d(=:,]|\bratio\s?[\d(=:,]|"
    r"\b\d[\d,]*\s(?:participants|patients|people|children|women|men|studies|trials|mice)\b",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------------------------
# Evidence kinds, tested in order; the first that matches wins.
# --------------------------------------------------------------------------------------------

_KIND_CUES: Final[tuple[tuple[EvidenceKind, re.Pattern[str]], ...]] = (
    (
        EvidenceKind.META_ANALYSIS,
        re.compile(
            r"\bmeta-?analys[ie]s\b|\bsystematic reviews?\b|\bpooled\b|"
            r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+-[a-z]+)"
            r" (?:included |eligible |randomi[sz]ed (?:controlled )?)?(?:studies|trials|RCTs)\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.CLINICAL_TRIAL,
        re.compile(
            r"\btrials?\b|\bphase (?:I{1,3}V?|IV|[1-4])(?:/(?:I{1,3}|[1-3]))?\b|"
            r"\brandomi[sz]\w+|\bplacebo\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.ANIMAL_MODEL,
        re.compile(
            r"\b(?:mice|mouse|murine|xenografts?|syngeneic|rats?|zebrafish|animal models?|"
            r"in vivo|primates?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.IN_VITRO,
        re.compile(
            r"\bin vitro\b|\bcell lines?\b|\borganoids?\b|\bco-?cultur\w+|\bcultured\b",
            re.IGNORECASE,
        ),
    ),
    (
        EvidenceKind.PATIENT_COHORT,
        re.compile(
            r"\bpatients?\b|\bcohorts?\b|\bretrospective\w*|\bprospective\w*|\bparticipants\b|"
            r"\bcase series\b|\bregistr(?:y|ies)\b|\bbiops(?:y|ies)\b|\bindividuals\b",
            re.IGNORECASE,
        ),
    ),
)
_SYSTEMATIC_REVIEW_RE: Final = re.compile(
    r"\b(?:this|our|the present|we (?:performed|conducted|undertook) a) "
    r"(?:systematic review|meta-?analysis|review)\b|"
    r"\b(?:we )?included (?:\d+|[a-z-]+) (?:studies|trials|RCTs)\b|"
    r"\b(?:\d+|[a-z-]+) (?:studies|trials|RCTs)(?:,| with| involving| including)? .{0,40}"
    r"\b(?:were|was) included\b",
    re.IGNORECASE,
)
_REVIEW_TITLE_RE: Final = re.compile(r"\breview\b", re.IGNORECASE)
_ONE_TRIAL_RE: Final = re.compile(r"\btrial\b(?!s)", re.IGNORECASE)
_REVIEW_ARTICLE_RE: Final = re.compile(
    r"\b(?:in this|this|our) (?:review|focus|perspective|commentary|editorial)\b|"
    r"\bwe (?:discuss|review|summari[sz]e|highlight|outline)\b|\bhere,? we discuss\b",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------------------------
# Sentence filters and sections
# --------------------------------------------------------------------------------------------

_CLOSERS: Final = "\"'”’)]"
_CAPTION_RE: Final = re.compile(
    r"^(?:Fig(?:ure)?s?\.?|Table|Box|Supplementary|Extended Data|Scheme|Video|Panel)\s*"
    r"[A-Z]?\d*[A-Za-z]?\s*[:.|—–-]",
)
# Reference-like sentences always have a digit or "et al"; boilerplate has one of these words.
_REFERENCE_RE: Final = re.compile(
    r"\bet al\.?|\bdoi\s*:|\b(?:19|20)\d\d\b[;.,)]|;\s*\d+\s*[:(]\s*\d+|\bPMID\b|\bpp?\.\s?\d"
    r"|\b[A-Z][a-z]+ [A-Z]{1,2},",
)
_BOILERPLATE_RE: Final = re.compile(
    r"\bthis article (?:is|was|has)\b|\bcopyright\b|©|\ball rights reserved\b|\blicen[cs]\w*|"
    r"creative commons|\bhttps?://|\bwww\.|\b(?:accessed|available) (?:for free|online|at)\b|"
    r"\bsubscri\w+|\bclick here\b|\bdownload\w*|\bpublished (?:online|by)\b|"
    r"\b(?:received|accepted|revised):|\bcompeting interests?\b|\bconflicts? of interest\b|"
    r"\bauthor contributions\b|\bthe authors? (?:declare|thank|acknowledge|would like)\b|"
    r"\bwe thank\b|\bgrant (?:no|number)\b|\bfunded by\b|\bcorresponding author\b|"
    r"\bthanks to support\b|\bcookies?\b|\bsign (?:in|up)\b|\bpermissions?\b|\breprints?\b|"
    r"\bpeer review information\b|\bcite this article\b|\bsupplementary (?:information|material)\b",
    re.IGNORECASE,
)
_BOILERPLATE_WORDS: Final = frozenset(
    """article copyright rights licence license licensed licenses licensing creative http https
    www accessed available subscribe subscribed subscriber subscribers subscription click
    download downloaded downloads published received accepted revised competing conflict
    conflicts contributions authors author thank thanks grant funded corresponding cookie
    cookies sign permission permissions reprint reprints peer cite supplementary""".split()
)
_LABELS: Final = (
    r"Abstract|Summary|Background|Introduction|Objectives?|Aims?|Purpose|Methods?|"
    r"Materials and methods|Search (?:methods|strategy)|Selection criteria|"
    r"Data collection and analysis|Main results|Results|Findings|Discussion|"
    r"Authors'? conclusions|Conclusions?|Interpretation|Significance|Implications(?: for [a-z]+)?|"
    r"Key points|Perspectives?|Outlook"
)
_INLINE_LABEL_RE: Final = re.compile(rf"(?P<label>{_LABELS})\s*(?:[:|—–]\s*|-\s+|\.\s+)")
_SECTION_HEADING_RE: Final = re.compile(
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
_CONCLUSION_START_RE: Final = re.compile(
    r"^(?:in (?:conclusion|summary|sum)|to (?:conclude|summari[sz]e)|taken together|overall|"
    r"collectively|altogether|together,|these (?:data|results|findings|observations) "
    r"(?:suggest|indicate|imply|support|show)|our (?:data|results|findings) (?:suggest|indicate))",
    re.IGNORECASE,
)

# Leading connectives trimmed from statements (the quote keeps them).
_CONNECTIVE_RE: Final = re.compile(
    r"^(?:(?:Moreover|Furthermore|However|In addition|Additionally|Indeed|Importantly|Notably|"
    r"Interestingly|Conversely|Similarly|Likewise|Thus|Therefore|Hence|Consequently|"
    r"Accordingly|Of course|In particular|In contrast|By contrast|Finally|First(?:ly)?|"
    r"Second(?:ly)?|Third(?:ly)?|Lastly|Also|Briefly|Strikingly|Remarkably|Encouragingly|"
    r"Nevertheless|Nonetheless|For example|For instance|Specifically|As such|Here|Mechanistically|"
    r"In this (?:Review|review|article|Perspective|perspective|study|Focus|paper))"
    r"(?:,\s*|\s+(?=we\b)))+"
)
_CITATION_RE: Final = re.compile(
    r"\s?\[\d+(?:\s?[–-]\s?\d+)?(?:,\s?\d+(?:\s?[–-]\s?\d+)?)*\](?:\s?[–,-]\s?\[\d+\])*"
)

_STOPWORDS: Final = frozenset(
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


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# Section kinds, as set by headings and inline labels.
_BODY, _ABSTRACT, _RESULTS, _CONCLUSION, _METHODS, _BACK = range(6)
_SECTION_WEIGHT: Final = {
    _BODY: 1.0,
    _ABSTRACT: 1.35,
    _RESULTS: 1.0,
    _CONCLUSION: 1.25,
    _METHODS: 0.45,
    _BACK: 0.0,
}


def _heading_kind(heading: str) -> int:
    if _BACK_MATTER_HEAD_RE.search(heading):
        return _BACK
    if _ABSTRACT_HEAD_RE.search(heading):
        return _ABSTRACT
    if _METHODS_HEAD_RE.search(heading):
        return _METHODS
    if _CONCLUSION_HEAD_RE.search(heading):
        return _CONCLUSION
    if _RESULTS_HEAD_RE.search(heading):
        return _RESULTS
    return _BODY


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    index: int  # among candidates, document order
    paragraph: int
    first_in_paragraph: bool
    section: int
    text: str
    lower: str
    words: set[str]
    n_words: int
    tokens: Counter[str] = field(default_factory=Counter)
    importance: float = 0.0
    scores: dict[Section, float] = field(default_factory=dict)
    has_stats: bool = False


class ExtractiveBackend:
    """Lexicon-and-centrality extractive summarizer (see the module docstring)."""

    name = "extractive"
    model = VERSION
    prompt_version = VERSION

    def __init__(self, max_claims_per_field: int = 5, tldr_sentences: int = 2) -> None:
        if max_claims_per_field < 1:
            raise ValueError("max_claims_per_field must be at least 1")
        if tldr_sentences < 1:
            raise ValueError("tldr_sentences must be at least 1")
        self.max_claims_per_field = max_claims_per_field
        self.tldr_sentences = tldr_sentences

    @classmethod
    def from_settings(cls, settings: SummarizeSettings) -> ExtractiveBackend:
        return cls(max_claims_per_field=settings.max_claims_per_field)

    def settings_hash(self) -> str:
        return stable_hash(
            {
                "backend": self.name,
                "model": self.model,
                "prompt_version": self.prompt_version,
                "max_claims_per_field": self.max_claims_per_field,
                "tldr_sentences": self.tldr_sentences,
                "tldr": "composed from the claims",
            }
        )

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        return self.summarize_sync(doc)

    # ----------------------------------------------------------------------------------------

    def summarize_sync(self, doc: Document) -> DocumentSummary:
        text = doc.text
        sentences = _candidates(text)
        _score(sentences)
        fields = self._select(sentences)
        kinds = _evidence_kinds([s.text for s in fields["evidence"]], text, doc.metadata.title)
        claims: dict[Section, list[Claim]] = {}
        for section in SECTIONS:
            claims[section] = [
                Claim(
                    statement=_statement(s.text),
                    quotes=[Quote(text=s.text, start=s.start, end=s.end)],
                    evidence_kind=kinds[i] if section == "evidence" else None,
                )
                for i, s in enumerate(fields[section])
            ]
        warnings = [
            f"no {section.replace('_', '-')} sentence found"
            for section in SECTIONS
            if not claims[section]
        ]
        tldr, citations = self._claims_tldr(claims)
        return DocumentSummary(
            doc_id=doc.doc_id,
            source=doc.source,
            metadata=doc.metadata,
            tldr=tldr or self._tldr(sentences, text, doc.metadata.title),
            tldr_citations=citations,
            mechanism=claims["mechanism"],
            evidence=claims["evidence"],
            therapeutic_implication=claims["therapeutic_implication"],
            backend=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
            usage=Usage(),
            warnings=warnings,
        )

    def _select(self, sentences: list[_Sentence]) -> dict[Section, list[_Sentence]]:
        k = self.max_claims_per_field
        pools: dict[Section, list[_Sentence]] = {section: [] for section in SECTIONS}
        seen: set[str] = set()
        for s in sentences:
            if s.section == _BACK or s.lower in seen:
                continue  # back matter, or a sentence repeated (abstract and conclusions)
            seen.add(s.lower)
            eligible = [f for f in SECTIONS if s.scores[f] >= FIELD_THRESHOLD[f]]
            if eligible:
                pools[max(eligible, key=lambda f: s.scores[f])].append(s)
        chosen: dict[Section, list[_Sentence]] = {}
        for section in SECTIONS:
            pool = sorted(pools[section], key=lambda s: (-_rank(s, section), s.index))
            chosen[section] = pool[:k]
        # Fill empty fields from leftovers or from fields that can spare a claim.
        for section in SECTIONS:
            if chosen[section]:
                continue
            used = {s.index: f for f in SECTIONS for s in chosen[f]}
            best_s: _Sentence | None = None
            for s in sentences:
                if s.section == _BACK or s.scores[section] < FILL_THRESHOLD:
                    continue
                owner = used.get(s.index)
                if owner is not None and len(chosen[owner]) < 2:
                    continue
                if best_s is None or _rank(s, section) > _rank(best_s, section):
                    best_s = s
            if best_s is not None:
                owner = used.get(best_s.index)
                if owner is not None:
                    chosen[owner].remove(best_s)
                chosen[section] = [best_s]
        return {section: sorted(chosen[section], key=lambda s: s.index) for section in SECTIONS}

    def _claims_tldr(self, claims: dict[Section, list[Claim]]) -> tuple[str, list[TldrCitation]]:
        """The TL;DR composed from the claims (issue 14): mechanism and implication first,
        evidence only when they are missing; every term of it is in a cited claim's quote."""
        from litdigest.summarize.support import compose_cited_tldr

        first: dict[Section, list[Claim]] = {
            "mechanism": claims["mechanism"],
            "therapeutic_implication": claims["therapeutic_implication"],
        }
        tldr, citations = compose_cited_tldr(first, self.tldr_sentences)
        if len(citations) < self.tldr_sentences:
            tldr, citations = compose_cited_tldr(claims, self.tldr_sentences)
        return tldr, citations

    def _tldr(self, sentences: list[_Sentence], text: str, title: str | None) -> str:
        pool = [s for s in sentences if s.section != _BACK]
        if not pool:
            if title:
                return title
            first = next(sentence_spans(text), None)
            return " ".join(text[first[0] : first[1]].split()) if first else ""
        ranked = sorted(pool, key=lambda s: (-_tldr_rank(s), s.index))
        picked = [ranked[0]]
        words = ranked[0].n_words
        for s in ranked[1:]:
            if len(picked) >= self.tldr_sentences:
                break
            if words + s.n_words <= TLDR_MAX_WORDS:
                picked.append(s)
                words += s.n_words
        picked.sort(key=lambda s: s.index)
        return " ".join(" ".join(s.text.split()) for s in picked)


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
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


def _is_heading(line: str, n_words: int) -> bool:
    return n_words <= 14 and len(line) <= 120 and line.rstrip(_CLOSERS)[-1:] not in (".", "!", "?")


def _candidates(text: str) -> list[_Sentence]:
    out: list[_Sentence] = []
    section = _BODY
    paragraph = -1
    for p_start, p_end in _paragraphs(text):
        line = text[p_start:p_end]
        n_line_words = len(line.split()) if len(line) <= 200 else 99
        if _is_heading(line, n_line_words):
            if _SECTION_HEADING_RE.match(line):
                kind = _heading_kind(line)
                # A subsection heading ("Study population") stays in its section; only the
                # abstract ends at any heading.
                if kind != _BODY or section == _ABSTRACT:
                    section = kind
            continue
        if _CAPTION_RE.match(line):
            continue  # figure legend or table title, whatever its length
        paragraph += 1
        first = True
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            m = _INLINE_LABEL_RE.match(text, s_start, s_end)
            if m:
                section = _heading_kind(m.group("label"))
                s_start = m.end()
            sentence = text[s_start:s_end]
            n_words = len(sentence.split())
            if MIN_WORDS <= n_words <= MAX_WORDS and _quotable(sentence):
                lower = sentence.lower()
                words = set(_CUE_TOKEN_RE.findall(lower))
                if not _unwanted(sentence, lower, words):
                    out.append(
                        _Sentence(
                            start=s_start,
                            end=s_end,
                            index=len(out),
                            paragraph=paragraph,
                            first_in_paragraph=first,
                            section=section,
                            text=sentence,
                            lower=lower,
                            words=words,
                            n_words=n_words,
                        )
                    )
            first = False
    return out


def _quotable(sentence: str) -> bool:
    """A complete declarative sentence: final period or "!", not truncated, not a question."""
    core = sentence.rstrip(_CLOSERS)
    if core[-1:] not in (".", "!") or core.endswith(("...", "…", "[…]", "[...]")):
        return False
    if _CAPTION_RE.match(sentence):
        return False
    letters = sum(map(str.isalpha, sentence))
    return letters >= 0.5 * len(sentence)  # not a table row, formula or list of numbers


# Note-keeping fields at the start of a line ("Status: draft, ...", "Tags: ...").
_NOTE_FIELD_RE: Final = re.compile(
    r"(?:status|tags?|keywords?|updated|last updated|reviewed|date|todo|note to self|"
    r"read on|source|url)\s*:",
    re.IGNORECASE,
)


def _unwanted(sentence: str, lower: str, words: set[str]) -> bool:
    """Boilerplate, a note-keeping field or a reference-list entry."""
    if _NOTE_FIELD_RE.match(sentence):
        return True
    if ("©" in sentence or not _BOILERPLATE_WORDS.isdisjoint(words)) and _BOILERPLATE_RE.search(
        sentence
    ):
        return True
    return ("et" in words or _DIGIT_RE.search(sentence) is not None) and len(
        _REFERENCE_RE.findall(sentence)
    ) >= 2


def _score(sentences: list[_Sentence]) -> None:
    if not sentences:
        return
    n = len(sentences)
    df: Counter[str] = Counter()
    for s in sentences:
        raw = _CUE_TOKEN_RE.findall(s.lower)
        s.tokens = Counter(
            _stem(t) for t in raw if t not in _STOPWORDS and not t[0].isdigit() and len(t) > 1
        )
        df.update(s.tokens.keys())
    idf = {t: math.log((n + 1) / (c + 0.5)) + 0.1 for t, c in df.items()}
    vectors: list[dict[str, float]] = []
    centroid: dict[str, float] = {}
    for s in sentences:
        vec = {t: (1 + math.log(c)) * idf[t] for t, c in s.tokens.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {t: v / norm for t, v in vec.items()}
        vectors.append(vec)
        for t, v in vec.items():
            centroid[t] = centroid.get(t, 0.0) + v
    c_norm2 = sum(v * v for v in centroid.values())
    last_paragraph = sentences[-1].paragraph
    single_paragraph = sentences[0].paragraph == last_paragraph
    for i, (s, vec) in enumerate(zip(sentences, vectors, strict=True)):
        # Leave-one-out cosine to the centroid of the other sentences.
        dot = sum(v * centroid[t] for t, v in vec.items())
        self_norm2 = sum(v * v for v in vec.values())
        rest_norm2 = max(c_norm2 - 2 * dot + self_norm2, 0.0)
        centrality = (dot - self_norm2) / math.sqrt(rest_norm2) if rest_norm2 > 1e-12 else 0.5
        if n == 1:
            centrality = 0.5
        weight = _SECTION_WEIGHT[s.section]
        if i == 0:
            weight *= 1.25
        elif s.paragraph == 0 and not single_paragraph:
            weight *= 1.15
        if s.first_in_paragraph and not single_paragraph:
            weight *= 1.1
        if single_paragraph and n >= 4 and i >= n - max(2, n // 4):
            weight *= 1.1  # abstracts end on their conclusions
        if not single_paragraph and s.paragraph == last_paragraph:
            weight *= 1.1
        if _CONCLUSION_START_RE.match(s.text):
            weight *= 1.2
        length = min(1.0, s.n_words / 12)  # very short sentences carry little
        s.importance = (0.15 + max(centrality, 0.0)) * weight * length
        s.has_stats = bool(_STATS_RE.search(s.text))
        s.scores = _cue_scores(s.text, s.lower, s.words)
        _section_bias(s, i, n, single_paragraph)


def _section_bias(s: _Sentence, i: int, n: int, single_paragraph: bool) -> None:
    scores = s.scores
    if s.has_stats:
        scores["evidence"] += 1.5
        scores["therapeutic_implication"] *= 0.6
        scores["mechanism"] *= 0.8
    conclusion = s.section == _CONCLUSION or bool(_CONCLUSION_START_RE.match(s.text))
    if single_paragraph and n >= 4 and i >= n * 0.6 and not s.has_stats:
        conclusion = True  # Cochrane-style abstracts: results, then the authors' conclusions
    if conclusion and not s.has_stats:
        scores["therapeutic_implication"] += 1.2
        scores["evidence"] *= 0.7
    if s.section == _RESULTS:
        scores["evidence"] += 0.8
    if s.section == _METHODS:
        scores["evidence"] *= 0.6


def _rank(s: _Sentence, section: Section) -> float:
    return s.importance * (0.5 + min(s.scores[section], 5.0) / 5.0)


def _tldr_rank(s: _Sentence) -> float:
    return s.importance * (1.0 + 0.05 * min(max(s.scores.values()), 6.0))


def _statement(sentence: str) -> str:
    flat = " ".join(sentence.split())
    trimmed = _CONNECTIVE_RE.sub("", flat)
    trimmed = _CITATION_RE.sub("", trimmed).strip()
    # A sentence cut out of a longer quotation keeps an unbalanced quote mark: drop it.
    if trimmed.startswith("“") and "”" not in trimmed:
        trimmed = trimmed[1:]
    if trimmed.endswith("”") and "“" not in trimmed:
        trimmed = trimmed[:-1]
    if len(trimmed.split()) < 4:
        return flat
    if trimmed[0].islower() and (len(trimmed) == 1 or not trimmed[1].isupper()):
        trimmed = trimmed[0].upper() + trimmed[1:]
    return trimmed


def _document_kind(text: str, title: str | None) -> EvidenceKind | None:
    """META_ANALYSIS for a systematic review, REVIEW for a review article, judged from the
    title and the opening (abstract) only."""
    head = text[:3000]
    if _SYSTEMATIC_REVIEW_RE.search(head):
        return EvidenceKind.META_ANALYSIS
    if _REVIEW_ARTICLE_RE.search(head) or (title and _REVIEW_TITLE_RE.search(title)):
        return EvidenceKind.REVIEW
    return None


def _cue_kind(sentence: str) -> EvidenceKind | None:
    for kind, pattern in _KIND_CUES:
        if pattern.search(sentence):
            return kind
    return None


def _evidence_kinds(sentences: list[str], text: str, title: str | None) -> list[EvidenceKind]:
    """Kind of each evidence sentence: its own cue words; without any, the document's kind
    (systematic review, review article), else the kind most of the other evidence claims
    name (a cohort study's unlabelled hazard ratio is from the cohort), else unspecified."""
    document = _document_kind(text, title)
    cued = [_cue_kind(s) for s in sentences]
    counts = Counter(k for k in cued if k is not None)
    fallback = document or EvidenceKind.UNSPECIFIED
    if document is None and counts:
        order = [k for k, _ in _KIND_CUES]
        fallback = max(counts, key=lambda k: (counts[k], -order.index(k)))
    out: list[EvidenceKind] = []
    for sentence, kind in zip(sentences, cued, strict=True):
        if kind is None:
            kind = fallback
        elif (
            kind is EvidenceKind.CLINICAL_TRIAL
            and document is EvidenceKind.META_ANALYSIS
            and not _ONE_TRIAL_RE.search(sentence)
        ):
            kind = EvidenceKind.META_ANALYSIS  # trials pooled by a systematic review
        out.append(kind)
    return out
