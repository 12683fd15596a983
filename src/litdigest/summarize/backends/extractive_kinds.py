"""Evidence kind of an evidence sentence, from its words, its section and its document.

Judged as the labelling guide (``training/LABELLING.md``) says: the study the sentence
reports, not its keywords. Each kind gets a cue score; a few rules settle the usual clashes
("T cells expanded in vitro and reinfused into patients" is a clinical trial; "patient-derived
organoids" are in vitro); a sentence without cues takes the document's kind (a systematic
review's findings are meta-analytic), else the kind most of the document's sentences name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from litdigest.summarize.backends.extractive_common import GatedPattern, Needs
from litdigest.summarize.schema import EvidenceKind

__all__ = [
    "CONTINUATION_REACH",
    "document_fallback",
    "document_kind",
    "evidence_kind_of",
    "evidence_kinds",
]

_I: Final = re.IGNORECASE
# How many sentences before an evidence sentence a review's continuation looks back for the
# study it continues ("One trial of 40 children..." then "There was no difference in X").
CONTINUATION_REACH: Final = 5
_CUES: Final[tuple[tuple[EvidenceKind, re.Pattern[str], float], ...]] = (
    (
        EvidenceKind.META_ANALYSIS,
        re.compile(r"\bmeta-?analys[ie]s\b|\bsystematic reviews?\b", _I),
        3.0,
    ),
    (EvidenceKind.META_ANALYSIS, re.compile(r"\bpooled\b|\bheterogeneity\b|\bI2\b|\bI²", _I), 2.0),
    (
        EvidenceKind.META_ANALYSIS,
        re.compile(
            r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+-[a-z]+)"
            r" (?:included |eligible |randomi[sz]ed (?:controlled )?)?(?:studies|trials|RCTs)\b"
            r"|\b(?:low|moderate|high|very low)[- ](?:quality|certainty) evidence\b|(?-i:\bGRADE\b)",
            _I,
        ),
        2.0,
    ),
    (
        EvidenceKind.CLINICAL_TRIAL,
        re.compile(
            r"\brandomi[sz]\w+|\bplacebo\b|\bphase (?:I{1,3}V?|IV|[1-4])(?:/(?:I{1,3}|[1-3]))?\b|"
            r"\btrials?\b|\bdouble-blind\b|\barms?\b",
            _I,
        ),
        2.0,
    ),
    (
        EvidenceKind.CLINICAL_TRIAL,
        re.compile(
            r"\b(?:patients|participants|subjects) (?:who )?(?:were |was )?(?:treated|"
            r"received|receiving|given|infused|reinfused|vaccinated)\b|\breinfus\w+|"
            r"\b(?:vaccinated|infused|randomi[sz]ed) (?:patients|participants)\b|"
            r"\b(?:remissions?|objective responses?|response rates?)\b",
            _I,
        ),
        1.5,
    ),
    (
        EvidenceKind.ANIMAL_MODEL,
        re.compile(
            r"\b(?:mice|mouse|murine|xenografts?|syngeneic|rats?|rodents?|zebrafish|animals?|"
            r"in vivo|primates?|pigs?|piglets?|cattle|cows?|sheep|goats?|chickens?|dogs?|"
            r"macaques?|monkeys?|rabbits?|hamsters?|guinea pigs?|knockout|transgenic|"
            r"littermates?|tumou?r-bearing)\b",
            _I,
        ),
        2.5,
    ),
    (
        EvidenceKind.IN_VITRO,
        re.compile(
            r"\bin vitro\b|\bcell lines?\b|\borganoids?\b|\bco-?cultur\w+|\bcultured?\b|"
            r"\bassays?\b|\benzym\w+|\brecombinant\b|\bpurified\b|\bsubstrates?\b|\bplasmids?\b|"
            r"\bstrains?\b|\bphages?\b|\bbacteri\w+|\bisolates?\b|\bcolonies\b|\bE\. coli\b|"
            r"\bkinetic\w*|\bIC50\b|(?-i:\bKm\b)|"
            # a measured activity, not a person's ("physical activity", "disease activity")
            r"(?<!physical )(?<!disease )(?<!daily )(?<!sexual )\bactivity\b|"
            r"\bHEK|\bHeLa\b|\bcells were\b",
            _I,
        ),
        1.5,
    ),
    (
        EvidenceKind.PATIENT_COHORT,
        re.compile(
            r"\bpatients?\b|\bcohorts?\b|\bretrospective\w*|\bprospective\w*|\bcase series\b|"
            r"\bregistr(?:y|ies)\b|\bbiops(?:y|ies)\b|\bcase-control\b|\bquestionnaires?\b|"
            r"\brespondents\b|\bwomen\b|\bmen\b|\bchildren\b|\binfants\b|\bpregnan\w+|"
            r"\bhospitali[sz]\w+|\bsurvey\w*|\bpopulation-based\b|\bquartiles?\b|"
            r"\bexposure\b.{0,80}\bassociated\b|\b(?:OR|HR|odds ratio)\s?[=(:]?\s?\d",
            _I,
        ),
        1.0,
    ),
)
_STUDIES: Final = ("studies", "trials", "rcts")
_STRONG_HEADING: Final = 2.0
# The alternatives of the systematic-review pattern, each with the lower-case substrings that
# every text it matches holds (all of the groups: one substring of each), so that the costly
# scans of a long opening run only when they can match.
_SYSTEMATIC_REVIEW_PARTS: Final[tuple[tuple[str, Needs], ...]] = (
    (
        r"\b(?:this|our|the present|we (?:performed|conducted|undertook) a) "
        r"(?:systematic review|meta-?analysis|cochrane review)\b",
        (("systematic review", "meta-analysis", "metaanalysis", "cochrane review"),),
    ),
    (
        r"\b(?:we )?included (?:\d+|[a-z-]+) (?:randomi[sz]ed )?(?:controlled )?"
        r"(?:studies|trials|RCTs)\b",
        (("included ",), _STUDIES),
    ),
    (
        r"\b(?:\d+|[a-z-]+) (?:randomi[sz]ed )?(?:controlled )?(?:studies|trials|RCTs)"
        r"(?:,| with| involving| including)? .{0,40}\b(?:were|was|met|are) (?:included|eligible)\b",
        (_STUDIES, (" included", " eligible")),
    ),
    (
        r"\bsearch(?:ed)? .{0,60}\b(?:MEDLINE|EMBASE|CENTRAL)\b",
        (("search",), ("medline", "embase", "central")),
    ),
    (r"\breview authors\b", (("review authors",),)),
    (
        r"\b(?:low|moderate|high|very low)[- ](?:quality|certainty) evidence\b",
        (("quality evidence", "certainty evidence"),),
    ),
    (r"\(\d+ (?:studies|trials|RCTs)[;,] ", (("(",), _STUDIES)),
    # "Five trials met the inclusion criteria", "13 trials ... fulfilled our eligibility criteria"
    (
        r"\b(?:studies|trials|RCTs)\b[^.]{0,80}\b(?:met|meeting|fulfill?(?:ed|ing)|"
        r"satisf(?:ied|ying)) (?:\w+ ){0,3}(?:inclusion|eligibility|selection) criteria\b",
        (_STUDIES, (" criteria",)),
    ),
    # "33 eligible studies", "the two included trials"
    (
        r"\b(?:eligible|included) (?:primary )?(?:studies|trials|RCTs)\b",
        (("eligible ", "included "), _STUDIES),
    ),
    # "We identified 74 unique studies", "We include 85 studies in our synthesis",
    # "Six trials were identified", "37 trials (9312 patients) were analysed"
    (
        r"\bwe (?:identified|located|include[ds]?|reviewed|found) (?:a total of )?"
        r"(?:\d[\d,]*|[a-z]+(?:-[a-z]+)?) (?:[\w-]+ ){0,3}?(?:studies|trials|RCTs)\b|"
        r"\b(?:\d[\d,]*|[a-z]+(?:-[a-z]+)?) (?:[\w-]+ ){0,3}?(?:studies|trials|RCTs)"
        r"(?: \([^)]{0,60}\))? (?:were|was) (?:identified|included|analy[sz]ed|located)\b",
        (_STUDIES, ("we ", " were ", " was ")),
    ),
    (r"\bwe screened \d", (("we screened ",),)),
    # "We included only one small trial", "studies ... included in the review"
    (
        r"\bwe included (?:only )?(?:one|a single|1) (?:[\w-]+ ){0,2}?(?:study|trial|RCT)\b|"
        r"\b(?:included in|eligible for|for inclusion in) (?:the|this) review\b",
        (("included", "eligible for", "inclusion in"),),
    ),
)
# Tried cheapest and likeliest first (the scans at every word last).
_SYSTEMATIC_REVIEW: Final = GatedPattern(
    _SYSTEMATIC_REVIEW_PARTS, (6, 4, 5, 10, 11, 1, 0, 3, 8, 7, 2, 9)
)
# One of these occurs in every text that _SYSTEMATIC_REVIEW matches (a cheap pre-filter).
_SYSTEMATIC_REVIEW_WORDS: Final = (
    "systematic",
    "meta-analysis",
    "metaanalysis",
    "meta analysis",
    "cochrane",
    "studies",
    "trials",
    "rcts",
    "medline",
    "embase",
    "central",
    "review authors",
    "quality evidence",
    "certainty evidence",
    "we screened",
    "included",
)
# One included study of a systematic review: "one trial", "(1 study, 38 participants)", "the
# second study", "the crossover trial by Leroi", "The RCT found".
_ONE_STUDY_RE: Final = re.compile(
    r"\b(?:one|a single|single|1|the only|another) (?:small |large |multicentre |multicenter )?"
    r"(?:randomi[sz]ed )?(?:controlled )?(?:study|trial|RCT)\b|"
    r"\b(?:the|this|that|a|in the) (?:first|second|third|fourth|fifth|other|latter|former|larger|"
    r"smaller|same|remaining|parallel[- ]group|crossover|cross-over) (?:[\w-]+ ){0,2}?"
    r"(?:study|trial|RCT|CCT)\b(?!s)|"
    r"\b(?:the|this) (?:study|trial|RCT|CCT)\b(?! (?:authors|protocols?|designs?|populations?|arms?|groups?|participants|periods?|samples?))|"
    r"\b(?:study|trial) (?:by|of) [A-Z][a-z]+\b",
    _I,
)
# A statement over several of a review's studies: pooled, or counted ("three trials found",
# "both studies", "most trials", "no trial reported").
_SYNTHESIS_RE: Final = re.compile(
    r"\bmeta-?analys[ie]s\b|\bpooled\b|\bheterogeneity\b|\bI2\b|\bI²|"
    r"\b(?:studies|trials|RCTs) combined\b|\bcombined (?:data|results|estimates?|analys[ie]s)\b|"
    r"\b(?:[2-9]|\d\d+|two|three|four|five|six|seven|eight|nine|ten|both|all|most|several|"
    r"these|many|no|neither|none of the) (?:[\w-]+ ){0,2}?(?:studies|trials|RCTs|study|trial)\b|"
    r"\bthe (?:[\w-]+ )?(?:studies|trials|RCTs)\b",
    _I,
)
# Appraisal of the body of evidence (risk of bias, quality, what was not measured) without a
# result of its own: review-level, whatever study it names.
_APPRAISAL_RE: Final = re.compile(
    r"\brisk (?:of|for) (?:[\w-]+ ){0,2}?bias\b|\bmethodological\b|"
    r"\b(?:good|poor|high|low|moderate|very low)[- ](?:quality|certainty)\b|"
    r"\b(?:did not|does not|not) (?:report|assess|measure|evaluate)\w*|"
    r"\bpublished (?:in|as an) abstract\b|\bonly (?:one|1|a single) (?:[\w-]+ )?"
    r"(?:study|trial|RCT)\b|\bavailable (?:only )?(?:for|from)\b|\b(?:in)?adequate\b|"
    r"\binsufficient\b",
    _I,
)
_RESULT_RE: Final = re.compile(
    r"(?-i:\b(?:RR|OR|HR|MD|SMD|RD|CI|NNTB?)\b)|\bP ?[<=>]|\d ?%|\bsignificant\w*|"
    r"\bdiffer\w*|\bfound\b|\bfind\b|\bimprov\w+|\breduc\w+|\bincreas\w+|\bdecreas\w+|"
    r"\b(?:higher|lower|more|fewer|less)\b",
    _I,
)


def _one_study(sentence: str) -> bool | None:
    """Whether a review's sentence reports one included study (True), several (False), or
    names no study count (None)."""
    if _SYNTHESIS_RE.search(sentence):
        return False
    return True if _ONE_STUDY_RE.search(sentence) else None


# The review speaking for itself ("We found", "low-quality evidence", "Our findings"): not
# one included study's report, whatever came before.
_REVIEW_VOICE_RE: Final = re.compile(
    r"\b(?:we|our|us|(?:this|the) review|evidence|quality|certainty|uncertain\w*|"
    r"limitations?)\b",
    _I,
)

# What happened to a study's participants: "Adverse events were reported in three participants",
# "No adverse events occurred".
_OUTCOME_RE: Final = re.compile(
    r"\b(?:participants|patients|children|women|men|groups?|arms?|adverse (?:events?|effects?)|"
    r"occurred|experienced)\b",
    _I,
)


def _continues(sentence: str) -> bool:
    """Whether a review's sentence without a study count can continue the report before it:
    it states a result, in the words of the study and not of the review."""
    if _REVIEW_VOICE_RE.search(sentence):
        return False
    return bool(_RESULT_RE.search(sentence) or _OUTCOME_RE.search(sentence))


def _review_kind(sentence: str, before: Sequence[str] = ()) -> EvidenceKind:
    """Kind of a sentence of a systematic review: one included study's result is that
    study's (a clinical trial); pooled, counted and appraisal statements are the review's.
    A sentence that names no study count continues the report before it (``before``: the
    sentences before it, nearest first): "There was no difference in X" after "One trial of
    40 children..." is still that trial's result."""
    one = _one_study(sentence)
    if one is None and _continues(sentence):
        for previous in before:
            one = _one_study(previous)
            if one is not None or not _continues(previous):
                break
    if not one:
        return EvidenceKind.META_ANALYSIS
    if _APPRAISAL_RE.search(sentence) and not _RESULT_RE.search(sentence):
        return EvidenceKind.META_ANALYSIS
    return EvidenceKind.CLINICAL_TRIAL


