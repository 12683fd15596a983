"""Resource papers: abstracts whose contribution is a tool, a software package, a database or a
method. Their sentences read as methods ("We have implemented ...", "The parser deals with
...") and the role model, trained mostly on reviews and trials, calls them methods or
meta-discourse, so such a paper had no claim at all. In a resource paper what the resource
is and does is how it works (its mechanism), how it was tested is the evidence, and its use
is the implication:

* ``resource_names`` tells a resource paper from its opening (title and abstract): the authors
  present, implement or develop a tool, package, library, pipeline, database, method...; or the
  title says "implemented in <language>"; or the abstract has an "Availability" or
  "Implementation" part. It returns the resource's names (the title's "Name: a ..." prefix).
* ``resource_role`` gives a sentence of such a paper its role: implication for its use or
  availability ("users can now ...", "is freely available", "makes ... easier"), evidence for
  measured performance ("validated", "in a benchmark", "12-fold faster", "within 10 min"),
  mechanism for the contribution ("we have implemented a library ...") and for what the
  resource does (the resource or its name, then a present-tense capability: "provides",
  "deals with", "may be used to"); None for the rest. Procedure ("were embedded", "was
  solved using") stays methods, and the never-claim rules of the backend still apply.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["resource_names", "resource_role"]

HEAD_CHARS: Final = 2500  # the title and abstract: where a paper says what it contributes

_NOUNS: Final = (
    r"(?:tool(?:kit)?s?|packages?|software|librar(?:y|ies)|modules?|pipelines?|programs?|"
    r"(?:web )?servers?|databases?|APIs?|interfaces?|frameworks?|platforms?|applications?|"
    r"parsers?|plug-?ins?|workflows?|algorithms?|methods?|resources?|compendium|classes)"
)
_CONTRIBUTION: Final = (
    r"\bwe (?:have )?(?:present(?:ed)?|describe[d]?|introduce[d]?|implement(?:ed)?|"
    r"develop(?:ed)?|design(?:ed)?|create[d]?|buil[td]|generate[d]?|wr(?:o|i)te|written|"
    r"extend(?:ed)?)\b[^.;]{0,120}?\b" + _NOUNS + r"\b"
)
_RESOURCE_PAPER_RE: Final = re.compile(
    _CONTRIBUTION + r"|\bimplemented in (?:python|perl|java|r|c\+\+|c|matlab|javascript)\b|"
    r"(?:^|\n)(?:availability|implementation)(?: and (?:implementation|availability))?\s*:",
    re.IGNORECASE,
)
# What every match of _RESOURCE_PAPER_RE holds once lower-cased: a cheap scan of the head that
# spares the regex on most documents (trials, reviews). It holds only where no character that
# re.IGNORECASE matches to an ASCII letter stays apart under str.lower() (long s, dotless i,
# dotted capital I, Kelvin sign).
_CONTRIBUTION_HINT_RE: Final = re.compile(
    r"we (?:have )?(?:present|describ|introduc|implement|develop|design|creat|buil|generat|"
    r"wr[io]te|written|extend)"
)
_FOLD_SPECIALS: Final = ("\u017f", "\u0131", "\u0130", "\u212a")


def _may_be_resource_paper(head: str) -> bool:
    if not head.isascii() and any(c in head for c in _FOLD_SPECIALS):
        return True
    lower = head.lower()
    return (
        "implemented in " in lower
        or "availability" in lower
        or "implementation" in lower
        or _CONTRIBUTION_HINT_RE.search(lower) is not None
    )


_CONTRIBUTION_RE: Final = re.compile(_CONTRIBUTION, re.IGNORECASE)
# The resource's own name: a title "GenomeDiagram: a python package for ...".
_TITLE_NAME_RE: Final = re.compile(r"^\s*([A-Z][\w.+-]*(?: [A-Z][\w.+-]*){0,2}):\s")
_CAPABILITY: Final = (
    r"\b(?:provides?|enables?|allows?|makes?|generates?|produces?|supports?|performs?|"
    r"handles?|deals? with|contains?|offers?|computes?|outputs?|returns?|visuali[sz]es?|"
    r"plots?|integrates?|implements?|detects?|identifies|predicts?|exposes?|"
    r"(?:can|could|may) be used)\b"
)
# How the resource was tested: measured performance is its evidence.
_VALIDATION_RE: Final = re.compile(
    r"\b(?:validat|benchmark|reproducib|accura|sensitiv|specificit|outperform|faster than|"
    r"compared (?:with|to)|tested (?:on|with|against)|evaluated (?:on|with|against)|"
    r"within \d|in under \d|\d+(?:\.\d+)? ?(?:%|-?fold|times)\b)",
    re.IGNORECASE,
)
_USE_RE: Final = re.compile(
    r"\b(?:is|are) (?:now |freely |publicly |also )*available\b|"
    r"\b(?:users|researchers|biologists|clinicians|investigators|programmers) (?:can|could|may|"
    r"will)\b|\bmakes? [^.;]{0,60}\b(?:easier|simpler|faster|more (?:principled|efficient|"
    r"accessible|reproducible|robust))\b|\bfor (?:use in|use by|point-of-care|routine use|"
    r"clinical use)\b",
    re.IGNORECASE,
)


def resource_names(text: str) -> tuple[str, ...] | None:
    """The names of the resource a resource paper presents (maybe none); None for a paper of
    another kind."""
    head = text[:HEAD_CHARS]
    if not (_may_be_resource_paper(head) and _RESOURCE_PAPER_RE.search(head)):
        return None
    m = _TITLE_NAME_RE.match(head)
    return (m.group(1),) if m else ()


def resource_role(sentence: str, names: tuple[str, ...]) -> str | None:
    """ "implication", "evidence", "mechanism" or None for a sentence of a resource paper (see the module
    docstring)."""
    if _USE_RE.search(sentence):
        return "implication"
    if _VALIDATION_RE.search(sentence):
        return "evidence"
    if _CONTRIBUTION_RE.search(sentence):
        return "mechanism"
    subject = "|".join([_NOUNS, *(re.escape(n) for n in names)])
    capability = rf"(?:\b(?:{subject}))\b[^.;]{{0,80}}?{_CAPABILITY}"
    if re.search(capability, sentence, re.IGNORECASE):
        return "mechanism"
    return None
