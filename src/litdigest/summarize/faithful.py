"""Faithful beyond the quote: the chains' side of the support check (``support.py``).

* ``SupportGate`` screens grounded claims: supported ones are marked ``support="supported"``;
  failing ones are remembered, named in the re-ask (``feedback``), and, if the re-ask does
  not bring a supported version, dropped or kept as ``"unverified"`` (``settle``) with a
  warning. Every step is counted in the summary's ``SupportLog``.
* The TL;DR cites claim ids (``M1``, ``E2``, ``T1``). ``TldrGrounding`` checks that every
  number and salient name of each sentence is in the verified quotes of the claims it cites,
  words the TL;DR re-ask, and composes a TL;DR from the top claims when the re-ask fails too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from pydantic import Field

from litdigest.summarize.grounding import GroundingIndex, GroundingResult, Located
from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    ModelClaim,
    ModelTldrSentence,
    Section,
    SupportLog,
    TldrCitation,
    _Lenient,
)
from litdigest.summarize.support import (
    SupportResult,
    TldrCheck,
    check_support,
    check_tldr,
    compose_cited_tldr,
)

if TYPE_CHECKING:
    from litdigest.config import SupportSettings

__all__ = [
    "SupportGate",
    "TldrGrounding",
    "TldrOutput",
    "claim_id",
    "compose_cited_tldr",
    "parse_claim_id",
]

_PREFIX: Final[dict[Section, str]] = {
    "mechanism": "M",
    "evidence": "E",
    "therapeutic_implication": "T",
}
_SECTION_OF: Final = {v: k for k, v in _PREFIX.items()}
_ID_RE: Final = re.compile(r"^\W*([MET])\w*?\W*(\d+)\W*$", re.I)
_CLIP: Final = 80


def claim_id(section: Section, index: int) -> str:
    """'M1' for the first mechanism claim, 'E2' for the second evidence claim..."""
    return f"{_PREFIX[section]}{index + 1}"


def parse_claim_id(text: str) -> tuple[Section, int] | None:
    m = _ID_RE.match(text.strip())
    if m is None or int(m.group(2)) < 1:
        return None
    return _SECTION_OF[m.group(1).upper()], int(m.group(2)) - 1


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _CLIP else flat[: _CLIP - 1] + "…"


def _overlap(a: Claim, b: Claim) -> bool:
    return any(qa.start < qb.end and qb.start < qa.end for qa in a.quotes for qb in b.quotes)


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


@dataclass
class _Failure:
    section: Section
    claim: Claim
    result: SupportResult
    reasked: bool = False


@dataclass
class SupportGate:
    """Screens claims of one chain step (see the module docstring)."""

    settings: SupportSettings
    log: SupportLog
    failures: dict[tuple[Section, tuple[tuple[int, int], ...]], _Failure] = field(
        default_factory=dict
    )

    def screen(self, section: Section, result: GroundingResult) -> GroundingResult:
        """``result`` with only its supported claims (marked so); the others remembered."""
        return GroundingResult(
            claims=self.screen_claims(section, result.claims), failures=result.failures
        )

    def screen_claims(self, section: Section, claims: Sequence[Claim]) -> list[Claim]:
        if not self.settings.enabled:
            return list(claims)
        kept: list[Claim] = []
        for claim in claims:
            self.log.checked += 1
            result = check_support(claim.statement, [q.text for q in claim.quotes])
            if result.ok:
                kept.append(claim.model_copy(update={"support": "supported"}))
                continue
            key = (section, tuple((q.start, q.end) for q in claim.quotes))
            old = self.failures.get(key)
            if old is None:
                self.log.unsupported += 1
                self.failures[key] = _Failure(section, claim, result)
            else:
                old.claim, old.result = claim, result
        return kept

    @property
    def pending(self) -> list[_Failure]:
        return [f for f in self.failures.values() if not f.reasked]

    def feedback(self) -> str:
        """The pending failures, as a message for re-asking the model (empty if none)."""
        pending = self.pending
        if not pending:
            return ""
        lines = [
            "Some statements say more than, or the opposite of, their quotes:",
            *(
                f"- {f.section}: {_clip(f.claim.statement)!r}: {f.result.describe()}"
                for f in pending
            ),
            "Restate each of these claims so that every number (with its unit, sign and "
            "comparison), every gene, protein, cell, drug or pathway name, every negation and "
            "every direction (increase/decrease, better/worse...) is exactly what its quotes "
            "say; leave a claim out if its quotes do not support it.",
        ]
        return "\n".join(lines)

    def restate(self, section: Section, failed: Claim, alt: Claim) -> Claim | None:
        """``alt`` (same quotes, another statement) in place of the failed ``failed``, if
        supported; the failure is then settled as restated."""
        if not check_support(alt.statement, [q.text for q in alt.quotes]).ok:
            return None
        key = (section, tuple((q.start, q.end) for q in failed.quotes))
        if self.failures.pop(key, None) is not None:
            self.log.restated += 1
        return alt.model_copy(update={"support": "supported"})

    def mark_reasked(self) -> None:
        for f in self.pending:
            f.reasked = True
            self.log.reasked += 1

    def settle(
        self,
        sections: Mapping[Section, list[Claim]],
        warn: Callable[[str], None],
        max_claims: int,
    ) -> dict[Section, list[Claim]]:
        """Final claims: failures a re-ask repaired are counted; the rest dropped or flagged."""
        out = {s: list(sections.get(s, [])) for s in SECTIONS}
        for f in self.failures.values():
            if any(_overlap(f.claim, c) for c in out[f.section]):
                self.log.repaired += 1
                continue
            what = f"{f.section}: unsupported claim {_clip(f.claim.statement)!r}"
            if self.settings.unsupported == "flag" and len(out[f.section]) < max_claims:
                update = {"support": "unverified", "unsupported_terms": f.result.terms}
                out[f.section].append(f.claim.model_copy(update=update))
                self.log.flagged += 1
                warn(f"{what} kept as unverified: {f.result.describe()}")
            else:
                self.log.dropped += 1
                warn(f"{what} dropped: {f.result.describe()}")
        self.failures.clear()
        return out


# --------------------------------------------------------------------------------------------
# TL;DR
# --------------------------------------------------------------------------------------------


class TldrOutput(_Lenient):
    """The TL;DR alone, each sentence citing the claims it summarizes."""

    tldr: list[ModelTldrSentence] = Field(
        description="One or two sentences summarising the article, each citing its claims."
    )


def _text(sentences: Sequence[ModelTldrSentence]) -> str:
    return " ".join(" ".join(s.text.split()) for s in sentences if s.text.strip())


QuotesOf = Callable[[Sequence[str]], list[tuple[Section, int, int]]]


@dataclass
class TldrGrounding:
    """Checks TL;DR sentences against the quotes of the claims they cite.

    ``spans_of(ids)`` gives the verified quote spans (section, start, end) of the cited
    claims; an empty result (no id, or no known id) falls back to every claim's quotes.
    """

    text: str
    spans_of: QuotesOf
    all_spans: list[tuple[Section, int, int]]

    def check(self, sentences: Sequence[ModelTldrSentence]) -> TldrCheck:
        pairs = []
        for s in sentences:
            spans = self.spans_of(s.claim_ids) or self.all_spans
            pairs.append((s.text, [self.text[a:b] for _, a, b in spans]))
        return check_tldr(pairs)

    def citations(
        self, sentences: Sequence[ModelTldrSentence], final: Mapping[Section, Sequence[Claim]]
    ) -> list[TldrCitation]:
        """Each sentence with the final claims whose quotes overlap its cited quotes."""
        out: list[TldrCitation] = []
        for s in sentences:
            spans = self.spans_of(s.claim_ids)
            refs = [
                f"{section}[{i}]"
                for section in SECTIONS
                for i, c in enumerate(final.get(section, []))
                if any(
                    sec == section and q.start < b and a < q.end
                    for sec, a, b in spans
                    for q in c.quotes
                )
            ]
            out.append(TldrCitation(sentence=" ".join(s.text.split()), claims=refs))
        return out


def spans_of_model_claims(
    sections: Mapping[Section, Sequence[ModelClaim]], index: GroundingIndex
) -> tuple[QuotesOf, list[tuple[Section, int, int]]]:
    """Resolver of ids over a model reply's claims (quotes located in the text)."""
    located: dict[tuple[Section, int], list[tuple[Section, int, int]]] = {}
    for section in SECTIONS:
        for i, claim in enumerate(sections.get(section, [])):
            spans = []
            for raw in claim.quotes:
                found = index.search(raw)
                if isinstance(found, Located):
                    spans.append((section, found.start, found.end))
            located[(section, i)] = spans
    return _resolver(located)