_IN_VITRO_OVER_PATIENTS_RE: Final = re.compile(
    r"\bpatient-derived\b|\borganoids?\b|\bcell lines?\b|\bin vitro\b", _I
)
_PATIENT_TREATMENT_RE: Final = re.compile(
    r"\b(?:patients|participants)\b.{0,80}\b(?:treated|received|infused|reinfused|remissions?|"
    r"responses?)\b|\b(?:reinfused|infused|transferred) into patients\b|"
    r"\b(?:re)?infusions? of (?:the |a )?patient(?:s|['’]s?)\b|\badoptive(?: cell| T-cell)? "
    r"(?:transfer|therapy)\b.{0,80}\bpatients?\b",
    _I,
)


# A study of historical sources or a phylogeny (the guide's `unspecified`), said in the opening:
# "on the basis of 16-19th century village laws", "seventy-two archival laws", "our Bayesian
# phylogeographical analyses".
_NO_KIND_STUDY_RE: Final = re.compile(
    r"\b(?:archival|historical|medieval|\d{1,2}(?:st|nd|rd|th)?[-–]\d{1,2}(?:st|nd|rd|th) ?"
    r"centur(?:y|ies)|\d{1,2}(?:st|nd|rd|th)[- ]century) (?:[\w-]+ ){0,2}?(?:laws|records|"
    r"sources|documents|archives|manuscripts|texts|chronicles|registers|charters)\b|"
    r"\bphylogeo?graph\w+ analys[ie]s\b|\bphylogenetic analys[ie]s\b|\bmolecular clock\b",
    _I,
)
# Study cues that hold even in such a document.
_EXPLICIT_RE: Final = re.compile(
    r"\b(?:mice|murine|xenografts?|syngeneic|in vitro|cell lines?|organoids?|randomi[sz]ed|"
    r"patients)\b",
    _I,
)


