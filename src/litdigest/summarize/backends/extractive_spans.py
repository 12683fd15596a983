"""The informative span of a quoted sentence (issue 13: concise quotes, still exact slices).

``informative_span(sentence)`` returns ``(a, b)`` such that ``sentence[a:b]`` is the clause
that carries the claim, with what a reader skips left out:

* **lead-in framing**: connectives ("Moreover,"), reporting frames ("In this study, we found
  that", "These results suggest that", "It has been shown that", a short factual frame
  without a number: "One of the studies found that"), scene-setting adverbials
  ("To date,", "As expected,", "Consistent with previous reports,") and a leading concessive
  background clause ("Although …, ", "Despite …, ");
* **trailing tails**: ", as described previously", ", which is consistent with …", ", in
  line with …", and a final parenthetical that only points elsewhere (figure or table
  references, citations) or lists examples without a number ("(e.g., A, B and C)").

Never cut: a number, statistic or unit, or the bracket around one (a trimmed part holds no
digit except a figure, table or citation pointer); the span stays a whole clause of at least
``MIN_SPAN_WORDS`` words, else the whole sentence is returned. The span is a slice: the
caller adds ``a`` to the sentence's start offset.

``clause_spans(sentence)`` offers shorter alternatives (its clauses), which the word budget of
extractive-v3 (25% of a document's words, 45% under 300) weighs against the whole span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import Final

__all__ = ["MIN_SPAN_WORDS", "clause_spans", "informative_span", "near_repeat"]

MIN_SPAN_WORDS: Final = 6

_CONNECTIVES: Final = (
    r"Moreover|Furthermore|However|In addition|Additionally|Indeed|Importantly|Notably|"
    r"Interestingly|Conversely|Similarly|Likewise|Thus|Therefore|Hence|Consequently|"
    r"Accordingly|In particular|In contrast|By contrast|Finally|First(?:ly)?|Second(?:ly)?|"
    r"Third(?:ly)?|Lastly|Also|Strikingly|Remarkably|Encouragingly|Nevertheless|Nonetheless|"
    r"Specifically|As such|Here(?:in)?|Mechanistically|Taken together|Together|Overall|"
    r"In summary|In conclusion|In sum|To conclude|Collectively|Altogether|To date|Recently|"
    r"Currently|At present|To our knowledge|As expected|Unexpectedly|Surprisingly|Of note|"
    r"For example|For instance|Of course|In fact|In practice|As a result|In turn|"
    r"In recent years|Over the past (?:few |two |\w+ )?(?:years|decades?)|"
    r"In (?:this|the present|the current|our) (?:study|work|report|review|paper|article|analysis)|"
    r"(?:Consistent|In line|In agreement|In keeping|Concordant) with (?:this|these|that|"
    r"(?:previous|prior|earlier|published) (?:reports|studies|findings|work|data|results))"
)
_SUBJECT: Final = (
    r"(?:we|they|the authors|the investigators|(?:(?:these|our|the|such|this|both|all|collectively,? these|"
    r"together,? these|taken together,? these) )?(?:\w+ )?(?:results?|data|findings?|"
    r"observations?|studies|study|analys[ie]s|experiments?|evidence|work|trials?|reports?))"
)
_REPORT_VERB: Final = (
    r"(?:(?:have |has |had )?(?:also |further |now |recently |previously |collectively )?"
    r"(?:found|find|show(?:n|ed|s)?|demonstrat(?:e|ed|es)|report(?:ed|s)?|observ(?:e|ed|es)|"
    r"reveal(?:ed|s)?|suggest(?:ed|s)?|indicat(?:e|ed|es)|establish(?:ed|es)?|confirm(?:ed|s)?|"
    r"identif(?:y|ied|ies)|impl(?:y|ied|ies)|support(?:ed|s)? (?:the (?:notion|idea|hypothesis|"
    r"view|conclusion) )?|provid(?:e|ed|es) evidence|highlight(?:ed|s)?|propos(?:e|ed|es)|"
    r"conclud(?:e|ed|es)|argu(?:e|ed|es)|point(?:ed|s)? to the (?:fact|possibility)|"
    r"caution(?:ed|s)?|not(?:e|ed|es)|emphasi[sz](?:e|ed|es)|stress(?:ed|es)?))"
)
# A connective or scene-setting adverbial ending in a comma, a colon or a dash ("In
# conclusion: …", "Taken together — …"); a reporting frame ending in "that".
_LEAD_RES: Final = (
    re.compile(rf"(?:{_CONNECTIVES})(?:[,:]|\s?[—–]|\s--)\s+"),
    re.compile(
        rf"(?:(?:{_CONNECTIVES}),?\s+)?(?:{_SUBJECT}\s+)?(?:here\s+|herein\s+)?{_REPORT_VERB}\s+"
        r"that\s+",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:it (?:is|was|has been|had been) (?:\w+ )?(?:shown|reported|suggested|found|"
        r"proposed|demonstrated|established|observed|hypothesi[sz]ed|recogni[sz]ed|known|"
        r"noted|speculated|believed|thought|likely|possible|conceivable|plausible|evident|"
        r"clear|important to note|noteworthy|worth noting) that|it has (?:\w+ )?become (?:clear|"
        r"apparent|evident) that|there is (?:\w+ )?evidence "
        r"that|(?:\w+ )?evidence (?:suggests|indicates|shows) that|this (?:suggests|indicates|"
        r"implies|shows|means) that)\s+",
        re.IGNORECASE,
    ),
    # A factual frame of a few words without a number: "One of the studies found that",
    # "Lineage tracing showed that" (a hedge such as "suggest" or "appears" stays).
    re.compile(
        r"(?:[A-Z][\w'’+-]*)(?: [\w'’+-]+){0,5} (?:also |further )?(?:found|showed|demonstrated|"
        r"revealed|confirmed|established|observed|reported) that\s+"
    ),
)
_CONCESSIVE_RE: Final = re.compile(r"(?:Although|Though|Even though|While|Whilst|Despite)\s")
# What cannot open a main clause: a relative or subordinate continuation of the lead clause.
_NOT_MAIN_RE: Final = re.compile(r"(?:where|which|who|whom|whose|when|that|as|because|since)\b")
_COORDINATOR_RE: Final = re.compile(r"(?:and|or|but|as well as|nor|etc\.?)\b")
_TAIL_RE: Final = re.compile(
    r",\s+(?:(?:as|which (?:is|was|are|were|has been)) )?(?:(?:previously |already )?"
    r"(?:described|reported|shown|noted|discussed|mentioned|observed|published|reviewed)"
    r"(?: previously| before| above| earlier| elsewhere| (?:in|by) [^,;]{1,60})?|"
    r"(?:which (?:is|was|are|were) )?(?:consistent|in line|in agreement|in keeping|"
    r"concordant|similar to what was reported|comparable) with [^;]*?)"
    r"(?=[.!;]?[\"'”’]?$)",
    re.IGNORECASE,
)
_POINTER_RE: Final = re.compile(
    r"\s*\((?:(?:see |e\.g\.,? |cf\. )?(?:(?:Supplementary |Extended Data |Suppl\. )?"
    r"(?:Fig(?:ure)?s?\.?|Tables?|Box)\s*S?\d+[A-Za-z]?(?:[\s,–-]+(?:and\s+)?S?\d*[A-Za-z]?)*"
    r"|refs?\.?\s*\d+(?:[\s,–-]+\d+)*|[A-Z][A-Za-z'’-]+(?: et al\.?)?,? (?:19|20)\d\d[a-z]?"
    r"(?:\s?[;,]\s?[A-Z][A-Za-z'’-]+(?: et al\.?)?,? (?:19|20)\d\d[a-z]?)*)[;,\s]*)+\)"
    r"|\s*\[\d{1,3}(?:\s?[–,-]\s?\d{1,3})*\]",
)
_ASIDE_RE: Final = re.compile(r"\s*\((?:e\.g\.|i\.e\.|such as|including)[^()\d]*\)")
_END_RE: Final = re.compile(r"[.!;]?[\"'”’]?$")
# A number as a reader reads it (a count, a statistic, a dose), not a digit inside a name
# (PD-1, CD8, IL-2): a trimmed part never holds one.
_NUMBER_RE: Final = re.compile(r"(?<![A-Za-z-])\d|\d(?=\s?%)")


def _words(text: str) -> int:
    return len(text.split())


def _lead(sentence: str, a: int, b: int) -> int:
    """The start after the leading framing, repeated while it shortens the span."""
    while True:
        for pattern in _LEAD_RES:
            m = pattern.match(sentence, a, b)
            if (
                m
                and _words(sentence[m.end() : b]) >= MIN_SPAN_WORDS
                and not _NUMBER_RE.search(sentence, a, m.end())
            ):
                a = m.end()
                break
        else:
            concessive = _concessive(sentence, a, b)
            if concessive is None:
                return a
            a = concessive


def _concessive(sentence: str, a: int, b: int) -> int | None:
    """After a leading "Although …," clause: at its first comma outside brackets that does
    not continue a list, when the rest is a main clause and the clause holds no number."""
    if not _CONCESSIVE_RE.match(sentence, a, b):
        return None
    depth = 0
    for i in range(a, b):
        ch = sentence[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            rest = sentence[i + 1 : b].lstrip()
            if _list_item(rest):
                continue
            if (
                _words(sentence[a:i]) < 3
                or _COORDINATOR_RE.match(rest)
                or _NOT_MAIN_RE.match(rest)
                or _NUMBER_RE.search(sentence, a, i)
                or _words(rest) < MIN_SPAN_WORDS
            ):
                return None
            return b - len(rest)
    return None


def _list_item(rest: str) -> bool:
    """The text after a comma continues a list ("B and C are known, …", "B, C, …")."""
    head, sep, _ = rest.partition(",")
    if not sep:
        return False
    return _words(head) <= 3 or " and " in head or " or " in head


def _trail(sentence: str, a: int, b: int) -> int:
    """The end before trailing tails and pointer parentheticals (the final period and
    closing quote mark go with them)."""
    while True:
        end = _END_RE.search(sentence, a, b)
        core = end.start() if end else b
        m = _TAIL_RE.search(sentence, a, b)
        cut = m.start() if m else None
        for pattern in (_POINTER_RE, _ASIDE_RE):
            for p in pattern.finditer(sentence, a, core):
                if p.end() == core:
                    cut = p.start() if cut is None else min(cut, p.start())
        if cut is None or cut <= a or _words(sentence[a:cut]) < MIN_SPAN_WORDS:
            return b
        if _digit_outside_pointers(sentence[cut:b]):
            return b
        b = cut


def _digit_outside_pointers(tail: str) -> bool:
    """A digit in the cut part that is not inside a figure/table/citation pointer."""
    return _NUMBER_RE.search(_POINTER_RE.sub("", tail)) is not None


@lru_cache(maxsize=65536)
def informative_span(sentence: str) -> tuple[int, int]:
    """``(a, b)``: ``sentence[a:b]`` is the informative clause (see the module docstring)."""
    a, b = 0, len(sentence)
    while a < b and sentence[a].isspace():
        a += 1
    while b > a and sentence[b - 1].isspace():
        b -= 1
    a = _lead(sentence, a, b)
    b = _trail(sentence, a, b)
    if b < len(sentence) and sentence[b - 1 : b] in (",", ";", ":"):
        b -= 1
    return a, b


def near_repeat(terms: AbstractSet[str], earlier: Sequence[AbstractSet[str]], share: float) -> bool:
    """``terms`` adds little: at least ``share`` of them are in one earlier claim's terms."""
    if not terms:
        return True
    return any(len(terms & e) >= share * len(terms) for e in earlier)


