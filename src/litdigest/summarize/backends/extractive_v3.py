"""Extractive backend v3: offline, deterministic and fast; no API, no network.

Algorithm (``extractive-v3``, issue 13: a structured summary, not a sentence highlighter):

1. **Sentences.** The cleaned text is split into paragraphs (lines) and sentences
   (``chunk.sentence_spans``). Short lines without final punctuation are headings: never
   quoted, they set the *section* of what follows. An inline label (``Abstract |``,
   ``Main results:``, a structured abstract's ``RESULTS:``) is kept out of the quote and sets
   the section too.
2. **Candidates.** Captions, reference-like lines, boilerplate, questions, truncated sentences
   and sentences under 6 or over 80 words are dropped; back matter is never quoted. A list
   item is quoted without its bullet; one that starts in lower case is a fragment of its
   lead-in ("- whether X or Y do better."), no candidate.
3. **Rhetorical roles.** A multinomial logistic regression (``extractive_roles``, trained by
   ``training/train.py`` on sentences we labelled) gives each candidate the probability of
   each role: mechanism, evidence, implication, background, methods, meta-discourse or other,
   from its WordLlama embedding, the cue-lexicon scores of it and of its neighbours, its
   section and position (``extractive_features``). A sentence whose likeliest role is
   methods or meta-discourse is never a claim, nor is one whose three claim roles together
   stay under 0.2. Meta-discourse needs a meta cue in the sentence itself, and review framing,
   statements of aim (a hypothesis under test too), bench procedure, funding and ethics are never claims
   (``_NEVER_CLAIM_RE``), nor is a systematic review's housekeeping (risk of bias, "since the
   last version ...", "X was not reported/evaluated", an analysis that was not possible:
   ``_HOUSEKEEPING_RE``), nor is a generic outlook ("many issues remain to be resolved":
   ``_VAGUE_OUTLOOK_RE``). In a resource paper (a tool, package, database or method:
   ``extractive_genre``) a sentence called methods, meta or other that states what the
   resource is (its contribution) is mechanism, what it does evidence, and its use or
   availability implication.
4. **Fields.** Per field a score: the classifier's probability + 0.5 × the sentence's cue
   score. Evidence that states no observation (no figure, study population, verb of
   reporting or testing, nor the past tense) but names a mechanism is mechanism ("adenosine
   acts on the A2A receptor, raising cAMP"); a review's verdict on its evidence ("This review
   found insufficient evidence ...") is implication; an open question ("it remains unclear
   whether ...", "remains to be determined") is neither mechanism nor evidence. Implication
   is raised in conclusions and at the end of the document when the sentence bears on use (the classifier, an implication cue, a
   modal, a verb of inference or advice): a finding restated there stays evidence. A sentence joins
   its best field; it may also fill another field that its score there fits nearly as well
   (``FILL_*``), so a field is not left empty while a fitting sentence is unused.
5. **Rank** = field score ** p × importance (TF-IDF cosine of the sentence to the centroid of
   the other sentences, O(n) leave-one-out, × position/section weight), raised for the first
   sentences of a long document (its abstract: ``LEAD_*``). The power p depends on the
   document's length (``LONG_FIELD_POWER``): in an abstract the field score is what tells the
   key sentences apart (p = 1); in a long document (``LEAD_MIN_SENTENCES`` sentences or more)
   it hardly does, and importance does: there p = 0.5, enough for the field score to keep
   sentences the classifier is unsure of (framing, procedure) down.
6. **Budget.** At most K claims per field (3 under 1,500 words, 5 above; configurable) and
   a cap on the quoted words: 25% of the document's words, 45% under 300 words
   (``quote_share``, ``tiny_quote_share``; counted as the eval's ``compression``). The options
   of a sentence are its informative span and, when it holds several clauses, each clause
   (``extractive_spans``; a clause at the sentence's rank × its share of the content, damped:
   ``CLAUSE_POWER``). The first claim of every field is chosen jointly (the best total rank
   per damped word, ``LENGTH_POWER``, among each field's ``FIRST_OPTIONS`` best options that
   fits the budget), so no field goes empty because another took the words first; then
   claims are taken greedily: the
   next is the fitting option with the best rank per (damped) word, divided by
   1 + the claims its field already has, passing over one that repeats a claim of its field
   (``REPEAT_SHARE``). A span that opens by pointing back ("The benefit was lost in ...")
   is ranked × ``ANAPHOR_PENALTY``. Each field lists its claims best first. An empty field then takes a
   claim that a field with two or more can spare, if it fits the empty field nearly as well
   (``_fill_empty``, as v2 does); a field without a fitting sentence stays empty, with a
   warning.
7. **Claims.** The quote is the chosen span, an exact slice of the text: the sentence without
   its lead-in framing ("These results suggest that", "Although …,") and pointer tails
   ("(Fig. 2)", ", as described previously"), never cutting a number or its bracket; the
   statement trims connectives and citations from the quote but never numbers
   (``extractive_statements``); evidence claims get a kind from the sentence, its section
   and the document (``extractive_kinds``).
8. **TL;DR**: composed from the claims (``summarize.support.compose_cited_tldr``, as v2):
   the first mechanism and implication claims (one sentence when only one of them has a
   claim; evidence only when neither has), with citations; else one or two chosen sentences.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from litdigest.summarize.backends.extractive_common import (
    ANY_LABEL_RE,
    BACK_MATTER,
    CAPTION,
    CLOSERS,
    CONCLUSION,
    CONCLUSION_START_RE,
    DIGIT_RE,
    HEADING,
    ExtractiveBase,
    GatedPattern,
    Needs,
    assemble,
    candidate_tokens,
    claims_tldr,
    pick_tldr,
    pieces,
    score_importance,
    terms,
)
from litdigest.summarize.backends.extractive_cues import CUE_ROLES, CUE_TOKEN_RE
from litdigest.summarize.backends.extractive_features import (
    BACK,
    EMBED_DIM,
    NONE,
    SentenceInput,
    feature_matrix,
    next_section,
)
from litdigest.summarize.backends.extractive_genre import resource_names, resource_role
from litdigest.summarize.backends.extractive_kinds import (
    CONTINUATION_REACH,
    document_kind,
    evidence_kinds,
)
from litdigest.summarize.backends.extractive_roles import ROLES, role_model
from litdigest.summarize.backends.extractive_spans import (
    clause_spans,
    informative_span,
    near_repeat,
)
from litdigest.summarize.backends.extractive_statements import statement
from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    DocumentSummary,
    Quote,
    Section,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from litdigest.config import SummarizeSettings
    from litdigest.documents import Document

__all__ = ["ExtractiveV3Backend", "sentence_fields", "sentence_roles"]

VERSION: Final = "extractive-v3"
# Raised whenever the rules change the output, so that the summary cache (keyed by the
# settings hash) does not serve summaries of older rules. 2: capitalised labels, resource
# papers, empty fields filled. 4: the word budget on by default (issue 13), spans by density;
# in a resource paper what the resource is and does is its mechanism. 5: evidence kinds (lab
# words measured in patients, toxicity grades); a figure without advice gets no conclusion bonus.
# 6: selection balances the fields and penalises claims that restate a chosen one. 7: evidence
# without an observation is mechanism; the conclusion bonus needs a word of use; a review's
# verdict is implication; an open question is no mechanism nor evidence. 8: in a long document
# the field score weighs less in the rank within a field. 10: quotes drop more framing ("For
# example,", "The authors caution that"), leaving words of the budget for further claims.
# 12: in a systematic review a sentence without a study count continues the report before it;
# findings that name no system are in vitro when the methods describe lab work. 13: "remains
# to be determined" is an open question; a generic outlook ("many issues remain") is no claim.
# 14: the role model is trained on the sections the backend reads (every heading, not only the
# nearest; training/README.md, sixth session).
# 15: a leading connective closed by a colon or a dash is trimmed as one closed by a comma;
# a list item's bullet is not quoted, and an item in lower case (a fragment) is no candidate;
# the TL;DR is one sentence when mechanism and implication offer only one (no evidence pad);
# a claim that opens by pointing back is ranked lower (ANAPHOR_PENALTY); a hypothesis under
# test is an aim, and what the trials did not report (or reported poorly) is housekeeping.
RULES_REVISION: Final = 15

SHORT_DOC_WORDS: Final = 1500  # fewer claims per field below this many words
SHORT_DOC_CLAIMS: Final = 3
# Quoted words / document words, counted as the eval counts ``compression`` (whitespace words
# of the quotes, which never overlap, over whitespace words of the cleaned text): issue 13's
# budget, 25% of the document and 45% under 300 words. Every claim, first claims included,
# fits it; ``quote_share`` and ``tiny_quote_share`` (1.0: no cap) change it.
QUOTE_SHARE: Final = 0.25
TINY_DOC_WORDS: Final = 300
TINY_QUOTE_SHARE: Final = 0.45
MIN_CLAIM_PROBABILITY: Final = 0.2  # mechanism + evidence + implication probability
_NEVER_ROLES: Final = frozenset({"methods", "meta"})  # a sentence of these roles is no claim
MAX_FALLBACK_SENTENCES: Final = 40  # evidence sentences that vote for the document's study kind
# Field of each claim role (model role name -> summary section).
_FIELD_ROLES: Final[tuple[tuple[Section, int], ...]] = (
    ("mechanism", ROLES.index("mechanism")),
    ("evidence", ROLES.index("evidence")),
    ("therapeutic_implication", ROLES.index("implication")),
)
_ROLE_OF: Final[dict[Section, int]] = dict(_FIELD_ROLES)
_META: Final = ROLES.index("meta")
_META_CUE_COLUMN: Final = EMBED_DIM + CUE_ROLES.index("meta")


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    index: int  # among candidates, document order
    ordinal: int  # among all sentences of the document (position feature)
    paragraph: int
    first_in_paragraph: bool
    section: int  # v2 section kind (importance weights)
    category: int  # ``extractive_features`` section (classifier feature)
    heading: str | None  # the nearest heading or inline label (evidence kind)
    text: str
    lower: str
    words: set[str]
    n_words: int
    token_list: list[str] = field(default_factory=list)  # ``CUE_TOKEN_RE`` tokens of ``lower``
    tokens: Counter[str] = field(default_factory=Counter)
    importance: float = 0.0
    probs: list[float] = field(default_factory=list)  # per role of ``ROLES``
    cues: list[float] = field(default_factory=list)  # scaled cue scores per ``CUE_ROLES``
    fields: list[float] = field(default_factory=list)  # field scores per ``SECTIONS``
    role_index: int = -1  # argmax of ``probs``; -1 before classification

    @property
    def claim_probability(self) -> float:
        return sum(self.probs[:3]) if self.probs else 0.0

    @property
    def role(self) -> str:
        return ROLES[self.role_index] if self.role_index >= 0 else "other"


class ExtractiveV3Backend(ExtractiveBase):
    """Role-classifier extractive summarizer with a budget (see the module docstring)."""

    name = "extractive"  # the family; the version is the model and prompt version
    model = VERSION
    prompt_version = VERSION

    def __init__(
        self,
        max_claims_per_field: int = 5,
        tldr_sentences: int = 2,
        *,
        short_doc_claims: int = SHORT_DOC_CLAIMS,
        quote_share: float = QUOTE_SHARE,
        tiny_quote_share: float = TINY_QUOTE_SHARE,
    ) -> None:
        if max_claims_per_field < 1 or short_doc_claims < 1:
            raise ValueError("max_claims_per_field must be at least 1")
        if tldr_sentences < 1:
            raise ValueError("tldr_sentences must be at least 1")
        if not (0.0 < quote_share <= 1.0 and 0.0 < tiny_quote_share <= 1.0):
            raise ValueError("quote shares must be in (0, 1]")
        self.max_claims_per_field = max_claims_per_field
        self.short_doc_claims = short_doc_claims
        self.tldr_sentences = tldr_sentences
        self.quote_share = quote_share
        self.tiny_quote_share = tiny_quote_share

    @classmethod
    def from_settings(cls, settings: SummarizeSettings) -> ExtractiveV3Backend:
        return cls(
            max_claims_per_field=settings.max_claims_per_field,
            short_doc_claims=settings.short_doc_claims,
            quote_share=settings.quote_share,
            tiny_quote_share=settings.tiny_quote_share,
        )

    def extra_settings(self) -> dict[str, float]:
        return {
            "short_doc_claims": self.short_doc_claims,
            "quote_share": self.quote_share,
            "tiny_quote_share": self.tiny_quote_share,
            "rules": RULES_REVISION,
        }

    def claims_per_field(self, doc_words: int) -> int:
        if doc_words < SHORT_DOC_WORDS:
            return min(self.short_doc_claims, self.max_claims_per_field)
        return self.max_claims_per_field

    def word_budget(self, doc_words: int) -> int:
        share = self.tiny_quote_share if doc_words < TINY_DOC_WORDS else self.quote_share
        return int(share * doc_words)

    # ----------------------------------------------------------------------------------------

    def summarize_sync(self, doc: Document) -> DocumentSummary:
        text = doc.text
        sentences, n_all = _candidates(text)
        _score(sentences)
        _classify(sentences, n_all, text)
        doc_words = len(text.split())
        fields = self._select(sentences, doc_words)
        _fill_empty(fields)
        claims = {section: [_claim(s) for s in fields[section]] for section in SECTIONS}
        if fields["evidence"]:
            document = document_kind(text)
            pool = [s.text for s in sentences if s.role == "evidence"][:MAX_FALLBACK_SENTENCES]
            chosen = fields["evidence"]
            # the sentences before each, nearest first (a review's continuation sentences)
            before = [
                [p.text for p in sentences[max(s.index - CONTINUATION_REACH, 0) : s.index][::-1]]
                for s in chosen
            ]
            claims_in = [(s.text, s.heading) for s in chosen]
            kinds = evidence_kinds(claims_in, document, pool, before, text)
            for claim, kind in zip(claims["evidence"], kinds, strict=True):
                claim.evidence_kind = kind
        tldr, citations = claims_tldr(claims, self.tldr_sentences, pad_with_evidence=False)
        tldr = tldr or self._tldr(fields, sentences, doc.metadata.title)
        return assemble(self, doc, claims, tldr, citations)

    def _select(self, sentences: list[_Sentence], doc_words: int) -> dict[Section, list[_Sentence]]:
        """Greedy under the budget: the next claim is the best fitting span (a sentence's
        informative span, or one of its clauses) of the field whose pick has the best rank per
        (damped) word, relative to the field's best (``FIELD_BALANCE``), / (1 + claims it
        already has); within a field the pick is the best rank × novelty (``_novelty``:
        against every claim chosen so far), and a span that repeats the field's earlier
        claims (``REPEAT_SHARE`` of its terms in one of them) is passed over.
        Returns each chosen span as a sentence narrowed to it, best first per field."""
        k = self.claims_per_field(doc_words)
        budget = self.word_budget(doc_words)
        options = {section: _options(pool) for section, pool in _pools(sentences).items()}
        scale = {
            section: max((_density(o) for o in opts), default=1.0) ** FIELD_BALANCE
            for section, opts in options.items()
        }
        topic = _topic_terms(sentences)
        chosen: dict[Section, list[_Option]] = {section: [] for section in SECTIONS}
        taken: dict[int, list[tuple[int, int]]] = {}
        used = 0
        for section, o in _first_claims(options, budget).items():
            options[section].remove(o)
            chosen[section].append(o)
            taken.setdefault(o.sentence.index, []).append((o.start, o.end))
            used += o.words
        while True:
            best: tuple[float, Section, int] | None = None
            every = [c.terms - topic for section in SECTIONS for c in chosen[section]]
            for section in SECTIONS:
                if len(chosen[section]) >= k:
                    continue
                earlier = [c.terms for c in chosen[section]]
                pick = _pick(options[section], budget - used, taken, earlier, every, topic)
                if pick is None:
                    continue
                novelty, at = pick
                o = options[section][at]
                score = _density(o) * novelty / scale[section] / (1 + len(chosen[section]))
                if best is None or score > best[0]:
                    best = (score, section, at)
            if best is None:
                break
            _, section, at = best
            o = options[section].pop(at)
            chosen[section].append(o)
            taken.setdefault(o.sentence.index, []).append((o.start, o.end))
            used += o.words
        # best first: the reader (and the eval's budget) sees the first claims
        return {section: [o.narrowed() for o in chosen[section]] for section in SECTIONS}

    def _tldr(
        self,
        fields: dict[Section, list[_Sentence]],
        sentences: list[_Sentence],
        title: str | None,
    ) -> str:
        """One or two chosen mechanism/implication sentences (else the best evidence claim),
        verbatim, in document order."""
        pool = [
            (_rank(s, section), s)
            for section in ("mechanism", "therapeutic_implication")
            for s in fields[section]
        ]
        if not pool:
            pool = [(_rank(s, "evidence"), s) for s in fields["evidence"]]
        if not pool:  # no claim: the best sentence that is no methods, meta or chrome
            pool = [
                (sum(s.probs[:3]) * (0.25 + s.importance), s)
                for s in sentences
                if s.role not in ("methods", "meta")
                and s.section != BACK_MATTER
                and not _never_claim(s)
            ]
        if not pool:
            return title or ""
        pool.sort(key=lambda rs: (-rs[0], rs[1].index))
        return pick_tldr([s for _, s in pool], self.tldr_sentences)


def sentence_fields(text: str) -> list[tuple[str, str | None]]:
    """(sentence, field or None) of every candidate sentence of a cleaned text: the field
    decision of the backend (classifier, cues, position), for the bench."""
    sentences, n_all = _candidates(text)
    _score(sentences)
    _classify(sentences, n_all, text)
    out: list[tuple[str, str | None]] = []
    for s in sentences:
        f = None if s.section == BACK_MATTER else _field_of(s)
        out.append((s.text, None if f is None else SECTIONS[f]))
    return out


def sentence_roles(text: str) -> list[tuple[int, int, str, float]]:
    """(start, end, role, probability) of every candidate sentence of a cleaned text."""
    sentences, n_all = _candidates(text)
    _classify(sentences, n_all, text)
    return [(s.start, s.end, s.role, s.probs[s.role_index]) for s in sentences]


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


# A reference's author list ("Smith J, Doe A. Title.").
_AUTHORS_RE: Final = re.compile(r"(?:\d+\.\s+)?[A-Z][a-z]+ [A-Z]{1,2}, [A-Z][a-z]+ [A-Z]{1,2}\b")
# A list item's bullet: the quote starts after it. An item that starts in lower case
# ("- whether X or Y do better.") continues its lead-in ("Worth watching:"): a fragment.
_BULLET_RE: Final = re.compile(r"[-*•‣–—]\s+")


def _classify(sentences: list[_Sentence], n_all: int, text: str) -> None:
    if not sentences:
        return
    last = max(n_all - 1, 1)
    inputs = [
        SentenceInput(s.text, s.category, round(s.ordinal / last, 4), s.lower, s.words)
        for s in sentences
    ]
    x = feature_matrix(inputs, n_all)
    probs = role_model().probabilities(x)
    # Meta-discourse is lexically marked (the text talks about itself): without a single
    # meta cue in the sentence, the classifier's "meta" comes from its neighbours only.
    unmarked = x[:, _META_CUE_COLUMN] <= 0.0
    choice = probs.copy()
    choice[unmarked, _META] = -1.0
    roles = choice.argmax(axis=1).tolist()
    names = resource_names(text)
    found = _resource_roles(sentences, probs, roles, names) if names is not None else set()
    cues = x[:, EMBED_DIM : EMBED_DIM + len(CUE_ROLES)].tolist()
    last = len(sentences) - 1
    for i, (s, row, role) in enumerate(zip(sentences, probs.tolist(), roles, strict=True)):
        s.probs = row
        s.role_index = role
        s.cues = cues[i]
        # What a resource does is its finding wherever the abstract says it (no tail bonus).
        ending = i not in found
        s.fields = _field_scores(
            s, ending and i == last, ending and i >= (1 - TAIL_SHARE) * len(sentences)
        )


# In a resource paper (``extractive_genre``), a sentence the classifier calls methods,
# meta-discourse or other (or evidence, for what the resource does) but that states the
# contribution, what the resource does, its testing or its use takes that probability as
# mechanism, evidence or implication.
_RESOURCE_FROM: Final = tuple(ROLES.index(r) for r in ("methods", "meta", "other"))
_EVIDENCE: Final = ROLES.index("evidence")


def _resource_roles(
    sentences: list[_Sentence],
    probs: npt.NDArray[np.float32],
    roles: list[int],
    names: tuple[str, ...],
) -> set[int]:
    """Moves the roles in place; returns the indices of the sentences now mechanism or
    evidence (what a resource does is its finding wherever the abstract says it)."""
    found: set[int] = set()
    for i, s in enumerate(sentences):
        if roles[i] not in _RESOURCE_FROM and roles[i] != _EVIDENCE:
            continue
        target = resource_role(s.text, names)
        if roles[i] == _EVIDENCE:
            # evidence of a resource paper is its testing; the rest is how it was built
            target = "methods" if target is None else target
            if target == "implication":
                continue
        elif target is None:
            continue
        to = ROLES.index(target)
        for r in (*_RESOURCE_FROM, _EVIDENCE):
            if r != to:
                probs[i, to] += probs[i, r]
                probs[i, r] = 0.0
        roles[i] = to
        if target in ("mechanism", "evidence"):
            found.add(i)
    return found


# Sentences that are never claims whatever the classifier says: review framing and
# statements of aim (meta-discourse), bench procedure (methods), funding and ethics.
_WE: Final = ("we ",)
_WAS: Final = ("was ", "were ")
_NEVER_CLAIM_PARTS: Final[tuple[tuple[str, Needs], ...]] = (
    (
        r"\b(?:here|herein),? we (?:review|discuss|describe|summari[sz]e|outline|highlight|"
        r"consider|explore|examine|extend|focus|provide|present)\b",
        (("here",), _WE),
    ),
    (
        r"\b(?:we|they|the authors|researchers|colleagues) (?:also |further |then )?(?:discuss|"
        r"review|describe|outline|summari[sz]e|highlight|consider|extend the discussion)\b",
        (
            ("we ", "they ", "the authors ", "researchers ", "colleagues "),
            ("discuss", "review", "describe", "outline", "summari", "highlight", "consider"),
        ),
    ),
    (
        r"\bin this (?:joint )?(?:focus|issue|review|article|perspective|special issue|series)\b",
        (("in this ",),),
    ),
    (
        r"\bthis (?:review|article|focus|perspective|chapter) (?:discusses|describes|"
        r"summari[sz]es|outlines|highlights|considers|focuses|provides|presents|examines)\b",
        (
            ("this ",),
            (
                "discusses",
                "describes",
                "summari",
                "outlines",
                "highlights",
                "considers",
                "focuses",
                "provides",
                "presents",
                "examines",
            ),
        ),
    ),
    (
        r"\b(?:the )?(?:aims?|objectives?|purpose|goals?) of (?:this|the present|our|the current) "
        r"(?:study|review|work|paper|article)\b",
        (("aim", "objective", "purpose", "goal"), (" of ",)),
    ),
    (r"\bwe (?:aimed|sought|set out) to\b", (("we aimed", "we sought", "we set out"),)),
    (
        r"^to (?:test|determine|assess|investigate|examine|evaluate|explore|establish) "
        r"(?:whether|if|how|the)\b",
        (("to ",),),
    ),
    (r"\bwe (?:tested|asked|examined) whether\b", (_WE, (" whether",))),
    (  # a hypothesis under test is no finding: "to test our hypothesis that ..."
        r"\bto (?:test|examine|investigate|assess|address|evaluate|explore) (?:our |the |this |a )?"
        r"(?:working )?hypothes[ie]s\b|\bwe (?:hypothesi[sz]ed|predicted|reasoned) that\b",
        (("hypothes", "we predicted", "we reasoned"),),
    ),
    (
        r"\bwe (?:tested|examined|investigated|addressed|explored|evaluated) the hypothes[ie]s\b",
        (_WE, (" the hypothes",)),
    ),
    (
        r"\b(?:was|were) (?:then |subsequently )?(?:incubated|centrifuged|washed|stained|diluted|"
        r"purchased|stored at|homogeni[sz]ed|transfected|resuspended|fixed in|cloned into|"
        r"normali[sz]ed to)\b",
        (_WAS,),
    ),
    (r"\baccording to the manufacturer", (("according to the manufacturer",),)),
    (r"\bwe searched\b", (("we searched",),)),
    (r"\b\d+\s?°C\b", (("°",),)),
    (r"\b\d+ ?rpm\b", (("rpm",),)),
    (r"\bstatistical analys[ie]s (?:was|were) performed\b", (("statistical analys",),)),
    (r"\bexpression of recombinant\b", (("expression of recombinant",),)),
    (r"\b(?:was|were) (?:supported|funded) by\b", (_WAS, (" by",))),
    (r"\bapproved by the\b.{0,40}\bcommittee\b", (("approved by the",), ("committee",))),
)
_NEVER_CLAIM: Final = GatedPattern(_NEVER_CLAIM_PARTS, tuple(range(len(_NEVER_CLAIM_PARTS))))
_NEVER_CLAIM_RE: Final = _NEVER_CLAIM.whole
# Every alternative of _NEVER_CLAIM_RE needs one of these words (or starts with "to "): a
# set test spares the regex on most sentences.
_NEVER_GATE: Final = frozenset(
    """here herein we they authors researchers colleagues this aim aims objective objectives
    purpose goal goals incubated centrifuged washed stained diluted purchased stored homogenized
    homogenised transfected resuspended fixed cloned normalised normalized manufacturer c rpm
    statistical recombinant supported funded committee hypothesis hypotheses hypothesized
    hypothesised predicted reasoned""".split()
)


# Direct speech (a press quote in a news page: issue 13's "…the immune system is at the core of
# the puzzle…" filed as an implication) is someone's comment, never a claim of the document:
# a sentence that opens with a quotation mark, or a closing quotation mark before a speech verb.
_PRESS_QUOTE_RE: Final = re.compile(
    r"^\s*[\"“‘«]|[\"”»],?\s+(?:\w+\s+){0,3}?(?:said|says|explains|explained|adds|added|"
    r"notes|noted|told|tells|commented|comments)\b"
)

_QUOTE_MARKS: Final = frozenset('"“‘«”»')  # a set test spares the regex on most sentences


# A figure legend that lost its "Figure n" label lists its panels: "A. ... B. ... C. ...".
_PANELS_RE: Final = re.compile(r"(?:^|[\s:])A[.)] [^.]{1,80}?\bB[.)] [^.]{1,80}?\bC[.)] ")


# A systematic review's housekeeping is about the review, not the topic: how its studies were
# judged (risk of bias), what the update added, which analysis could not be done, what the
# trials did not report, how their sizes or durations ranged. Such a sentence is methods-like,
# never a claim (it spent the short budget of an abstract). Advice (``_ADVICE_RE``: "trials
# with low risk of bias are needed") is exempt: it is an implication.
_HOUSEKEEPING_RE: Final = re.compile(
    r"\brisk of bias\b|\bsince the (?:last|previous) (?:version|update)\b"
    r"|\b(?:data extraction|meta-?analys[ie]s|subgroup analys[ie]s|pooling)\b[^.;]{0,80}?"
    r"\b(?:was|were) (?:therefore |thus |also )?not (?:possible|performed|feasible)\b"
    r"|\b(?:was|were) not (?:reported|documented|evaluated|measured|investigated)\b"
    r"|\bno\b[^.;]{0,80}\b(?:was|were) (?:reported|evaluated|assessed|measured|investigated) "
    r"(?:in|by) (?:the |any |either )?(?:\w+ )?(?:included )?(?:trials?|studies)\b"
    r"|^(?:no|none of the) (?:included )?(?:trials?|studies|reports?) (?:reported|investigated|"
    r"assessed|described|mentioned)\b"
    r"|\bdid not (?:mention|report|state|describe|document) (?:whether|if|how)\b"
    r"|\b(?:inadequate|poor|incomplete|insufficient|limited) reporting (?:of|on)\b"
    r"|\b(?:trial|study|sample) sizes? (?:varied|ranged)\b"
    r"|\bduration of (?:the )?(?:included )?(?:studies|trials) (?:varied|ranged)\b"
)
_HOUSEKEEPING_GATE: Final = frozenset(
    "bias since possible performed feasible reported documented evaluated measured investigated "
    "assessed size sizes duration mention state describe document reporting described "
    "mentioned".split()
)


def _housekeeping(s: _Sentence) -> bool:
    if s.words.isdisjoint(_HOUSEKEEPING_GATE) and not s.lower.startswith(("no ", "none ")):
        return False
    return _HOUSEKEEPING_RE.search(s.lower) is not None and _ADVICE_RE.search(s.lower) is None


# A generic outlook names no finding, mechanism or use ("Many issues remain to be resolved in
# the field", "much remains to be learned"): its subject is only "issues", "questions" or
# "much". It is never a claim; an open question that names what is unknown ("the ideal dose is
# still unknown") stays an outlook (``_open_question``: at most an implication). A list of the
# issues ("..., including X and Y") names them.
_VAGUE_OUTLOOK_RE: Final = re.compile(
    r"^(?:of course,? |however,? |still,? |nevertheless,? |yet,? |but )?(?:(?:many|several|some|"
    r"numerous|a number of|important|key|major|open|further|other) )?(?:\w+ )?(?:issues|"
    r"questions|challenges|problems|hurdles) (?:still )?remain(?: to be \w+| open| unanswered)?"
    r"(?: in [^,;:]*)?[.!]?$"
    r"|^much (?:still )?remains to be (?:done|learned|learnt|understood|discovered|explored)\b"
    r"[^,;:]*[.!]?$",
    re.IGNORECASE,
)
_REMAIN: Final = frozenset({"remain", "remains"})


def _vague_outlook(s: _Sentence) -> bool:
    return not s.words.isdisjoint(_REMAIN) and _VAGUE_OUTLOOK_RE.search(s.text.strip()) is not None


def _never_claim(s: _Sentence) -> bool:
    if _housekeeping(s) or _vague_outlook(s):
        return True
    if not _QUOTE_MARKS.isdisjoint(s.text) and _PRESS_QUOTE_RE.search(s.text) is not None:
        return True
    if ("B. " in s.text or "B) " in s.text) and _PANELS_RE.search(s.text) is not None:
        return True
    if s.words.isdisjoint(_NEVER_GATE) and not s.lower.startswith("to "):
        return False
    return _NEVER_CLAIM.found(s.text, s.lower)


# Field scores: the classifier's probability + CUE_WEIGHT × the sentence's scaled cue score,
# + a bonus for implication in conclusions, in a document's last sentence and its last quarter
# of candidates. A sentence joins its best field when that score reaches MIN_FIELD_SCORE, and
# the pool of another field (at FILL_DISCOUNT of its rank) when its score there reaches
# FILL_MIN, so that a field is not left empty while a sentence that fits it is unused.
# Tuned on the train split of the golden sets (never on the held-out cases).
CUE_WEIGHT: Final = 0.5
CONCLUSION_BONUS: Final = 0.3
TAIL_SHARE: Final = 0.25
TAIL_BONUS: Final = 0.3
MIN_FIELD_SCORE: Final = 0.2
FILL_MIN: Final = 0.2
FILL_DISCOUNT: Final = 0.6
FILL_PROBABILITY: Final = 0.03  # ... and the classifier gives it this much
FILL_RATIO: Final = 0.3  # ... and at least this share of its score in its own field


def _field_scores(s: _Sentence, last: bool, tail: bool) -> list[float]:
    """Per field: the classifier's probability plus the cue evidence of the sentence; the
    conclusion of a document leans towards implication."""
    out = [s.probs[r] + CUE_WEIGHT * s.cues[r] for _, r in _FIELD_ROLES]
    if _open_question(s):
        # what is not known is neither how things work nor what was found (at most an outlook)
        out[0] = out[1] = 0.0
    elif out[1] > out[0] and s.cues[0] > 0.0 and _unobserved(s.text):
        # evidence without an observation is a statement of how things work
        out[0], out[1] = out[0] + s.probs[_EVIDENCE], out[1] - s.probs[_EVIDENCE]
    elif out[1] > out[2] and _is_verdict(s.text):
        # the review's verdict on its body of evidence is its conclusion
        out[2], out[1] = out[2] + s.probs[_EVIDENCE], out[1] - s.probs[_EVIDENCE]
    concluding = s.section == CONCLUSION or last or CONCLUSION_START_RE.match(s.text) is not None
    # A conclusion leans towards implication only when it says something about use or
    # consequence (``_bears_on_use``: may, should, therapy, ...); a finding restated in the
    # discussion or the last lines is no implication, nor is a figure reported without advice
    # (tested only where a bonus would apply: most sentences get none).
    if (concluding or tail) and _bears_on_use(s) and not _measured_result(s.text):
        if concluding:
            out[2] += CONCLUSION_BONUS
        if tail:
            out[2] += TAIL_BONUS
    return out


# A measured result: a figure with its unit or statistic ("89 days", "25%", "HR 0.52") ...
_FIGURE_RE: Final = re.compile(
    r"\d(?:\.\d+)?\s?(?:%|-?fold\b|(?:days?|weeks?|months?|years?)\b)|"
    r"\b(?:HR|OR|RR|CI|hazard ratio|odds ratio)\b|\bp\s?[<=]"
)
# ... stated without advice or outlook (which makes it an implication).
_ADVICE_RE: Final = re.compile(
    r"\b(?:may|might|could|should|would|suggest\w*|warrant\w*|promis\w+|support\w*|"
    r"need\w*|recommend\w*|potential\w*|implication\w*|future|consider\w*|indicat\w+|"
    r"conclu\w+)\b",
    re.IGNORECASE,
)


# Words of use, consequence or outlook besides the implication cues: modal verbs and the verbs
# of inference and advice ("can be given", "will depend on", "indicates", "warrants").
_USE_RE: Final = re.compile(
    r"\b(?:can|cannot|may|might|could|should|would|will|must|need\w*|suggest\w*|indicat\w+|"
    r"impl(?:y|ies|ied|ication\w*)|conclu\w+|recommend\w*|warrant\w*|depend\w*|choice|"
    r"future|potential\w*|consider\w*)\b",
    re.IGNORECASE,
)


def _bears_on_use(s: _Sentence) -> bool:
    """The classifier, an implication cue or a word of use points the sentence towards
    implication (what the conclusion bonus then lifts)."""
    return s.role == "implication" or s.cues[2] > 0.0 or _USE_RE.search(s.text) is not None


def _measured_result(text: str) -> bool:
    return _FIGURE_RE.search(text) is not None and _ADVICE_RE.search(text) is None


# An observation: a number standing on its own (not part of a name such as "CD73" or "A2A"), a
# study population, an experiment, a verb of reporting, comparing or testing, or the past tense
# (what was seen: "were regulated", "elevated transcripts"; not "is regulated", "produced by",
# "T-cell-activated").
_OBSERVATION_RE: Final = re.compile(
    r"(?<![A-Za-z\d-])\d|\b(?:was|were|had|did)\b|"
    r"(?<!\bis )(?<!\bare )(?<!\bbe )(?<!\bbeen )(?<![\w-])[a-z]{2,}ed\b(?! by\b)|"
    r"\b(?:patients?|participants?|subjects|volunteers|cohorts?|trials?|cases|controls|mice|"
    r"mouse|murine|rats?|animals|individuals|people|women|men|children|infants|samples|"
    r"specimens|biopsies|xenografts?|in (?:vitro|vivo)|cell lines?|organoids?|cultures?|"
    r"knock(?:out|down|ed out)|deficient|deplet\w+|experiments?|assays?|data|results?|"
    r"findings?|evidence|stud(?:y|ies)|analys[ie]s|survey\w*|found|find(?:s|ing)?|show(?:s|ed|n)?|"
    r"observ\w+|detect\w+|reveal\w*|demonstrat\w+|measur\w+|report\w*|identif\w+|"
    r"confirm\w*|compar\w+|tested|test(?:s|ing)|assess\w*|evaluat\w+|significant\w*|"
    r"associat\w+|correlat\w+|versus|vs|validat\w+|benchmark\w*|accura\w+|outperform\w*)\b",
    re.IGNORECASE,
)


def _unobserved(text: str) -> bool:
    return _OBSERVATION_RE.search(text) is None


# An open question: the sentence says that something is not known ("it remains unclear
# whether ...", "has yet to be examined"), unless only a concessive clause says so ("Although
# the route is unclear, our results show ...": the main clause is the claim).
_OPEN_QUESTION_RE: Final = re.compile(
    r"\b(?:(?:is|are|was|were|remains?|remained) (?:still |also |currently |largely |as yet )?"
    r"(?:not (?:known|clear|understood|established)|unknown|unclear|uncertain|poorly understood|"
    r"elusive|unresolved|controversial|debated)|(?:has|have) (?:yet to be|not (?:yet )?been) "
    r"(?:examined|studied|investigated|determined|established|explored|tested|addressed)|"
    r"remains? to be (?:resolved|determined|elucidated|established|clarified|answered|addressed|"
    r"seen|explored|investigated|defined|understood|proven|confirmed)|"
    r"(?:issues|questions|problems|challenges) (?:still )?remain(?: open| unanswered| unresolved)?|"
    r"(?:remain|remains|are|is) (?:still )?(?:an )?open questions?|"
    r"little is known)\b",
    re.IGNORECASE,
)
_CONCESSIVE: Final = ("although ", "though ", "even though ", "while ", "whereas ", "despite ")
_OPEN_GATE: Final = frozenset(
    """known clear understood established unknown unclear uncertain elusive unresolved
    controversial debated yet remain remains unanswered""".split()
)


def _open_question(s: _Sentence) -> bool:
    if s.words.isdisjoint(_OPEN_GATE) or s.lower.startswith(_CONCESSIVE):
        return False
    return _OPEN_QUESTION_RE.search(s.text) is not None


# A review's verdict on the evidence it gathered, stated without a figure: "This review found
# insufficient evidence ...", "Results from two small trials suggest that ...", "These trials
# do not support ...": the authors' conclusion, so an implication wherever it stands (a
# structured abstract's conclusions are already raised by their label).
_VERDICT_RE: Final = re.compile(
    r"^(?:overall,? |in summary,? |in conclusion,? )?(?:"
    r"(?:this|the present|our) (?:systematic |cochrane )?(?:review|meta-analysis|overview)\b"
    r"[^.;]{0,40}?\b(?:found|finds|shows?|showed|suggests?|indicates?|provides?|identified|"
    r"concludes?)|"
    r"(?:the )?(?:results?|data|evidence) (?:from|of) [^.;]{0,60}?\b(?:trials?|studies|rcts?|"
    r"review)\b[^.;]{0,20}?\b(?:suggests?|indicates?|shows?|supports?|do not|does not)|"
    r"(?:these|the) (?:[\w-]+ ){0,3}?(?:trials|studies|rcts) (?:suggest|indicate|support|"
    r"do not support|provide))\b",
    re.IGNORECASE,
)


def _is_verdict(text: str) -> bool:
    return _VERDICT_RE.search(text) is not None and not _measured_result(text)


# In a long document (LEAD_MIN_SENTENCES or more) the opening sentences (title, abstract) say
# what the paper found: rank × (1 + LEAD_BONUS × the sentence's closeness to the start, over
# the first LEAD_SENTENCES). Tuned on the train split.
LEAD_MIN_SENTENCES: Final = 40
LEAD_SENTENCES: Final = 20
LEAD_BONUS: Final = 1.5
# Within a field, rank = field score ** power × (0.25 + importance) × lead. On the train split
# the field score orders a field's sentences by whether they state a key point in abstracts
# (AUC 0.63, importance 0.55) but not in long documents (AUC 0.49, importance 0.67), so there
# it weighs less: LONG_FIELD_POWER (SHORT_FIELD_POWER otherwise). Not 0: the field score is
# also the classifier's confidence, and without it framing and procedure sentences that
# happen to be central become claims (tests/test_extractive_roles.py). Long is the lead
# rule's long: LEAD_MIN_SENTENCES sentences or more (no golden document lies between 25 and
# 48 sentences, i.e. between 640 and 1,788 words). Tuned on the train split (0, 0.25, 0.5, 1
# on pdf and pmc; 0, 0.5, 1, 2 in abstracts, where 1 stays best).
SHORT_FIELD_POWER: Final = 1.0
LONG_FIELD_POWER: Final = 0.5


def _field_of(s: _Sentence) -> int | None:
    """The field (index into ``SECTIONS``) of a claim sentence; None for no claim."""
    if (
        s.claim_probability < MIN_CLAIM_PROBABILITY
        or s.role in _NEVER_ROLES
        or max(s.fields) < MIN_FIELD_SCORE
        or _never_claim(s)
    ):
        return None
    return max(range(3), key=lambda i: s.fields[i])


def _pools(sentences: list[_Sentence]) -> dict[Section, list[tuple[float, _Sentence]]]:
    """(rank, sentence) per field, best first: sentences whose role is the field's, sure
    enough, outside back matter, not repeated and not a never-claim. The rank weighs the field
    score by the document's length (``LONG_FIELD_POWER``)."""
    pools: dict[Section, list[tuple[float, _Sentence]]] = {section: [] for section in SECTIONS}
    seen: set[str] = set()
    n_all = sentences[-1].ordinal + 1 if sentences else 0

    long_doc = n_all >= LEAD_MIN_SENTENCES
    power = LONG_FIELD_POWER if long_doc else SHORT_FIELD_POWER

    def lead(s: _Sentence) -> float:
        if not long_doc:
            return 1.0
        return 1.0 + LEAD_BONUS * max(0.0, 1.0 - s.ordinal / LEAD_SENTENCES)

    for s in sentences:
        if s.section == BACK_MATTER or s.lower in seen:
            continue  # back matter, or a sentence repeated (abstract and conclusions)
        seen.add(s.lower)
        f = _field_of(s)
        if f is None:
            continue
        for g, section in enumerate(SECTIONS):
            weight = 1.0 if g == f else FILL_DISCOUNT
            if g == f or (
                s.fields[g] >= max(FILL_MIN, FILL_RATIO * s.fields[f])
                and s.probs[_FIELD_ROLES[g][1]] >= FILL_PROBABILITY
            ):
                rank = weight * s.fields[g] ** power * (0.25 + s.importance) * lead(s)
                pools[section].append((rank, s))
    for pool in pools.values():
        pool.sort(key=lambda rs: (-rs[0], rs[1].index))
    return pools


