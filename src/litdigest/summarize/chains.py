"""Summarization chains (LangChain runnables): one call for short documents, map-reduce for
long ones. Every quote in the output is grounded in the document's cleaned text.

* **Single call** (document ≤ ``single_call_max_tokens``): the ``summarize`` prompt returns a
  ``ModelSummary``; each field is grounded (``ground_claims``); claims with unverified quotes
  are re-asked once with ``GroundingResult.feedback()``; what still fails is dropped and
  reported in ``warnings``.
* **Map-reduce** (longer documents): each chunk is **mapped** concurrently (bounded by the
  call context's limiter) to ``MapOutput`` claims with a section, quotes, an evidence kind and
  a relevance score; quotes are grounded with a hint at the chunk start (re-asked once like
  above). A truncated map reply splits its chunk in two at a sentence boundary and maps
  each half. Mapped claims are merged and deduplicated (same quote span, or near-identical
  statements) and ranked by relevance. The **reduce** prompt sees the ranked candidates
  packed into ``reduce_budget_tokens`` (most relevant first, counted with ``count_tokens``,
  so it can never overflow the context however long the document), selects and merges them
  by index and writes the tldr. It cannot add quotes: quotes come from the mapped claims and
  are re-grounded anyway.

The result is a ``DocumentSummary`` that passes ``verify_summary`` (checked before returning).
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableBranch, RunnableLambda
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from litdigest.chunk.chunker import Chunker, sentence_spans
from litdigest.chunk.tokens import count_tokens
from litdigest.config import ChunkSettings
from litdigest.errors import BackendError
from litdigest.llm.caller import (
    Answer,
    ChatCaller,
    InvalidOutput,
    OutputError,
    RefusedOutput,
    TruncatedOutput,
    UsageMeter,
)
from litdigest.llm.limits import map_chunk_tokens, output_tokens, single_call_tokens
from litdigest.llm.prompts import Prompt, combine_versions, fence
from litdigest.summarize.faithful import (
    SupportGate,
    TldrGrounding,
    TldrOutput,
    compose_cited_tldr,
    model_tldr_text,
    spans_of_claims,
    spans_of_model_claims,
    tldr_feedback,
)
from litdigest.summarize.grounding import (
    GroundingIndex,
    GroundingResult,
    Located,
    ground_claims,
    verify_summary,
)
from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    DocumentSummary,
    EvidenceKind,
    LenientEvidenceKind,
    LenientSection,
    ModelClaim,
    ModelEvidenceClaim,
    ModelSummary,
    ModelTldrSentence,
    Quote,
    Section,
    SupportLog,
    TldrCitation,
    _Lenient,
    coerce_section,
)
from litdigest.summarize.schema import _tldr_sentences as _lenient_tldr

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.documents import Chunk, Document
    from litdigest.summarize.backends.base import CallContext

__all__ = [
    "Candidate",
    "MapClaim",
    "MapOutput",
    "NoVerifiedClaims",
    "ReduceClaim",
    "ReduceOutput",
    "SummaryChain",
    "dedupe_candidates",
    "pack_candidates",
]

T = TypeVar("T", bound=BaseModel)

MAX_SPLIT_DEPTH: Final = 3  # a truncated map reply splits its chunk at most this often
MAX_QUOTES_PER_CLAIM: Final = 4
_SIMILAR_STATEMENTS: Final = 0.9
_REDUCE_STATEMENT_CHARS: Final = 300
_REDUCE_QUOTE_CHARS: Final = 240
_PUNCT_RE: Final = re.compile(r"[^\w\s]")

# --------------------------------------------------------------------------------------------
# Model-facing schemas of the map and reduce steps (OpenAI strict-compatible)
# --------------------------------------------------------------------------------------------


class _Strict(_Lenient):
    """Model-facing: lenient validation with warnings (``schema._Lenient``)."""


class MapClaim(_Strict):
    """A claim made in this part of the article, with verbatim supporting quotes."""

    section: LenientSection = Field(
        description="mechanism, evidence or therapeutic_implication: where the claim belongs."
    )
    statement: str = Field(description="The claim, stated concisely in your own words.")
    quotes: list[str] = Field(
        description=(
            "Passages copied verbatim, character for character, from the text that directly "
            "support the statement; each one contiguous passage of at least one clause."
        )
    )
    evidence_kind: LenientEvidenceKind = Field(
        description="Kind of study behind an evidence claim; 'unspecified' otherwise."
    )
    relevance: float = Field(
        description="0 to 1: how central the claim is to the article's message."
    )

    @field_validator("relevance", mode="before")
    @classmethod
    def _relevance(cls, value: object, info: ValidationInfo) -> object:
        return 0.5 if value is None or value == "" else value


class MapOutput(_Strict):
    """Claims extracted from one part of a long article."""

    claims: list[MapClaim] = Field(description="The part's claims (may be empty).")

    @field_validator("claims", mode="before")
    @classmethod
    def _known_sections(cls, value: object, info: ValidationInfo) -> object:
        """A claim whose section is not one of ours is dropped (that claim only)."""
        if not isinstance(value, list):
            return value
        kept = [
            c
            for c in value
            if not isinstance(c, dict) or coerce_section(c.get("section")) in SECTIONS
        ]
        if len(kept) < len(value) and isinstance(info.context, dict):
            sink = info.context.get("warnings")
            if isinstance(sink, list):
                sink.append(f"dropped {len(value) - len(kept)} claim(s) with an unknown section")
        return kept


class ReduceClaim(_Strict):
    """One claim of the final summary, made of one or more candidates."""

    ids: list[int] = Field(description="Indexes of the candidates this claim is made of.")
    statement: str = Field(description="The claim in your own words, faithful to the candidates.")


class ReduceOutput(_Strict):
    """Final summary assembled from candidate claims, by index."""

    mechanism: list[ReduceClaim] = Field(description="Mechanism claims (may be empty).")
    evidence: list[ReduceClaim] = Field(description="Evidence claims (may be empty).")
    therapeutic_implication: list[ReduceClaim] = Field(
        description="Therapeutic-implication claims (may be empty)."
    )
    tldr: list[ModelTldrSentence] = Field(
        description="One or two sentences summarising the article, each citing the ids of "
        "the claims above it summarizes (M1: first mechanism claim, E2: second evidence "
        "claim, T1: first therapeutic-implication claim)."
    )

    _lenient_tldr = field_validator("tldr", mode="before")(_lenient_tldr)


class NoVerifiedClaims(BackendError):
    """The model answered, but not one claim could be verified against the text."""


# --------------------------------------------------------------------------------------------
# Candidates (grounded mapped claims)
# --------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """A grounded claim from the map step."""

    section: Section
    claim: Claim
    relevance: float

    @property
    def position(self) -> int:
        return min(q.start for q in self.claim.quotes)


@functools.lru_cache(maxsize=4096)
def _norm_statement(text: str) -> str:
    return " ".join(_PUNCT_RE.sub(" ", text.casefold()).split())


def _similar(a: str, b: str, threshold: float = _SIMILAR_STATEMENTS) -> bool:
    na, nb = _norm_statement(a), _norm_statement(b)
    if na == nb:
        return True
    if not na or not nb:
        return False
    matcher = difflib.SequenceMatcher(None, na, nb)
    # real_quick_ratio() >= quick_ratio() >= ratio(): cheap upper bounds rule most pairs out
    return (
        matcher.real_quick_ratio() >= threshold
        and matcher.quick_ratio() >= threshold
        and matcher.ratio() >= threshold
    )


def _spans_overlap(a: Claim, b: Claim) -> bool:
    """Some quote of ``a`` has the same span as, or contains or is inside, one of ``b``."""
    for qa in a.quotes:
        for qb in b.quotes:
            if (qa.start <= qb.start and qb.end <= qa.end) or (
                qb.start <= qa.start and qa.end <= qb.end
            ):
                return True
    return False


def _merge_quotes(a: list[Quote], b: list[Quote]) -> list[Quote]:
    out = list(a)
    for q in b:
        if all((q.start, q.end) != (p.start, p.end) for p in out):
            out.append(q)
    return out[:MAX_QUOTES_PER_CLAIM]


def dedupe_candidates(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Merge candidates of one section that share a quote span or say the same thing; rank
    the result by relevance (then position in the document)."""
    ranked = sorted(candidates, key=lambda c: (-c.relevance, c.position))
    kept: list[Candidate] = []
    for cand in ranked:
        for k in kept:
            if k.section == cand.section and (
                _spans_overlap(k.claim, cand.claim)
                or _similar(k.claim.statement, cand.claim.statement)
            ):
                k.claim = k.claim.model_copy(
                    update={"quotes": _merge_quotes(k.claim.quotes, cand.claim.quotes)}
                )
                k.relevance = max(k.relevance, cand.relevance)
                break
        else:
            kept.append(Candidate(cand.section, cand.claim, cand.relevance))
    return sorted(kept, key=lambda c: (-c.relevance, c.position))