# Where a sentence splits into two claims: a semicolon, a colon before a lower-case word, a
# spaced dash, or a comma before a contrast or a consequence ("…, so …", "…, suggesting that
# …"), not before a participle ("…, while avoiding X, …" is no clause): both sides are clauses.
_SPLIT_RE: Final = re.compile(
    r";\s+|:\s+(?=[a-z])|\s[—–]\s|,\s+(?:whereas|while|but|although|so|thus|therefore|"
    r"hence|and (?:thus|therefore|hence|so))\s+(?!\w+ing\b)|"
    r",\s+(?:suggesting|indicating|showing|implying|demonstrating) that\s+"
)
_DASH_RE: Final = re.compile(r"\s[—–]\s")
# Where a clause may end early: before a trailing relative, result or "with" phrase (the part
# before it is a clause; the part after is not).
_TAIL_SPLIT_RE: Final = re.compile(
    r",\s+(?:which|leading to|resulting in|thereby|with|where|who|a finding|an effect)\s+"
)


# ", and" between two clauses: the right side starts a clause when it opens with a determiner
# or a pronoun; the left side is a clause unless it ends a list.
_AND_RE: Final = re.compile(r",\s+and\s+")
_CLAUSE_START_RE: Final = re.compile(
    r"(?:the|their|its|these|this|those|a|an|it|they|we|both|all|most|no)\s",
    re.IGNORECASE,
)