def _fill_empty(chosen: dict[Section, list[_Sentence]]) -> None:
    """An empty field takes a claim of a field with two claims or more (as v2 does) whose
    score in it reaches FILL_MIN and FILL_RATIO of its score in its own field: a sentence that
    fits two fields goes where it is the only claim, rather than leave one field empty and
    give the other one more. The best-ranked such move first, until none is left."""
    while True:
        best: tuple[float, int, Section, _Sentence] | None = None
        for g, section in enumerate(SECTIONS):
            if chosen[section]:
                continue
            for f, owner in enumerate(SECTIONS):
                if len(chosen[owner]) < 2:
                    continue
                for s in chosen[owner]:
                    if s.fields[g] < max(FILL_MIN, FILL_RATIO * s.fields[f]):
                        continue
                    rank = s.fields[g] * (0.25 + s.importance)
                    if best is None or rank > best[0]:
                        best = (rank, g, owner, s)
        if best is None:
            return
        _, g, owner, s = best
        chosen[owner].remove(s)
        chosen[SECTIONS[g]] = [s]


def _claim(s: _Sentence) -> Claim:
    """The claim of a (narrowed) sentence: the quote is its text, an exact slice; the
    statement is trimmed from it (and ends as a sentence when the quote is a clause)."""
    said = statement(s.text)
    if said and said.rstrip(CLOSERS)[-1:] not in (".", "!", "?"):
        said += "."
    return Claim(statement=said, quotes=[Quote(text=s.text, start=s.start, end=s.end)])