def _candidate_line(i: int, cand: Candidate) -> str:
    statement = " ".join(cand.claim.statement.split())[:_REDUCE_STATEMENT_CHARS]
    quote = " ".join(cand.claim.quotes[0].text.split())[:_REDUCE_QUOTE_CHARS]
    return f"[{i}] {cand.section} ({cand.relevance:.2f}) {statement} | {quote}"


def pack_candidates(
    ranked: Sequence[Candidate], budget_tokens: int, encoding: str
) -> tuple[list[Candidate], str]:
    """The longest prefix of ``ranked`` whose rendered lines fit in ``budget_tokens`` (after
    fence neutralisation), and that rendering."""
    lines: list[str] = []
    total = 0
    for i, cand in enumerate(ranked):
        line = fence(_candidate_line(i, cand))
        cost = count_tokens(line + "\n", encoding)
        if total + cost > budget_tokens:
            break
        lines.append(line)
        total += cost
    text = "\n".join(lines)
    while lines and count_tokens(text, encoding) > budget_tokens:  # BPE across joins: be exact
        lines.pop()
        text = "\n".join(lines)
    return list(ranked[: len(lines)]), text


# --------------------------------------------------------------------------------------------
# The chain
# --------------------------------------------------------------------------------------------


@dataclass
class _Job:
    doc: Document
    chunks: list[Chunk]
    ctx: CallContext
    index: GroundingIndex
    short: bool
    meter: UsageMeter = field(default_factory=UsageMeter)
    warnings: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    support: SupportLog = field(default_factory=SupportLog)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass
class _Draft:
    tldr: str
    sections: dict[Section, list[Claim]]
    citations: list[TldrCitation] = field(default_factory=list)


@dataclass
class _Piece:
    job: _Job
    start: int
    end: int
    part: int
    parts: int
    depth: int = 0


class _Grounded:
    """Claims of one section collected over grounding passes, with what had to be dropped."""

    def __init__(self) -> None:
        self.claims: dict[Section, list[Claim]] = {s: [] for s in SECTIONS}
        self.dropped: dict[tuple[Section, str], str] = {}
        self.quotes_removed = 0

    def add(self, section: Section, result: GroundingResult) -> None:
        for claim in result.claims:
            self._add_claim(section, claim)
        self.quotes_removed += sum(not f.claim_dropped for f in result.failures)
        for f in result.dropped:
            if not any(_similar(c.statement, f.claim.statement, 0.8) for c in self.claims[section]):
                self.dropped[(section, _norm_statement(f.claim.statement))] = (
                    f"{section}: dropped claim {_clip(f.claim.statement)!r}: {f.reason}"
                )

    def _add_claim(self, section: Section, claim: Claim) -> None:
        existing = self.claims[section]
        for i, c in enumerate(existing):
            if _spans_overlap(c, claim) or _similar(c.statement, claim.statement):
                existing[i] = c.model_copy(update={"quotes": _merge_quotes(c.quotes, claim.quotes)})
                break
        else:
            existing.append(claim)
        for key in [k for k in self.dropped if k[0] == section]:
            if _similar(key[1], claim.statement, 0.8):
                del self.dropped[key]

    def warnings(self) -> list[str]:
        out = list(self.dropped.values())
        if self.quotes_removed:
            out.append(f"{self.quotes_removed} unverified quote(s) removed from kept claims")
        return out