def _and_clauses(sentence: str, a: int, b: int) -> list[tuple[int, int]]:
    """The clauses on either side of the first top-level ", and" in ``sentence[a:b]``, when
    both are clauses (so not ", and in particular X," nor a list)."""
    for m in _top_level(sentence, a, b, _AND_RE):
        left = sentence[a : m.start()]
        last_item = left.rsplit(",", 1)[-1] if "," in left else left
        right = sentence[m.end() : b]
        if (
            _words(left) >= MIN_SPAN_WORDS
            and _words(last_item) > 3
            and _words(right) >= MIN_SPAN_WORDS
            and _CLAUSE_START_RE.match(right)
        ):
            lead = _lead(sentence, m.end(), b)
            return [(a, m.start()), (lead, _trail(sentence, lead, b))]
        break
    return []


# " but " without a comma joins two clauses when a finite verb follows within a few words
# ("X did not differ but certain adverse events were more common"); "not in A but in B" is no
# clause, nor is an elliptical "but B did (...)".
_BUT_RE: Final = re.compile(r"\s+but\s+")
_FINITE_RE: Final = re.compile(
    r"(?:[\w'’+-]+\s+){0,4}?(?:was|were|is|are|did|does|do|had|has|have|can|could|may|might|"
    r"would|will|remained|appeared|showed|increased|reduced|improved)\s+[\w-]",
    re.IGNORECASE,
)


