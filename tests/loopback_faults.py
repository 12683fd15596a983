"""Faithfulness faults for the loopback server (issue 14), and its TL;DR citations.

``finish_answer`` runs on every answer the loopback server builds (one call in
``LoopbackServer._completion``):

* it makes the answer look like a careful model's: reduce statements lose the candidate
  line's "[3] evidence (0.50)" prefix and its "| quote" tail, and a TL;DR made of sentence
  objects cites the claims it restates (``M1``...), or, for a TL;DR-only re-ask, the first
  claim listed in the request;
* with a fault, it alters the answer the way an unfaithful model would:

  - ``INVENTED_TLDR``: the TL;DR is replaced by a sentence about an invented cytokine;
  - ``INVENTED_ENTITY``: a name in one statement is replaced by (or a statement gets) a name
    the document does not contain ("IL-10" -> "IL-17A");
  - ``CHANGED_NUMBER``: a number in one statement changes ("42%" -> "24%");
  - ``FLIPPED_DIRECTION``: one direction word flips ("increases" -> "decreases");
  - ``NEGATION_REMOVED``: one "not"/"no" is removed from a statement.

Every alteration is recorded as an ``Injection`` (what changed, and the invented token), so a
test or bench can check that nothing invented reaches the output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Final

__all__ = [
    "FAITHFULNESS_FAULTS",
    "Injection",
    "finish_answer",
]

JSON = Any

INVENTED_TLDR_TEXT: Final = (
    "Interleukin-99 secreted by lunar macrophages reverses all tumours within one hour."
)
# real names, used only when the document does not contain them
_ENTITIES: Final = (
    "IL-17A",
    "CXCL13",
    "TIGIT",
    "LAG-3",
    "STAT5",
    "Foxp3",
    "IL-33",
    "CCR8",
    "tremelimumab",
    "KIR2DL1",
)
_CANDIDATE_PREFIX: Final = re.compile(
    r"^\[\d+\]\s+(?:mechanism|evidence|therapeutic_implication)\s+\(\d+(?:\.\d+)?\)\s*"
)
_LISTED_CLAIM: Final = re.compile(r"^\[([MET]\d+)\]\s+(.+)$", re.M)
_NAME: Final = re.compile(
    r"(?<![\w-])(?:[A-Z][A-Za-z]*-?\d+[A-Za-z0-9]*|[A-Z]{2,}[a-z]?(?:-[A-Z0-9]+)?)(?![\w-])"
)
_NUMBER: Final = re.compile(r"(?<![\w.,/-])(\d+(?:\.\d+)?)(?=\s*%|\s*(?:months?|years?|mg)\b)")
_PLAIN_NUMBER: Final = re.compile(r"(?<![\w.,/-])(\d+(?:\.\d+)?)(?![\w.,-]*\d)(?![A-Za-z])")
_FLIPS: Final = {
    "increases": "decreases",
    "increased": "decreased",
    "increase": "decrease",
    "increasing": "decreasing",
    "decreases": "increases",
    "decreased": "increased",
    "decrease": "increase",
    "reduces": "increases",
    "reduced": "increased",
    "reduce": "increase",
    "promotes": "suppresses",
    "promoted": "suppressed",
    "promote": "suppress",
    "suppresses": "promotes",
    "suppressed": "promoted",
    "suppress": "promote",
    "inhibits": "activates",
    "inhibited": "activated",
    "inhibit": "activate",
    "enhances": "impairs",
    "enhanced": "impaired",
    "enhance": "impair",
    "improves": "worsens",
    "improved": "worsened",
    "improve": "worsen",
    "higher": "lower",
    "lower": "higher",
    "better": "worse",
    "worse": "better",
    "elevated": "reduced",
    "longer": "shorter",
    "shorter": "longer",
}
_FLIP_RE: Final = re.compile(r"\b(" + "|".join(sorted(_FLIPS, key=len, reverse=True)) + r")\b")
_NEGATION_RE: Final = re.compile(r"\s+\b(not|no|never)\b(?=\s)|n't\b")

INVENTED_TLDR: Final = "invented_tldr"
INVENTED_ENTITY: Final = "invented_entity"
CHANGED_NUMBER: Final = "changed_number"
FLIPPED_DIRECTION: Final = "flipped_direction"
NEGATION_REMOVED: Final = "negation_removed"
FAITHFULNESS_FAULTS: Final = (
    INVENTED_TLDR,
    INVENTED_ENTITY,
    CHANGED_NUMBER,
    FLIPPED_DIRECTION,
    NEGATION_REMOVED,
)


@dataclass(frozen=True)
class Injection:
    """One alteration: the fault, the original and altered text, and the invented token
    (a name or number that must never reach the output), if any."""

    fault: str
    original: str
    altered: str
    token: str | None = None
    step: str = "summary"  # summary, map, reduce or tldr (a TL;DR-only re-ask)
    reask: bool = False  # the reply answered a re-ask


def _claim_objects(answer: JSON) -> list[tuple[str, list[dict[str, Any]]]]:
    """(section key, list of claim objects) of a summary, map or reduce answer."""
    if not isinstance(answer, dict):
        return []
    out = []
    for key, value in answer.items():
        if key == "tldr" or not isinstance(value, list):
            continue
        objects = [v for v in value if isinstance(v, dict) and isinstance(v.get("statement"), str)]
        if objects:
            out.append((key, objects))
    return out


def _prefix(section: str, claim: dict[str, Any]) -> str:
    if section == "claims":  # map step: the section is inside the claim
        section = str(claim.get("section", "mechanism"))
    return {"mechanism": "M", "evidence": "E", "therapeutic_implication": "T"}.get(section, "M")


def _tidy_reduce(answer: JSON) -> None:
    for _, claims in _claim_objects(answer):
        for claim in claims:
            if "ids" in claim:
                text = _CANDIDATE_PREFIX.sub("", claim["statement"]).split(" | ", 1)[0]
                claim["statement"] = text.strip() or claim["statement"]


def _cite(answer: JSON, messages: JSON) -> None:
    """Point the TL;DR sentences at the claims they restate."""
    if not isinstance(answer, dict) or not isinstance(answer.get("tldr"), list):
        return
    sentences: list[dict[str, Any]] = []
    for section, claims in _claim_objects(answer):
        if claims and len(sentences) < 2:
            sentences.append(
                {"text": claims[0]["statement"], "claim_ids": [f"{_prefix(section, claims[0])}1"]}
            )
    if not sentences:  # a TL;DR-only re-ask: cite the first claim it lists
        listed = _LISTED_CLAIM.findall(_last_user_text(messages))
        sentences = [{"text": text, "claim_ids": [cid]} for cid, text in listed[:1]]
    answer["tldr"] = sentences


def _last_user_text(messages: JSON) -> str:
    if not isinstance(messages, list):
        return ""
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
            return str(m["content"])
    return ""


def _absent(candidates: tuple[str, ...], document: str) -> str:
    low = document.lower()
    return next((c for c in candidates if c.lower() not in low), "Interleukin-99")


def _new_number(old: str, document: str) -> str:
    candidates = [old[::-1], str(int(float(old)) + 17), str(int(float(old)) * 3 + 11)]
    if "." in old:
        whole, frac = old.split(".", 1)
        candidates.insert(0, f"{frac}.{whole}" if frac.lstrip("0") else f"{int(whole) + 13}.{frac}")
    for c in candidates:
        if (
            c != old
            and (c.startswith("0.") or not c.startswith("0"))  # "10" -> "01" reads as 1
            and not re.search(rf"(?<![\d.]){re.escape(c)}(?![\d.])", document)
        ):
            return c
    return str(int(float(old)) + 9137)


def _alter(statement: str, fault: str, document: str) -> tuple[str, str | None] | None:
    """(altered statement, invented token) or None when the fault does not apply."""
    if fault == INVENTED_ENTITY:
        new = _absent(_ENTITIES, document)
        m = _NAME.search(statement)
        if m is not None:
            return statement[: m.start()] + new + statement[m.end() :], new
        body = statement.rstrip(". ")
        return f"{body}, through {new} signalling.", new
    if fault == CHANGED_NUMBER:
        m = _NUMBER.search(statement) or _PLAIN_NUMBER.search(statement)
        if m is None:
            return None
        new = _new_number(m.group(1), document)
        return statement[: m.start(1)] + new + statement[m.end(1) :], new
    if fault == FLIPPED_DIRECTION:
        m = _FLIP_RE.search(statement)
        if m is None:
            return None
        return statement[: m.start()] + _FLIPS[m.group(1)] + statement[m.end() :], None
    if fault == NEGATION_REMOVED:
        m = _NEGATION_RE.search(statement)
        if m is None:
            return None
        return statement[: m.start()] + statement[m.end() :], None
    return None


def _inject(answer: JSON, fault: str, document: str) -> Injection | None:
    if fault == INVENTED_TLDR:
        tldr = answer.get("tldr") if isinstance(answer, dict) else None
        if not isinstance(tldr, list) or not tldr:
            return None
        original = " ".join(str(s.get("text", "")) for s in tldr if isinstance(s, dict))
        first = tldr[0] if isinstance(tldr[0], dict) else {}
        answer["tldr"] = [{"text": INVENTED_TLDR_TEXT, "claim_ids": first.get("claim_ids", [])}]
        return Injection(fault, original, INVENTED_TLDR_TEXT, "Interleukin-99")
    for _, claims in _claim_objects(answer):
        for claim in claims:
            altered = _alter(claim["statement"], fault, document)
            if altered is not None and altered[0] != claim["statement"]:
                original = claim["statement"]
                claim["statement"] = altered[0]
                return Injection(fault, original, altered[0], altered[1])
    return None


def finish_answer(
    answer: JSON, messages: JSON, document: str, fault: str | None
) -> tuple[JSON, Injection | None]:
    """The answer tidied and cited (see the module docstring), with ``fault`` injected."""
    _tidy_reduce(answer)
    _cite(answer, messages)
    injection = _inject(answer, fault, document) if fault in FAITHFULNESS_FAULTS else None
    if injection is not None:
        reask = isinstance(messages, list) and any(
            isinstance(m, dict) and m.get("role") == "assistant" for m in messages
        )
        injection = replace(injection, step=_step(answer), reask=reask)
    return answer, injection


def _step(answer: JSON) -> str:
    if not isinstance(answer, dict):
        return "summary"
    if "claims" in answer:
        return "map"
    claims = [c for _, objects in _claim_objects(answer) for c in objects]
    if any("ids" in c for c in claims):
        return "reduce"
    return "summary" if claims or len(answer) > 1 else "tldr"