def _clip(text: str, n: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _reask_message(results: dict[Section, GroundingResult], gate: SupportGate) -> str:
    """One re-ask for unverified quotes and unsupported statements together."""
    parts = [f"Section {s}:\n{r.feedback()}" for s, r in results.items() if not r.ok]
    support = gate.feedback()
    if support:
        parts.append(support)
    return (
        "\n\n".join(parts)
        + "\n\nReply with the same JSON structure containing only corrected versions of the "
        "claims listed above, in their sections, with every quote copied verbatim from the "
        "article and every statement faithful to its quotes. Leave out any claim you cannot "
        "support with a verbatim quote."
    )


def _supported_reduce_claim(
    gate: SupportGate, section: Section, claim: Claim, cands: list[Candidate]
) -> Claim | None:
    """A reduce claim whose merged statement its quotes do not support takes the statement of
    one of its (checked) candidates instead; if none fits, the gate drops or flags it."""
    kept = gate.screen_claims(section, [claim])
    if kept:
        return kept[0]
    for cand in cands:
        alt = claim.model_copy(update={"statement": cand.claim.statement})
        restated = gate.restate(section, claim, alt)
        if restated is not None:
            return restated
    return None


def _model_claim(claim: MapClaim) -> ModelClaim:
    if claim.section == "evidence":
        return ModelEvidenceClaim(
            statement=claim.statement, quotes=claim.quotes, evidence_kind=claim.evidence_kind
        )
    return ModelClaim(statement=claim.statement, quotes=claim.quotes)


class SummaryChain:
    """Summarize one document through a ``ChatCaller`` (see the module docstring)."""

    def __init__(
        self,
        caller: ChatCaller,
        *,
        summarize: Prompt,
        map_prompt: Prompt,
        reduce: Prompt,
        settings: Settings,
        backend: str = "openai",
    ) -> None:
        self.caller = caller
        self.prompts = {"summarize": summarize, "map": map_prompt, "reduce": reduce}
        self.settings = settings
        self.backend = backend
        self.encoding = settings.chunk.encoding
        self.max_claims = settings.summarize.max_claims_per_field
        self.single_limit = single_call_tokens(settings)
        self.map_tokens = map_chunk_tokens(settings)
        self.max_tokens = {
            "summarize": output_tokens(3 * self.max_claims, settings=settings),
            "map": output_tokens(2 * self.max_claims, settings=settings),
            "reduce": output_tokens(3 * self.max_claims, reduced=True, settings=settings),
        }
        self.single: Runnable[_Job, _Draft] = RunnableLambda(self._single_call)
        self.map_reduce: Runnable[_Job, _Draft] = RunnableLambda(self._map_reduce)
        self.mapper: Runnable[_Piece, list[Candidate]] = RunnableLambda(self._map_piece)
        self.pipeline: Runnable[_Job, _Draft] = RunnableBranch(
            (lambda job: job.short, self.single), self.map_reduce
        )

    async def summarize(
        self, doc: Document, chunks: Sequence[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        """The grounded summary of ``doc``; ``BackendError`` when no claim could be verified.

        The replies used are cached only once the outcome is known: a document that ends
        with no verified claim caches nothing, so a rerun asks the server again.
        """
        limit = self.single_limit
        # A token is at least one byte: a text of at most `limit` UTF-8 bytes needs no count.
        short = (len(doc.text) <= limit and len(doc.text.encode("utf-8")) <= limit) or count_tokens(
            doc.text, self.encoding
        ) <= limit
        job = _Job(
            doc=doc,
            chunks=list(chunks),
            ctx=ctx,
            index=GroundingIndex(doc.text),
            short=short,
        )
        try:
            summary = await self._summarize_job(job)
        except NoVerifiedClaims:
            job.meter.pending.clear()
            raise
        finally:
            job.meter.commit(ctx.store)
        return summary

    async def _summarize_job(self, job: _Job) -> DocumentSummary:
        doc = job.doc
        # Same branch as `self.pipeline`, without a runnable-config round per document.
        draft = await (self._single_call(job) if job.short else self._map_reduce(job))
        if not any(draft.sections[s] for s in SECTIONS):
            reasons = "; ".join(_clip(w, 120) for w in job.warnings[:2])
            raise NoVerifiedClaims(
                "no claim with a verifiable quote" + (f" ({reasons})" if reasons else ""),
                retryable=False,
            )
        tldr = draft.tldr.strip()
        if not tldr:
            job.warn("the model wrote no tldr; it is made of the first claims")
            first = [c.statement.strip() for s in SECTIONS for c in draft.sections[s]][:2]
            tldr = " ".join(first)
        if job.meter.unpriced:
            job.warn(f"no known price for model {self.caller.model!r}; cost recorded as 0")
        if job.meter.usage.estimated:
            job.warn("the server sent no token usage; tokens estimated with tiktoken")
        summary = DocumentSummary(
            doc_id=doc.doc_id,
            source=doc.source,
            metadata=doc.metadata,
            tldr=tldr,
            mechanism=draft.sections["mechanism"],
            evidence=draft.sections["evidence"],
            therapeutic_implication=draft.sections["therapeutic_implication"],
            backend=self.backend,
            model=self.caller.model,
            prompt_version=combine_versions(*dict.fromkeys(job.versions)),
            usage=job.meter.usage,
            warnings=job.warnings,
            tldr_citations=draft.citations,
            support_log=job.support if self.settings.support.enabled else None,
        )
        problems = verify_summary(summary, doc.text)
        if problems:  # never expected: every quote is a slice of the text
            raise BackendError(f"summary failed verification: {problems[0]}")
        return summary

    # ---- single call -----------------------------------------------------------------------

    async def _single_call(self, job: _Job) -> _Draft:
        prompt = self.prompts["summarize"]
        job.versions.append(prompt.version)
        system, user = prompt.render(max_claims=self.max_claims, document=fence(job.doc.text))
        messages: list[BaseMessage] = [SystemMessage(content=system), HumanMessage(content=user)]
        try:
            answer = await self._ask(job, messages, ModelSummary, prompt.version)
        except TruncatedOutput:
            job.warn("the one-call summary was truncated; summarized the document in two halves")
            halves = _halves(job.doc.text, 0, len(job.doc.text))
            if halves is None:
                raise BackendError(
                    "the summary was truncated and the document cannot be split further",
                    retryable=False,
                ) from None
            return await self._map_reduce_pieces(job, halves)
        except (InvalidOutput, RefusedOutput) as exc:
            raise BackendError(exc.message, retryable=False) from None
        grounded = _Grounded()
        gate = SupportGate(self.settings.support, job.support)
        results = self._ground_summary(job, answer.value)
        for section, result in results.items():
            await asyncio.sleep(0)  # let other requests' replies in between the checks
            grounded.add(section, gate.screen(section, result))
        await asyncio.sleep(0)
        quotes_failed = any(not r.ok for r in results.values())
        if (quotes_failed or gate.pending) and self.settings.summarize.reask_attempts:
            message = _reask_message(results, gate)
            gate.mark_reasked()
            try:
                again = await self._ask(job, answer.followup(message), ModelSummary, prompt.version)
            except OutputError as exc:
                job.warn(f"re-asking for verbatim quotes failed: {exc.message}")
            else:
                for section, result in self._ground_summary(job, again.value).items():
                    grounded.add(section, gate.screen(section, result))
        for w in grounded.warnings():
            job.warn(w)
        sections = {s: grounded.claims[s][: self.max_claims] for s in SECTIONS}
        sections = gate.settle(sections, job.warn, self.max_claims)
        value = answer.value
        claims: dict[Section, list[ModelClaim]] = {s: getattr(value, s) for s in SECTIONS}
        spans_of, every = spans_of_model_claims(claims, job.index)
        # uncited sentences, or cited claims without a verified quote: every verified quote
        grounding = TldrGrounding(job.doc.text, spans_of, every + spans_of_claims(sections)[1])
        return await self._grounded_tldr(job, answer, value.tldr, grounding, sections, prompt)

    async def _grounded_tldr(
        self,
        job: _Job,
        answer: Answer[Any],
        sentences: list[ModelTldrSentence],
        grounding: TldrGrounding,
        sections: dict[Section, list[Claim]],
        prompt: Prompt,
    ) -> _Draft:
        """The reply's TL;DR if its cited quotes support it; else re-asked once; else composed
        from the top claims, with a warning (see ``faithful``)."""
        if not self.settings.support.enabled or not sentences:  # none: summarize() composes
            return _Draft(model_tldr_text(sentences), sections)
        check = grounding.check(sentences)
        if sentences and check.ok:
            return _Draft(
                model_tldr_text(sentences), sections, grounding.citations(sentences, sections)
            )
        if sentences and self.settings.summarize.reask_attempts and any(sections.values()):
            job.support.tldr_reasked += 1
            message = tldr_feedback(check, sections)
            try:
                again = await self._ask(job, answer.followup(message), TldrOutput, prompt.version)
            except OutputError as exc:
                job.warn(f"re-asking for a grounded tldr failed: {exc.message}")
            else:
                final = TldrGrounding(job.doc.text, *spans_of_claims(sections))
                new = again.value.tldr
                if new and final.check(new).ok:
                    return _Draft(model_tldr_text(new), sections, final.citations(new, sections))
        text, citations = compose_cited_tldr(sections)
        if sentences:
            job.support.tldr_composed += 1
            missing = ", ".join(repr(t) for t in check.terms[:6])
            job.warn(
                f"the tldr was not supported by the quotes it cites ({missing}); "
                "composed it from the top claims"
            )
        return _Draft(text, sections, citations)

    def _ground_summary(self, job: _Job, value: ModelSummary) -> dict[Section, GroundingResult]:
        return {
            "mechanism": ground_claims(value.mechanism, job.index),
            "evidence": ground_claims(value.evidence, job.index),
            "therapeutic_implication": ground_claims(value.therapeutic_implication, job.index),
        }

    async def _ask(
        self,
        job: _Job,
        messages: list[BaseMessage],
        output: type[T],
        version: str,
        step: str = "summarize",
        where: str = "",
    ) -> Answer[T]:
        answer = await self.caller.ask(
            messages,
            output,
            prompt_version=version,
            ctx=job.ctx,
            meter=job.meter,
            doc_id=job.doc.doc_id,
            max_tokens=self.max_tokens.get(step),
        )
        for w in answer.warnings:
            job.warn(f"{where}: {w}" if where else w)
        return answer

    # ---- map-reduce ------------------------------------------------------------------------

    async def _map_reduce(self, job: _Job) -> _Draft:
        spans = [(c.start, c.end) for c in job.chunks]
        chunk = self.settings.chunk
        if self.map_tokens != chunk.max_tokens or not spans:
            # map chunks sized from the context window, not the stored (retrieval) chunks
            overlap = min(chunk.overlap_tokens, self.map_tokens // 10)
            sized = ChunkSettings(
                encoding=chunk.encoding, max_tokens=self.map_tokens, overlap_tokens=overlap
            )
            spans = [(s, e) for s, e, _ in Chunker(sized).split(job.doc.text)]
        return await self._map_reduce_pieces(job, spans)

    async def _map_reduce_pieces(self, job: _Job, spans: Sequence[tuple[int, int]]) -> _Draft:
        map_prompt, reduce_prompt = self.prompts["map"], self.prompts["reduce"]
        job.versions.extend([map_prompt.version, reduce_prompt.version])
        pieces = [_Piece(job, s, e, i + 1, len(spans)) for i, (s, e) in enumerate(spans)]
        results = await self.mapper.abatch(pieces, return_exceptions=True)
        candidates: list[Candidate] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            candidates.extend(result)
        ranked = dedupe_candidates(candidates)
        return await self._reduce(job, ranked)

    async def _map_piece(self, piece: _Piece) -> list[Candidate]:
        job, prompt = piece.job, self.prompts["map"]
        text = job.doc.text[piece.start : piece.end]
        system, user = prompt.render(
            max_claims=2 * self.max_claims,
            part=piece.part,
            parts=piece.parts,
            document=fence(text),
        )
        messages: list[BaseMessage] = [SystemMessage(content=system), HumanMessage(content=user)]
        where = f"part {piece.part} of {piece.parts}"
        try:
            answer = await self._ask(job, messages, MapOutput, prompt.version, "map", where)
        except TruncatedOutput:
            halves = _halves(job.doc.text, piece.start, piece.end)
            if halves is None or piece.depth >= MAX_SPLIT_DEPTH:
                job.warn(f"{where}: the reply was truncated and the part cannot be split; skipped")
                return []
            subs = [_Piece(job, s, e, piece.part, piece.parts, piece.depth + 1) for s, e in halves]
            split = await asyncio.gather(*(self._map_piece(p) for p in subs))
            return [c for r in split for c in r]
        except (InvalidOutput, RefusedOutput) as exc:
            job.warn(f"{where}: skipped: {exc.message}")
            return []
        grounded = _Grounded()
        gate = SupportGate(self.settings.support, job.support)
        relevance: dict[tuple[Section, int, int], float] = {}
        results = self._ground_map(job, answer.value, piece.start, relevance)
        for section, result in results.items():
            grounded.add(section, gate.screen(section, result))
        quotes_failed = any(not r.ok for r in results.values())
        if (quotes_failed or gate.pending) and self.settings.summarize.reask_attempts:
            message = _reask_message(results, gate)
            gate.mark_reasked()
            try:
                again = await self._ask(
                    job, answer.followup(message), MapOutput, prompt.version, "map", where
                )
            except OutputError as exc:
                job.warn(f"{where}: re-asking for verbatim quotes failed: {exc.message}")
            else:
                for section, result in self._ground_map(
                    job, again.value, piece.start, relevance
                ).items():
                    grounded.add(section, gate.screen(section, result))
        for w in grounded.warnings():
            job.warn(f"{where}: {w}")
        settled = gate.settle(
            grounded.claims, lambda m: job.warn(f"{where}: {m}"), 2 * self.max_claims
        )
        out: list[Candidate] = []
        for section in SECTIONS:
            for claim in settled[section]:
                score = max(
                    (relevance.get((section, q.start, q.end), 0.0) for q in claim.quotes),
                    default=0.0,
                )
                out.append(Candidate(section, claim, score))
        return out

    @staticmethod
    def _ground_map(
        job: _Job,
        value: MapOutput,
        hint: int,
        relevance: dict[tuple[Section, int, int], float],
    ) -> dict[Section, GroundingResult]:
        """Ground mapped claims per section; remember each grounded quote's relevance."""
        out: dict[Section, GroundingResult] = {s: GroundingResult() for s in SECTIONS}
        for section in SECTIONS:
            claims = [c for c in value.claims if c.section == section]
            result = ground_claims([_model_claim(c) for c in claims], job.index, hint=hint)
            out[section] = result
        # relevance of a grounded claim: matched by its quotes' spans (claims may be dropped)
        for claim in value.claims:
            score = min(1.0, max(0.0, claim.relevance))
            for quote in claim.quotes:
                found = job.index.search(quote, hint=hint)
                if isinstance(found, Located):
                    key = (claim.section, found.start, found.end)
                    relevance[key] = max(relevance.get(key, 0.0), score)
        return out

    async def _reduce(self, job: _Job, ranked: list[Candidate]) -> _Draft:
        prompt = self.prompts["reduce"]
        if not ranked:
            job.warn("no claim with a verifiable quote was found")
            return _Draft(tldr="", sections={s: [] for s in SECTIONS})
        packed, block = pack_candidates(
            ranked, self.settings.summarize.reduce_budget_tokens, self.encoding
        )
        if len(packed) < len(ranked):
            job.warn(
                f"reduce input limited to the {len(packed)} most relevant of {len(ranked)} "
                "candidate claims"
            )
        system, user = prompt.render(
            max_claims=self.max_claims, count=len(packed), total=len(ranked), document=block
        )
        messages: list[BaseMessage] = [SystemMessage(content=system), HumanMessage(content=user)]
        try:
            answer = await self._ask(job, messages, ReduceOutput, prompt.version, "reduce")
        except OutputError as exc:
            job.warn(f"reduce step failed ({exc.message}); kept the most relevant claims")
            return self._fallback(job, packed or ranked)
        gate = SupportGate(self.settings.support, job.support)
        draft = self._assemble(job, answer.value, packed, gate)
        sections = gate.settle(draft.sections, job.warn, self.max_claims)
        grounding = TldrGrounding(job.doc.text, *spans_of_claims(sections))
        return await self._grounded_tldr(
            job, answer, answer.value.tldr, grounding, sections, prompt
        )

    def _assemble(
        self,
        job: _Job,
        value: ReduceOutput,
        packed: list[Candidate],
        gate: SupportGate | None = None,
    ) -> _Draft:
        sections: dict[Section, list[Claim]] = {s: [] for s in SECTIONS}
        invalid = 0
        for section in SECTIONS:
            used: set[int] = set()
            for rc in getattr(value, section):
                ids = []
                for i in rc.ids:
                    if 0 <= i < len(packed) and packed[i].section == section and i not in used:
                        ids.append(i)
                        used.add(i)
                    else:
                        invalid += 1
                if not ids:
                    continue
                cands = [packed[i] for i in ids]
                claim = self._regrounded(job, section, rc.statement, cands)
                if claim is not None and gate is not None:
                    claim = _supported_reduce_claim(gate, section, claim, cands)
                if claim is not None:
                    sections[section].append(claim)
                if len(sections[section]) >= self.max_claims:
                    break
            if not sections[section]:  # nothing valid selected: the best mapped claims
                for cand in [c for c in packed if c.section == section][: self.max_claims]:
                    claim = self._regrounded(job, section, cand.claim.statement, [cand])
                    if claim is not None:
                        sections[section].append(claim)
        if invalid:
            job.warn(f"reduce step referred to {invalid} unknown or misplaced candidate(s)")
        tldr = model_tldr_text(value.tldr) or " ".join(c.claim.statement for c in packed[:2])
        return _Draft(tldr=tldr, sections=sections)

    def _fallback(self, job: _Job, ranked: list[Candidate]) -> _Draft:
        sections: dict[Section, list[Claim]] = {s: [] for s in SECTIONS}
        for section in SECTIONS:
            for cand in [c for c in ranked if c.section == section][: self.max_claims]:
                claim = self._regrounded(job, section, cand.claim.statement, [cand])
                if claim is not None:
                    sections[section].append(claim)
        tldr, citations = compose_cited_tldr(sections)
        return _Draft(tldr=tldr, sections=sections, citations=citations)

    @staticmethod
    def _regrounded(
        job: _Job, section: Section, statement: str, cands: list[Candidate]
    ) -> Claim | None:
        """A claim from candidates: their quotes, located again in the text."""
        quotes: list[Quote] = []
        for cand in cands:
            for q in cand.claim.quotes:
                found = job.index.search(q.text, hint=q.start)
                if isinstance(found, Located):
                    located = Quote(
                        text=job.doc.text[found.start : found.end],
                        start=found.start,
                        end=found.end,
                    )
                    quotes = _merge_quotes(quotes, [located])
        if not quotes:
            return None
        kind: EvidenceKind | None = None
        if section == "evidence":
            kind = next(
                (c.claim.evidence_kind for c in cands if c.claim.evidence_kind is not None),
                EvidenceKind.UNSPECIFIED,
            )
        text = statement.strip() or cands[0].claim.statement
        return Claim(statement=text, quotes=quotes, evidence_kind=kind)


def _halves(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """``text[start:end]`` split in two at the sentence boundary nearest its middle."""
    spans = list(sentence_spans(text, start, end))
    if len(spans) < 2:
        return None
    middle = (start + end) // 2
    cut = min(range(1, len(spans)), key=lambda i: abs(spans[i][0] - middle))
    return [(spans[0][0], spans[cut - 1][1]), (spans[cut][0], spans[-1][1])]