def spans_of_claims(
    sections: Mapping[Section, Sequence[Claim]],
) -> tuple[QuotesOf, list[tuple[Section, int, int]]]:
    """Resolver of ids over grounded claims (support 'unverified' ones are not citable)."""
    located = {
        (section, i): [(section, q.start, q.end) for q in c.quotes]
        for section in SECTIONS
        for i, c in enumerate(sections.get(section, []))
        if c.support != "unverified"
    }
    return _resolver(located)


def _resolver(
    located: dict[tuple[Section, int], list[tuple[Section, int, int]]],
) -> tuple[QuotesOf, list[tuple[Section, int, int]]]:
    def spans_of(ids: Sequence[str]) -> list[tuple[Section, int, int]]:
        out: list[tuple[Section, int, int]] = []
        for raw in ids:
            parsed = parse_claim_id(raw)
            if parsed is not None:
                out.extend(located.get(parsed, []))
        return out

    every = [span for spans in located.values() for span in spans]
    return spans_of, every


def tldr_feedback(check: TldrCheck, sections: Mapping[Section, Sequence[Claim]]) -> str:
    """The TL;DR re-ask: what was not in the cited quotes, and the claims to cite."""
    lines = ["The tldr states things that are not in the quotes of the claims it cites:"]
    lines += [f"- {_clip(text)!r}: {result.describe()}" for text, result in check.failures]
    lines.append(
        "Write the tldr again: one or two sentences, each citing the ids of the claims below "
        "that it summarizes, with only names and numbers that appear in those claims. Reply "
        "with a JSON object whose only field is tldr."
    )
    lines.append("Claims:")
    for section in SECTIONS:
        for i, c in enumerate(sections.get(section, [])):
            if c.support != "unverified":
                lines.append(f"[{claim_id(section, i)}] {' '.join(c.statement.split())}")
    return "\n".join(lines)


def model_tldr_text(sentences: Sequence[ModelTldrSentence]) -> str:
    return _text(sentences)