def document_kind(text: str) -> EvidenceKind | None:
    """From the opening: META_ANALYSIS for a systematic review, UNSPECIFIED for a study of
    historical sources or a phylogeny, else None."""
    head = text[:4000]
    lower = head.lower()
    if any(w in lower for w in _SYSTEMATIC_REVIEW_WORDS) and _SYSTEMATIC_REVIEW.found(head, lower):
        return EvidenceKind.META_ANALYSIS
    return EvidenceKind.UNSPECIFIED if _NO_KIND_STUDY_RE.search(head) else None


@lru_cache(maxsize=4096)
def _cue_hits(sentence: str) -> tuple[tuple[EvidenceKind, float], ...]:
    return tuple((kind, weight) for kind, pattern, weight in _CUES if pattern.search(sentence))


def _scores(sentence: str) -> defaultdict[EvidenceKind, float]:
    scores: defaultdict[EvidenceKind, float] = defaultdict(float)
    for kind, weight in _cue_hits(sentence):
        scores[kind] += weight
    return scores


def evidence_kind_of(
    sentence: str,
    heading: str | None,
    document: EvidenceKind | None,
    fallback: EvidenceKind | None = None,
    before: Sequence[str] = (),
) -> EvidenceKind:
    """Kind of one evidence sentence (``heading``: the heading of its section, e.g. "Mouse
    experiments"; ``document``: ``document_kind`` of its text; ``fallback``:
    ``document_fallback``, used when neither the sentence, its section nor the document
    tells; ``before``: up to ``CONTINUATION_REACH`` sentences before it in the document,
    nearest first)."""
    if document is EvidenceKind.META_ANALYSIS:
        return _review_kind(sentence, before)
    if document is EvidenceKind.UNSPECIFIED and not _EXPLICIT_RE.search(sentence):
        return EvidenceKind.UNSPECIFIED
    scores = _scores(sentence)
    if not scores and heading:
        scores = _scores(heading)
        # a weak heading cue ("Cross-sectional surveys") gives way to the document's kind
        if fallback and scores and max(scores.values()) < _STRONG_HEADING:
            scores.clear()
    if not scores:
        return fallback or EvidenceKind.UNSPECIFIED
    trial, vitro = EvidenceKind.CLINICAL_TRIAL, EvidenceKind.IN_VITRO
    cohort, animal = EvidenceKind.PATIENT_COHORT, EvidenceKind.ANIMAL_MODEL
    if scores[vitro] and scores[cohort] and _IN_VITRO_OVER_PATIENTS_RE.search(sentence):
        if _PATIENT_TREATMENT_RE.search(sentence):
            scores[trial] += 3.0
        else:
            scores[cohort] = 0.0
    elif scores[vitro] and (scores[cohort] or scores[trial]):
        # lab words without a lab system ("T cells were detected in 58% of patients"):
        # a measurement made in people
        scores[vitro] = 0.0
    if (
        scores[animal]
        and scores[vitro]
        and not re.search(r"\bin vitro\b|\bcell lines?\b", sentence, _I)
    ):
        scores[vitro] = 0.0
    order = list(EvidenceKind)
    return max(scores, key=lambda k: (scores[k], -order.index(k)))