# A further claim of a field must bring new content: under this share of its content terms
# may sit in one earlier claim of the field. Tuned on the train split.
REPEAT_SHARE: Final = 0.8
_NUMBER_RE: Final = re.compile(r"(?<![A-Za-z-])\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class _Option:
    """A quotable span of a claim sentence: ``sentence.text[start:end]``."""

    rank: float
    sentence: _Sentence
    start: int
    end: int
    words: int
    terms: frozenset[str]

    def narrowed(self) -> _Sentence:
        s = self.sentence
        text = s.text[self.start : self.end]
        return replace(
            s, start=s.start + self.start, end=s.start + self.end, text=text, n_words=self.words
        )


def _content(s: _Sentence, a: int, b: int, digits: bool) -> tuple[frozenset[str], float]:
    """The content terms of the span ``s.text[a:b]``, and its content value (terms + 2 per
    number; ``digits``: the sentence has a digit)."""
    text = s.text[a:b]
    # The whole sentence's terms are its ``tokens`` (``score_importance``: the same count).
    counts = s.tokens if len(text) == len(s.text) else terms(CUE_TOKEN_RE.findall(text.lower()))
    numbers = len(_NUMBER_RE.findall(text)) if digits else 0
    return frozenset(counts), sum(counts.values()) + 2.0 * numbers


# A claim that opens by pointing back ("The benefit was lost in Ifnar1-deficient mice.",
# "These results should be interpreted with caution.") needs the sentence before it to be
# understood: its rank is damped, so a self-contained sentence of nearly the same worth goes
# first (as ``clause_spans`` leaves out a later clause that points back). "This review ..."
# and "The effect of X ..." name what they speak of.
ANAPHOR_PENALTY: Final = 0.85
_ANAPHOR_START_RE: Final = re.compile(
    r"(?:(?:It|They|This|These|Those|That|Such|Both)\b(?!\s+(?:review|study|trial|analysis|"
    r"meta-analysis|Cochrane|systematic|article|paper|work|report|randomi[sz]ed|update)\b)"
    r"|The (?:effects?|benefits?|difference|increase|reduction|decrease|association|"
    r"combination|improvement|change|results?|findings?|latter|former|same)\b"
    r"(?!\s+(?:of|on|in|between|for|from|with)\b))",
    re.IGNORECASE,
)


def _points_back(text: str, start: int) -> bool:
    """The span of ``text`` from ``start`` opens by pointing back (see ``ANAPHOR_PENALTY``)."""
    return _ANAPHOR_START_RE.match(text, start) is not None


def _options(pool: list[tuple[float, _Sentence]]) -> list[_Option]:
    """Per ranked sentence: its informative span, and its clauses when it has several (each
    at the sentence's rank × its share of the sentence's content), best first."""
    out: list[_Option] = []
    for rank, s in pool:
        if _points_back(s.text, informative_span(s.text)[0]):
            rank *= ANAPHOR_PENALTY
        digits = DIGIT_RE.search(s.text) is not None
        a, b = informative_span(s.text)
        terms, value = _content(s, a, b, digits)
        out.append(_Option(rank, s, a, b, len(s.text[a:b].split()), terms))
        for c_start, c_end in clause_spans(s.text):
            c_terms, c_value = _content(s, c_start, c_end, digits)
            share = c_value / value if value > 0 else 0.0
            words = len(s.text[c_start:c_end].split())
            out.append(_Option(rank * share**CLAUSE_POWER, s, c_start, c_end, words, c_terms))
    out.sort(key=lambda o: (-o.rank, o.sentence.index, o.start))
    return out


# The first claim of each field is chosen jointly: among the FIRST_OPTIONS best spans of each
# field, the combination (a field may stay empty) of the best total rank within the budget.
FIRST_OPTIONS: Final = 6


def _first_claims(options: dict[Section, list[_Option]], budget: int) -> dict[Section, _Option]:
    """One claim per field, the fields together: so that no field is left out because
    another took the budget first (see ``FIRST_OPTIONS``)."""
    # Per option (words, density, span), computed once; None: the field left out.
    choices = [
        [
            *((o, o.words, _density(o), (o.sentence.index, o.start, o.end)) for o in opts),
            None,
        ]
        for opts in (options[section][:FIRST_OPTIONS] for section in SECTIONS)
    ]
    best: tuple[float, tuple[_Option | None, ...]] = (0.0, (None,) * len(SECTIONS))
    for combo in itertools.product(*choices):
        picked = [c for c in combo if c is not None]
        if sum(c[1] for c in picked) > budget:
            continue
        spans = [c[3] for c in picked]
        if any(
            i == j and a < d and c < b
            for n, (i, a, b) in enumerate(spans)
            for j, c, d in spans[n + 1 :]
        ):
            continue
        total = sum(c[2] for c in picked)  # the densities in field order, as summed before
        if total > best[0]:
            best = (total, tuple(None if c is None else c[0] for c in combo))
    return {section: o for section, o in zip(SECTIONS, best[1], strict=True) if o is not None}


# Under the word budget an option is worth its rank per word, damped: rank / (words / 20) **
# LENGTH_POWER (at least MIN_LENGTH words), and a clause's rank is the sentence's rank ×
# (its share of the sentence's content) ** CLAUSE_POWER, so that a short clause that carries
# most of the finding beats its whole sentence. Tuned on the train split of the golden sets.
LENGTH_POWER: Final = 0.75
MIN_LENGTH: Final = 10
CLAUSE_POWER: Final = 0.7


def _density(o: _Option) -> float:
    return o.rank / float((max(o.words, MIN_LENGTH) / 20) ** LENGTH_POWER)


# Between fields, an option's density is taken relative to the best density of its field **
# FIELD_BALANCE: the fields' ranks come on different scales (the classifier is surer of
# evidence than of mechanism), and a structured summary should not spend the words on the
# field whose scores run highest. Tuned on the train split.
FIELD_BALANCE: Final = 0.5
# Redundancy (MMR-like): a further claim is worth its rank × (1 - MMR × the largest share of
# its terms found in one claim already chosen, in any field), so that claims do not restate
# one fact. The document's topic terms (in TOPIC_SHARE of its candidate sentences or more:
# the drug, the disease) are left out of that share: every claim names them. Kept mild: at
# 0.4 and above novelty starts to favour framing sentences ("We tested the hypothesis that
# …"), which share no terms with the findings (tests/test_extractive_roles.py).
MMR: Final = 0.3
TOPIC_SHARE: Final = 0.3


def _topic_terms(sentences: list[_Sentence]) -> frozenset[str]:
    df = Counter(itertools.chain.from_iterable(s.tokens.keys() for s in sentences))
    least = max(2.0, TOPIC_SHARE * len(sentences))
    return frozenset(t for t, c in df.items() if c >= least)


def _novelty(terms: frozenset[str], every: list[frozenset[str]]) -> float:
    """1 - MMR × the largest share of ``terms`` in one of ``every`` (1: nothing repeated)."""
    if not terms or not every:
        return 1.0
    return 1.0 - MMR * max(len(terms & e) for e in every) / len(terms)


def _pick(
    options: list[_Option],
    room: int,
    taken: dict[int, list[tuple[int, int]]],
    earlier: list[frozenset[str]],
    every: list[frozenset[str]],
    topic: frozenset[str],
) -> tuple[float, int] | None:
    """(novelty, index) of the option of a field with the best rank × novelty that fits in
    ``room`` words, overlaps no chosen span and repeats no earlier claim of the field; None
    when none does. ``options`` are sorted by rank and novelty is at most 1: the scan stops
    at the first rank under the best value found."""
    best: tuple[float, float, int] | None = None
    for i, o in enumerate(options):
        if best is not None and o.rank <= best[0]:
            break
        if (
            o.words > room
            or _overlaps(o, taken.get(o.sentence.index, []))
            or (earlier and near_repeat(o.terms, earlier, REPEAT_SHARE))
        ):
            continue
        novelty = _novelty(o.terms - topic, every) if every else 1.0
        if best is None or o.rank * novelty > best[0]:
            best = (o.rank * novelty, novelty, i)
    return None if best is None else (best[1], best[2])


def _overlaps(o: _Option, spans: list[tuple[int, int]]) -> bool:
    return any(o.start < b and a < o.end for a, b in spans)


def _rank(s: _Sentence, section: Section) -> float:
    return s.probs[_ROLE_OF[section]] * (0.25 + s.importance)


def _candidates(text: str) -> tuple[list[_Sentence], int]:
    """Candidate sentences, and the number of sentences of the document (all of them)."""
    out: list[_Sentence] = []
    category = NONE
    heading: str | None = None
    ordinal = 0
    for piece in pieces(text, ANY_LABEL_RE):
        if piece.kind == HEADING:
            if piece.label is not None:
                category = next_section(category, piece.label)
            heading = text[piece.start : piece.end]
            continue
        ordinal += 1
        if piece.kind == CAPTION:
            continue
        if piece.label is not None:
            category = next_section(category, piece.label)
            heading = piece.label
        start = piece.start
        bullet = _BULLET_RE.match(text, start, piece.end)
        if bullet:
            if text[bullet.end() : bullet.end() + 1].islower():
                continue
            start = bullet.end()
        sentence = text[start : piece.end]
        fit = candidate_tokens(sentence)
        if fit is None or _AUTHORS_RE.match(sentence):
            continue
        lower, token_list, words, n_words = fit
        out.append(
            _Sentence(
                start=start,
                end=piece.end,
                index=len(out),
                ordinal=ordinal - 1,
                paragraph=piece.paragraph,
                first_in_paragraph=piece.first,
                section=BACK_MATTER if category == BACK else piece.section,
                category=category,
                heading=heading,
                text=sentence,
                lower=lower,
                words=words,
                n_words=n_words,
                token_list=token_list,
            )
        )
    return out, ordinal


def _score(sentences: list[_Sentence]) -> None:
    """Importance: leave-one-out TF-IDF centrality × position/section weight."""
    score_importance(sentences, tokens=[s.token_list for s in sentences])
