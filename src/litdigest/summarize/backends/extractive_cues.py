"""Cue lexicons of the extractive backend: one weighted lexicon per rhetorical role.

Word cues are fullmatched against lower-case alphanumeric tokens (looked up once per distinct
word through a cache); phrase cues are searched in the sentence, case-insensitive unless
``(?-i:...)`` says otherwise, and only when the sentence has one of the gate's words, a digit
("#") or a "%" ("%"): cheap pre-filters that keep the scan O(sentence). Each cue counts once
per sentence. The scores are features of the role classifier (``extractive_roles``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Final

from litdigest.summarize.backends.extractive_common import DIGIT_RE

__all__ = ["CLAIM_CUE_ROLES", "CUE_ROLES", "CUE_TOKEN_RE", "cue_scores"]

Cues = tuple[tuple[str, float], ...]
# Phrase cues: (regex, weight, gate). The regex runs only when the sentence has one of the gate's
# words (space-separated lower-case tokens), a digit ("#") or a "%" ("%"): cheap pre-filters
# that keep the scan O(sentence) without one big, slow alternation. A gate entry "+s" further
# needs the substring s ("_" for a space; one of them when several) in the text the regex
# searches: every match of the regex contains one.
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
    (r"\bn\s?=\s?\d", 2.0, "# +="),
    (r"\bp\s?[<=>≤≥]\s?0?\.\d", 2.0, "# +< += +> +≤ +≥"),
    (
        r"\b(?:hazard|odds|risk|rate) ratios?\b|\brelative risk\b|\bmean difference\b",
        2.0,
        "ratio ratios risk difference +_ratio +relative_risk +mean_difference",
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
    (r"\bknocked out\b|-/-", 1.0, "knocked % +knocked_out +-/-"),
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
        "further more future additional larger designed quality +research +studies +trials "
        "+investigation +evidence +work",
    ),
    (
        r"\bno (?:clear )?evidence\b|\blimited evidence\b|\bcannot be drawn\b",
        1.0,
        "evidence drawn +no_evidence +no_clear_evidence +limited_evidence +cannot_be_drawn",
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
    needs: tuple[str, ...]  # one of these substrings is in every match ("+" gates); () none


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
                    frozenset(g for g in gates if g not in ("#", "%") and g[0] != "+"),
                    "#" in gates,
                    "%" in gates,
                    on_lower,
                    tuple(g[1:].replace("_", " ") for g in gates if g[0] == "+"),
                )
            )
        return cls(
            re.compile(_alternation(words)),
            {f"w{i}": w for i, (_, w) in enumerate(words)},
            tuple(compiled),
        )


_META_WORDS: Final[Cues] = (
    (r"herein|hereafter|below|foregoing", 1.0),
    (r"outline|outlines|outlined|summari[sz]e|summari[sz]es|overview|highlight|highlights", 1.0),
    (r"discuss|discusses|discussed|discussion|review|reviews|reviewed|describe|describes", 0.8),
    (r"aim|aims|aimed|objective|objectives|purpose|goal|sought|hypothesi[sz]ed", 1.2),
    (r"focus|issue|article|chapter|paper|perspective|commentary|editorial", 0.6),
    (r"colleagues|authors|researchers|contributors", 0.8),
)
_META_PHRASES: Final[Phrases] = (
    (
        r"\b(?:here|herein|in this (?:review|article|paper|focus|issue|perspective|chapter)),? "
        r"(?:we|i|the authors|they)\b",
        3.0,
        "here herein this +here +in_this_",
    ),
    (
        r"\b(?:we|they|authors?|colleagues|researchers) (?:also |then |further |briefly )?"
        r"(?:discuss|review|describe|outline|summari[sz]e|highlight|consider|explore|examine|"
        r"present|propose|extend|focus|address|provide|argue|emphasi[sz]e|speculate|introduce)",
        2.5,
        "we they author authors colleagues researchers +discuss +review +describe +outline "
        "+summari +highlight +consider +explore +examine +present +propose +extend +focus "
        "+address +provide +argue +emphasi +speculate +introduce",
    ),
    (
        r"\b(?:this|the present|our|the current|these) (?:review|article|paper|focus|perspective|"
        r"commentary|editorial|issue|chapter|special issue|series|collection)\b",
        2.0,
        "this present our current these +review +article +paper +focus +perspective "
        "+commentary +editorial +issue +chapter +series +collection",
    ),
    (
        r"\b(?:aims?|objectives?|purpose|goals?) (?:of|was|were|is)\b|\bwe (?:aimed|sought|"
        r"set out|asked|tested whether|hypothesi[sz]ed|wanted)\b",
        2.5,
        "aim aims objective objectives purpose goal goals we",
    ),
    (
        r"^to (?:assess|evaluate|determine|investigate|examine|compare|review|summari[sz]e)\b",
        2.0,
        "to",
    ),
    (r"\b(?:in|of) the following\b|\bsee (?:below|above|section)\b", 1.5, "following see"),
    (r"\bthe (?:discussion|debate) (?:of|on|to)\b", 1.0, "discussion debate"),
)

_METHODS_WORDS: Final[Cues] = (
    (r"searched|screened|extracted|abstracted|independently|databases?|registers?", 1.2),
    (r"medline|embase|central|pubmed|cinahl|psycinfo|lilacs|scopus|clinicaltrials", 1.5),
    (r"incubated|centrifuged|washed|stained|diluted|dissolved|fixed|transfected|cloned", 1.5),
    (r"purified|amplified|sequenced|genotyped|cultured|harvested|isolated|homogeni[sz]ed", 1.2),
    (r"primers?|kits?|buffer|reagents?|antibodies|plasmids?|vectors?|protocol|protocols", 1.0),
    (r"software|version|package|spss|stata|matlab|excel|algorithm", 1.2),
    (r"recruited|enrolled|allocated|assigned|sampled|collected|obtained|selected", 1.0),
    (r"analy[sz]ed|calculated|estimated|assessed|evaluated|measured|quantified|recorded", 0.6),
    (r"criteria|eligible|eligibility|inclusion|exclusion|excluded|design", 1.0),
    (r"performed|conducted|carried|undertaken|used|using|according|described", 0.6),
    (r"min|minutes|rpm|overnight|room|temperature|ph|mm|ml|ul|µl|μl|mg|ng|µg|μg", 0.6),
)
_METHODS_PHRASES: Final[Phrases] = (
    (
        r"\bwe (?:searched|included|used|performed|conducted|collected|extracted|measured|"
        r"analy[sz]ed|assessed|recruited|selected|obtained|applied|estimated|calculated|"
        r"compared|defined|examined|evaluated|followed|sequenced|designed|developed|pooled)\b",
        2.0,
        "we",
    ),
    (
        r"\b(?:was|were) (?:then |subsequently |also |first |further )?(?:randomi[sz]ed|"
        r"allocated|recruited|enrolled|collected|obtained|incubated|cultured|stained|"
        r"analy[sz]ed|performed|measured|assessed|extracted|calculated|estimated|used|"
        r"included|excluded|selected|searched|screened|purchased|stored|fixed|washed|"
        r"centrifuged|diluted|sequenced|amplified|genotyped|recorded|followed|"
        r"determined|evaluated|tested|carried out|conducted|defined|classified|grown|"
        r"prepared|treated|injected|inoculated|sampled|pooled|adjusted)\b",
        2.0,
        "was were",
    ),
    (r"\b\d+\s?°\s?c\b|°c\b|\bx ?g\b|\b\d+ ?rpm\b", 1.5, "# +° +xg +x_g +rpm"),
    (
        r"\bstatistical(?:ly)? analys|\bmodels? (?:was|were) (?:fitted|used)",
        1.5,
        "statistical statistically model models",
    ),
    (
        r"\btwo (?:review )?authors\b|\breview authors\b|\brisk of bias\b",
        1.5,
        "two authors risk +authors +risk_of_bias",
    ),
    (r"\baccording to (?:the )?manufacturer", 2.0, "according"),
    (
        r"\bcochrane (?:library|central|register)|\bsearch(?:ed)? (?:date|strategy|up to)",
        1.5,
        "cochrane search searched",
    ),
)

_BACKGROUND_WORDS: Final[Cues] = (
    (r"prevalence|prevalent|incidence|epidemiolog\w*|worldwide|global|globally|burden", 1.2),
    (r"common|leading|major|frequent|frequently|widely|widespread|increasingly", 0.6),
    (r"defined|definition|refers|termed|known|called|considered|regarded|recogni[sz]ed", 0.8),
    (r"history|historically|traditionally|decades|years|recently|recent|century", 0.6),
    (r"remains|remain|poorly|little|unknown|understood|debate|controversial|unclear", 0.6),
    (r"million|millions|thousands|deaths|mortality|morbidity|cause|causes", 0.6),
    (r"is|are|has|have|been", 0.2),
)
_BACKGROUND_PHRASES: Final[Phrases] = (
    (
        r"\b(?:is|are) (?:one of|among) the\b|\b(?:is|are) (?:a|an) (?:major|common|leading|"
        r"important|serious|significant|frequent)\b",
        1.5,
        "is are +one_of +among +_a_ +_an_",
    ),
    (
        r"\b(?:has|have) (?:long )?been (?:shown|reported|described|proposed|suggested|"
        r"implicated|studied|investigated|used|recogni[sz]ed)\b",
        1.0,
        "has have",
    ),
    (
        r"\blittle is known\b|\bremains? (?:unclear|unknown|poorly|elusive|controversial)",
        1.5,
        "little remain remains",
    ),
    (r"\bin recent (?:years|decades)\b|\bover the (?:past|last)\b", 1.0, "recent past last"),
)

_OTHER_WORDS: Final[Cues] = (
    (r"funding|funded|grants?|supported|sponsor\w*|fellowship|foundation", 1.2),
    (r"acknowledg\w*|thank|thanks|grateful|contributions|contributed|wrote|drafted", 1.2),
    (r"ethics|ethical|approved|approval|committee|consent|irb|declaration|helsinki", 1.0),
    (r"table|tables|fig|figure|figures|supplementary|appendix|panel|legend|box", 1.0),
    (r"copyright|licen[cs]\w*|doi|http|https|www|email|correspondence|affiliation", 1.5),
    (r"mean|median|sd|iqr|range|aged|age|male|female|males|females|women|men", 0.5),
)
_OTHER_PHRASES: Final[Phrases] = (
    (
        r"\b(?:mean|median|average) (?:age|duration|follow-up)\b|\byears old\b|\baged \d",
        2.0,
        "mean median average old aged",
    ),
    (
        r"\b(?:shown|listed|presented|summari[sz]ed|given|provided|illustrated) in "
        r"(?:fig|figure|table|supplementary|appendix|additional)",
        2.0,
        "shown listed presented summarized summarised given provided illustrated",
    ),
    (r"\b(?:see|cf\.?) (?:fig|figure|table|supplementary|appendix)", 2.0, "see cf"),
    (
        r"\bsupported by (?:a |the |grants?)|\bthe funders? had no role\b",
        2.5,
        "supported funder funders",
    ),
    (
        r"\bthe authors? (?:declare|thank|acknowledge)|\bcompeting interests?\b",
        2.5,
        "author authors competing",
    ),
)


# The order of the roles is the order of the scores (and of the classifier's cue features).
CUE_ROLES: Final = (
    "mechanism",
    "evidence",
    "implication",
    "background",
    "methods",
    "meta",
    "other",
)
_LEXICONS: Final[tuple[_Lexicon, ...]] = (
    _Lexicon.build(_MECHANISM_WORDS, _MECHANISM_PHRASES),
    _Lexicon.build(_EVIDENCE_WORDS, _EVIDENCE_PHRASES),
    _Lexicon.build(_IMPLICATION_WORDS, _IMPLICATION_PHRASES),
    _Lexicon.build(_BACKGROUND_WORDS, _BACKGROUND_PHRASES),
    _Lexicon.build(_METHODS_WORDS, _METHODS_PHRASES),
    _Lexicon.build(_META_WORDS, _META_PHRASES),
    _Lexicon.build(_OTHER_WORDS, _OTHER_PHRASES),
)
CUE_TOKEN_RE: Final = re.compile(r"[a-z0-9]+")
_WORD_CACHE: dict[str, tuple[tuple[int, str], ...]] = {}
_WORD_CACHE_MAX: Final = 200_000


def _word_cues(word: str) -> tuple[tuple[int, str], ...]:
    """(role index, cue group) of every word cue that ``word`` matches; cached."""
    hit = _WORD_CACHE.get(word)
    if hit is None:
        found: list[tuple[int, str]] = []
        for ri, lexicon in enumerate(_LEXICONS):
            m = lexicon.words.fullmatch(word)
            if m is not None and m.lastgroup is not None:
                found.append((ri, m.lastgroup))
        hit = tuple(found)
        if len(_WORD_CACHE) >= _WORD_CACHE_MAX:
            _WORD_CACHE.clear()
        _WORD_CACHE[word] = hit
    return hit


_Index = tuple[
    tuple[tuple[int, _Phrase], ...], dict[str, tuple[int, ...]], tuple[int, ...], tuple[int, ...]
]


def _phrase_index(lexicons: tuple[_Lexicon, ...]) -> _Index:
    """Every phrase cue of ``lexicons`` in their order as (role index, phrase), with the
    positions of those that each gate word, a digit and a percent sign open."""
    flat = tuple((ri, ph) for ri, lexicon in enumerate(lexicons) for ph in lexicon.phrases)
    by_word: dict[str, list[int]] = {}
    for k, (_, ph) in enumerate(flat):
        for w in ph.words:
            by_word.setdefault(w, []).append(k)
    digit = tuple(k for k, (_, ph) in enumerate(flat) if ph.digit)
    percent = tuple(k for k, (_, ph) in enumerate(flat) if ph.percent)
    return flat, {w: tuple(ks) for w, ks in by_word.items()}, digit, percent


CLAIM_CUE_ROLES: Final = 3  # the first three roles: mechanism, evidence, implication
_INDEXES: Final = {n: _phrase_index(_LEXICONS[:n]) for n in (CLAIM_CUE_ROLES, len(_LEXICONS))}


def cue_scores(
    sentence: str, lower: str, words: set[str], n_roles: int = len(CUE_ROLES)
) -> list[float]:
    """Cue score per role of ``CUE_ROLES`` (``lower``: the sentence lower-cased; ``words``: its
    ``CUE_TOKEN_RE`` tokens); with ``n_roles=CLAIM_CUE_ROLES``, of the three claim roles only."""
    phrases, by_word, digit_phrases, percent_phrases = _INDEXES[n_roles]
    for word in words.difference(_WORD_CACHE):
        _word_cues(word)
    # The word cues enter ``seen`` word by word in the order of ``words``, as a loop of
    # ``seen.update(_word_cues(word))`` would add them (the same set, summed in the same order),
    # without a Python-level loop over the words.
    seen = set(chain.from_iterable(map(_WORD_CACHE.__getitem__, words)))
    open_ = set(chain.from_iterable(map(by_word.get, words, repeat(()))))
    totals = [0.0] * n_roles
    for ri, group in seen:
        if ri < n_roles:
            totals[ri] += _LEXICONS[ri].weights[group]
    if DIGIT_RE.search(sentence):
        open_.update(digit_phrases)
    if "%" in sentence or "/" in sentence:
        open_.update(percent_phrases)
    for k in sorted(open_):  # lexicon order: the same sums as one pass over every phrase
        ri, phrase = phrases[k]
        target = lower if phrase.on_lower else sentence
        for need in phrase.needs:  # a plain loop: a generator costs more than these tests
            if need in target:
                break
        else:
            if phrase.needs:
                continue  # the pattern cannot match without one of these substrings
        if phrase.pattern.search(target):
            totals[ri] += phrase.weight
    return totals