# A wet-lab method, as a Methods section describes it ("Lysogens were cultured overnight in LB",
# "inoculate 25 mL growth medium"), and a simulation or model study (the guide's unspecified).
_WET_LAB_RE: Final = re.compile(
    r"\bcultur(?:ed|ing) (?:\w+ )?overnight\b|\bovernight cultures?\b|"
    r"\b(?:growth|culture) medi(?:um|a)\b|\binoculat\w+|\bagar\b|\bbacterial strains\b|"
    r"\b(?:were|was) (?:grown|cultured|incubated|plated|transfected|transformed)\b|"
    r"\bcell cultures?\b|\bcell lines?\b",
    _I,
)
_SIMULATION_RE: Final = re.compile(
    r"\bsimulat\w+|\bmathematical models?\b|\btheoretical models?\b|\bin silico\b|"
    r"\bagent-based\b|\bwe model(?:l?ed)?\b",
    _I,
)
_WET_LAB_MIN: Final = 3


def _wet_lab_study(text: str) -> bool:
    """Whether a document's methods describe lab work (cultures, media, cell lines) more
    than simulations or models."""
    wet = len(_WET_LAB_RE.findall(text))
    return wet >= _WET_LAB_MIN and wet > len(_SIMULATION_RE.findall(text))


def document_fallback(sentences: list[str], text: str = "") -> EvidenceKind | None:
    """The kind most of a document's evidence sentences name (None when none names one);
    in vitro only when the whole ``text`` describes lab work (``_wet_lab_study``)."""
    counts: Counter[EvidenceKind] = Counter()
    for s in sentences:
        scores = _scores(s)
        if scores:
            counts[max(scores, key=lambda k: scores[k])] += 1
    if not counts:
        return None
    best = max(counts, key=lambda k: counts[k])  # ties: the kind named first
    # A lab technique or organism named in passing does not make a whole document an in-vitro
    # study (a theory paper names bacteria and strains too): its methods must say so.
    if best is EvidenceKind.IN_VITRO and not _wet_lab_study(text):
        return None
    return best


def evidence_kinds(
    claims: list[tuple[str, str | None]],
    document: EvidenceKind | None,
    pool: list[str],
    before: Sequence[Sequence[str]] = (),
    text: str = "",
) -> list[EvidenceKind]:
    """``evidence_kind_of`` for each (sentence, heading) of ``claims`` (``before``: each
    one's preceding sentences); the fallback is computed from ``pool`` (the document's
    evidence sentences) and ``text`` (the whole document) only when one is needed."""
    fallback: EvidenceKind | None = None
    needed = document is None and any(
        not _scores(sentence) and not (heading and _scores(heading)) for sentence, heading in claims
    )
    if needed:
        fallback = document_fallback(pool, text)
    contexts = before or [()] * len(claims)
    return [
        evidence_kind_of(sentence, heading, document, fallback, previous)
        for (sentence, heading), previous in zip(claims, contexts, strict=True)
    ]