def _but_clauses(sentence: str, a: int, b: int) -> list[tuple[int, int]]:
    """The clauses on either side of the first top-level " but " in ``sentence[a:b]``, when
    both are clauses of ``MIN_SPAN_WORDS`` words or more."""
    for m in _top_level(sentence, a, b, _BUT_RE):
        right = sentence[m.end() : b]
        if (
            _words(sentence[a : m.start()]) >= MIN_SPAN_WORDS
            and _words(right) >= MIN_SPAN_WORDS
            and not sentence[a : m.start()].rstrip().endswith(",")
            and _FINITE_RE.match(right)
        ):
            return [(a, m.start()), (m.end(), _trail(sentence, m.end(), b))]
        break
    return []


def _top_level(sentence: str, a: int, b: int, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    """Matches of ``pattern`` in ``sentence[a:b]`` outside brackets."""
    out: list[re.Match[str]] = []
    depth = 0
    i = a
    for m in pattern.finditer(sentence, a, b):
        depth += sum(sentence.count(o, i, m.start()) for o in "([")
        depth -= sum(sentence.count(c, i, m.start()) for c in ")]")
        i = m.start()
        if depth == 0:
            out.append(m)
    return out


def _split(sentence: str, a: int, b: int) -> list[tuple[int, int]]:
    """The clauses of ``sentence[a:b]`` (at ``_SPLIT_RE``), each trimmed like a sentence;
    empty when it is one clause."""
    parts: list[tuple[int, int]] = []
    start = a
    paired = len(_DASH_RE.findall(sentence, a, b)) > 1  # "X — an aside — Y": no split there
    for m in _top_level(sentence, a, b, _SPLIT_RE):
        if paired and _DASH_RE.fullmatch(m.group()):
            continue
        if m.group().startswith(":") and _NUMBER_RE.search(sentence, start, m.start()):
            continue  # a counted lead ("A cohort of 231 cases: high X → worse Y") binds
        if _words(sentence[start : m.start()]) >= MIN_SPAN_WORDS and (
            _words(sentence[m.end() : b]) >= MIN_SPAN_WORDS
        ):
            parts.append((start, m.start()))
            start = m.end()
    if not parts:
        return []
    parts.append((start, b))
    out: list[tuple[int, int]] = []
    for p_start, p_end in parts:
        lead = _lead(sentence, p_start, p_end)
        out.append((lead, _trail(sentence, lead, p_end)))
    return out


# A clause that opens by pointing back ("they express …", "this raised …", "the other
# remains …") needs the rest of its sentence to be understood: it is no claim on its own.
_ANAPHOR_RE: Final = re.compile(
    r"(?:this|these|those|it|its|they|their|them|such|which|the (?:other|former|latter))\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=65536)
def clause_spans(sentence: str) -> tuple[tuple[int, int], ...]:
    """Shorter alternatives to the informative span of ``sentence``, each a clause of at
    least ``MIN_SPAN_WORDS`` words: its clauses when it holds several (split at a semicolon,
    a contrast or a consequence outside brackets), and each of these (or the whole span)
    ended before a trailing relative or "with" phrase; a later clause that opens by pointing
    back (``_ANAPHOR_RE``) is left out. Empty when there is none."""
    a, b = informative_span(sentence)
    parts = _split(sentence, a, b)
    out = list(parts)
    for p_start, p_end in [(a, b), *parts]:
        out += [span for span in _and_clauses(sentence, p_start, p_end) if span not in out]
        out += [span for span in _but_clauses(sentence, p_start, p_end) if span not in out]
        for m in _top_level(sentence, p_start, p_end, _TAIL_SPLIT_RE):
            if _words(sentence[p_start : m.start()]) >= MIN_SPAN_WORDS:
                if (p_start, m.start()) not in out:
                    out.append((p_start, m.start()))
                break
    return tuple(span for span in out if span[0] == a or not _ANAPHOR_RE.match(sentence, span[0]))
