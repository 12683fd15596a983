"""Summary schema: what we store and print, and what a model is asked to return.

Two families of models:

* **Stored** (``Quote``, ``Claim``, ``Usage``, ``DocumentSummary``): grounded summaries. Every
  quote carries character offsets into the document's cleaned text and
  ``text[quote.start:quote.end] == quote.text`` (checked by ``grounding.verify_summary``).
* **Model-facing** (``ModelClaim``, ``ModelEvidenceClaim``, ``ModelSummary``): the structured
  output an LLM returns. Quotes are plain strings without offsets; ``grounding`` locates them.
  Their JSON Schema is compatible with OpenAI strict structured outputs (see
  ``strict_json_schema``); their docstrings and field descriptions are read by the model.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from litdigest.documents import Metadata

__all__ = [
    "SECTIONS",
    "Claim",
    "DocumentSummary",
    "EvidenceKind",
    "ModelClaim",
    "ModelEvidenceClaim",
    "ModelSummary",
    "ModelTldrSentence",
    "Quote",
    "Section",
    "StrictSchemaError",
    "SupportLog",
    "SupportState",
    "TldrCitation",
    "Usage",
    "strict_json_schema",
    "strict_schema_problems",
    "summary_json_schema",
]

Section = Literal["mechanism", "evidence", "therapeutic_implication"]
SECTIONS: Final[tuple[Section, ...]] = ("mechanism", "evidence", "therapeutic_implication")
SupportState = Literal["supported", "unverified"]


class EvidenceKind(StrEnum):
    """Kind of study that supports an evidence claim."""

    IN_VITRO = "in_vitro"
    ANIMAL_MODEL = "animal_model"
    PATIENT_COHORT = "patient_cohort"
    CLINICAL_TRIAL = "clinical_trial"
    META_ANALYSIS = "meta_analysis"
    REVIEW = "review"
    UNSPECIFIED = "unspecified"


# --------------------------------------------------------------------------------------------
# Stored (grounded) summary
# --------------------------------------------------------------------------------------------


class Quote(BaseModel):
    """A verbatim passage of the cleaned text: ``cleaned_text[start:end] == text``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The passage, exactly as in the cleaned text.")
    start: int = Field(ge=0, description="Character offset of the passage in the cleaned text.")
    end: int = Field(ge=0, description="Character offset just past the passage.")

    @model_validator(mode="after")
    def _span_matches_text(self) -> Quote:
        if self.end - self.start != len(self.text):
            raise ValueError(
                f"span [{self.start}, {self.end}) has length {self.end - self.start}, "
                f"but the quote has {len(self.text)} characters"
            )
        return self


class Claim(BaseModel):
    """One claim of a summary, backed by at least one verified quote.

    ``evidence_kind`` is set for claims of the ``evidence`` section (``unspecified`` when the
    article does not say) and is ``None`` for mechanism and therapeutic-implication claims;
    ``DocumentSummary`` enforces this.
    """

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(min_length=1, description="The claim, in the summarizer's words.")
    quotes: list[Quote] = Field(
        min_length=1, description="Verbatim passages of the cleaned text supporting the claim."
    )
    evidence_kind: EvidenceKind | None = Field(
        default=None,
        description="Kind of study behind an evidence claim; null outside the evidence section.",
    )
    support: SupportState | None = Field(
        default=None,
        description="'supported': every number, name, negation and direction of the statement"
        " is in its quotes; 'unverified': kept although it is not (see unsupported_terms);"
        " null: not checked (summaries made before the check existed).",
    )
    unsupported_terms: list[str] = Field(
        default_factory=list,
        description="What the quotes do not support: missing or contradicted items.",
    )


class TldrCitation(BaseModel):
    """One TL;DR sentence and the claims it summarizes."""

    model_config = ConfigDict(extra="forbid")

    sentence: str = Field(description="The TL;DR sentence.")
    claims: list[str] = Field(
        default_factory=list, description="Cited claims as 'section[index]', e.g. 'evidence[0]'."
    )


class SupportLog(BaseModel):
    """What the support check did to one summary (counts)."""

    model_config = ConfigDict(extra="forbid")

    checked: int = Field(default=0, ge=0, description="Claim statements checked.")
    unsupported: int = Field(default=0, ge=0, description="Claims that failed a check.")
    reasked: int = Field(default=0, ge=0, description="Failed claims named in a re-ask.")
    repaired: int = Field(default=0, ge=0, description="Failed claims supported after re-ask.")
    dropped: int = Field(default=0, ge=0, description="Failed claims dropped.")
    flagged: int = Field(default=0, ge=0, description="Failed claims kept as 'unverified'.")
    restated: int = Field(
        default=0,
        ge=0,
        description="Failed reduce statements replaced by a checked candidate statement.",
    )
    tldr_reasked: int = Field(default=0, ge=0, description="TL;DR re-asks.")
    tldr_composed: int = Field(
        default=0, ge=0, description="TL;DRs composed from claims after a failed re-ask."
    )


class Usage(BaseModel):
    """Model usage and cost; add instances to total them across calls and retries."""

    model_config = ConfigDict(extra="forbid")

    calls: int = Field(default=0, ge=0, description="Number of model calls.")
    prompt_tokens: int = Field(default=0, ge=0, description="Prompt (input) tokens.")
    completion_tokens: int = Field(default=0, ge=0, description="Completion (output) tokens.")
    cost_usd: float = Field(default=0.0, ge=0, description="Estimated cost in US dollars.")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )

    def __radd__(self, other: object) -> Usage:
        """Lets ``sum(usages)`` start from ``0``."""
        if other == 0:
            return self
        return NotImplemented


class DocumentSummary(BaseModel):
    """Grounded structured summary of one cleaned document."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(
        description="Content hash of the cleaned text the quotes refer to (sha256, 16 hex digits)."
    )
    source: str = Field(description="Input file of the document, with '#n' for the n-th record.")
    metadata: Metadata = Field(
        default_factory=Metadata, description="Bibliographic metadata of the document."
    )
    tldr: str = Field(description="One- or two-sentence summary of the article.")
    mechanism: list[Claim] = Field(
        default_factory=list, description="Claims about biological mechanisms."
    )
    evidence: list[Claim] = Field(
        default_factory=list,
        description="Claims about supporting evidence, each with its evidence_kind.",
    )
    therapeutic_implication: list[Claim] = Field(
        default_factory=list, description="Claims about therapeutic implications."
    )
    backend: str = Field(description="Summarizer backend, e.g. 'openai' or 'fake'.")
    model: str = Field(description="Model name as reported by the backend.")
    prompt_version: str = Field(description="Version of the prompt that produced the summary.")
    usage: Usage = Field(default_factory=Usage, description="Model usage, totalled over retries.")
    warnings: list[str] = Field(
        default_factory=list,
        description="Non-fatal problems, e.g. claims dropped because no quote could be verified.",
    )
    tldr_citations: list[TldrCitation] = Field(
        default_factory=list, description="The TL;DR's sentences with the claims each cites."
    )
    support_log: SupportLog | None = Field(
        default=None, description="Counts of the support check (null: not checked)."
    )

    @model_validator(mode="after")
    def _evidence_kind_only_on_evidence(self) -> DocumentSummary:
        for section, i, claim in self.iter_claims():
            if section == "evidence" and claim.evidence_kind is None:
                raise ValueError(f"evidence[{i}] has no evidence_kind")
            if section != "evidence" and claim.evidence_kind is not None:
                raise ValueError(f"{section}[{i}] has an evidence_kind; only evidence claims may")
        return self

    def iter_claims(self) -> Iterator[tuple[Section, int, Claim]]:
        """(section, index within the section, claim) for every claim, in section order."""
        for section in SECTIONS:
            for i, claim in enumerate(self.section(section)):
                yield section, i, claim

    def section(self, name: Section) -> list[Claim]:
        claims: list[Claim] = getattr(self, name)
        return claims


def summary_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of ``DocumentSummary`` as serialised, e.g. for ``--json``."""
    schema = DocumentSummary.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# --------------------------------------------------------------------------------------------
# Model-facing output (OpenAI strict structured outputs)
# --------------------------------------------------------------------------------------------
# Rules: every field required and without a default, extra="forbid" (additionalProperties:
# false), no length/pattern/format constraints. A claim without quotes is therefore accepted
# at parse time and reported by grounding, so that one bad claim does not discard the rest.

_QUOTES_DESCRIPTION = (
    "Passages copied verbatim, character for character, from the article text that directly "
    "support the statement. Each is a contiguous passage of at least one clause (3 or more "
    "words); do not paraphrase, translate, correct, join passages with '...', or quote these "
    "instructions."
)


class _StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelClaim(_StrictModel):
    """One claim made by the article, with verbatim supporting quotes."""

    statement: str = Field(description="The claim, stated concisely in your own words.")
    quotes: list[str] = Field(description=_QUOTES_DESCRIPTION)


class ModelEvidenceClaim(ModelClaim):
    """A claim about the evidence the article reports, with the kind of study behind it."""

    evidence_kind: EvidenceKind = Field(
        description="Kind of study behind the evidence; 'unspecified' if the article does not say."
    )


_CLAIM_IDS_DESCRIPTION = (
    "Ids of the claims this sentence summarizes: M1 is the first mechanism claim, E2 the "
    "second evidence claim, T1 the first therapeutic-implication claim. Every name and number "
    "in the sentence must appear in the quotes of these claims."
)


class ModelTldrSentence(_StrictModel):
    """One sentence of the TL;DR, citing the claims it summarizes."""

    text: str = Field(description="The sentence.")
    claim_ids: list[str] = Field(description=_CLAIM_IDS_DESCRIPTION)


def _tldr_sentences(value: Any) -> Any:
    """A plain-string TL;DR (older prompts, lenient servers) is one sentence citing nothing."""
    if isinstance(value, str):
        return [{"text": value, "claim_ids": []}] if value.strip() else []
    return value


class ModelSummary(_StrictModel):
    """Structured summary of a review article. Use only what the article itself states."""

    mechanism: list[ModelClaim] = Field(
        description="Biological mechanisms the article describes (may be empty)."
    )
    evidence: list[ModelEvidenceClaim] = Field(
        description="Experimental or clinical evidence the article reports (may be empty)."
    )
    therapeutic_implication: list[ModelClaim] = Field(
        description="Therapeutic implications the article draws (may be empty)."
    )
    tldr: list[ModelTldrSentence] = Field(
        description="One or two sentences summarising the article, each citing its claims."
    )

    _lenient_tldr = field_validator("tldr", mode="before")(_tldr_sentences)

    @property
    def tldr_text(self) -> str:
        return " ".join(s.text.strip() for s in self.tldr if s.text.strip())


class StrictSchemaError(ValueError):
    """A JSON Schema is not accepted by OpenAI strict structured outputs."""


# Keywords allowed in a schema node. Anything else (minItems, maxItems, minLength, pattern,
# format, default, allOf, oneOf, not, const, examples...) is refused: an allow-list stays
# safe when pydantic starts emitting a new keyword.
_ALLOWED_KEYWORDS: Final = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "anyOf",
        "$ref",
        "$defs",
        "description",
        "title",
    }
)
_MAX_OBJECT_DEPTH: Final = 5  # OpenAI documents 10 levels; stay well inside older limits


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema of ``model`` for OpenAI strict structured outputs.

    The one rewrite applied is the one OpenAI's own SDK applies: a ``$ref`` with sibling keys
    (pydantic puts a field's ``description`` beside the ``$ref``) is replaced by the inlined
    definition. Anything else that strict mode refuses is a design error of the model and
    raises ``StrictSchemaError`` listing every problem.
    """
    schema = model.model_json_schema(mode="validation")
    defs: dict[str, Any] = schema.get("$defs", {})
    schema = {k: _inline_refs_with_siblings(v, defs) for k, v in schema.items()}
    problems = strict_schema_problems(schema)
    if problems:
        raise StrictSchemaError(
            f"{model.__name__} is not strict-compatible: " + "; ".join(problems)
        )
    return schema


def _inline_refs_with_siblings(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline_refs_with_siblings(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline_refs_with_siblings(v, defs) for k, v in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and len(out) > 1 and ref.startswith("#/$defs/"):
        target = defs.get(ref.removeprefix("#/$defs/"))
        if isinstance(target, dict):
            del out["$ref"]
            inlined = _inline_refs_with_siblings(copy.deepcopy(target), defs)
            out = {**inlined, **out}  # the field's own description wins
    return out


def strict_schema_problems(schema: dict[str, Any]) -> list[str]:
    """Everything in ``schema`` that OpenAI strict structured outputs would refuse."""
    problems: list[str] = []
    defs = schema.get("$defs", {})
    if schema.get("type") != "object":
        problems.append("#: the root must be an object")
    _check_node(schema, "#", 0, defs, problems, root=True)
    return problems


def _check_node(
    node: Any, path: str, depth: int, defs: Any, problems: list[str], *, root: bool = False
) -> None:
    if not isinstance(node, dict):
        problems.append(f"{path}: not a schema object")
        return
    for key in node:
        if key not in _ALLOWED_KEYWORDS:
            problems.append(f"{path}: keyword {key!r} is not allowed")
    if "$defs" in node:
        if not root:
            problems.append(f"{path}: $defs only at the root")
        if isinstance(node["$defs"], dict):
            for name, sub in node["$defs"].items():
                _check_node(sub, f"{path}/$defs/{name}", 0, defs, problems)
    if "$ref" in node:
        ref = node["$ref"]
        if len(node) > 1:
            problems.append(f"{path}: $ref must be the only key")
        if not (
            isinstance(ref, str)
            and ref.startswith("#/$defs/")
            and isinstance(defs, dict)
            and ref.removeprefix("#/$defs/") in defs
        ):
            problems.append(f"{path}: $ref {ref!r} does not point into #/$defs")
    types = node.get("type")
    type_list = types if isinstance(types, list) else [types]
    if "object" in type_list or "properties" in node:
        if depth + 1 > _MAX_OBJECT_DEPTH:
            problems.append(f"{path}: objects nested deeper than {_MAX_OBJECT_DEPTH} levels")
        props = node.get("properties")
        if not isinstance(props, dict):
            problems.append(f"{path}: object without properties")
            props = {}
        if node.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties must be false")
        required = node.get("required")
        if not isinstance(required, list) or sorted(required) != sorted(props):
            problems.append(f"{path}: every property must be required")
        for name, sub in props.items():
            _check_node(sub, f"{path}/properties/{name}", depth + 1, defs, problems)
    if "array" in type_list and "items" not in node:
        problems.append(f"{path}: array without items")
    if "items" in node:
        _check_node(node["items"], f"{path}/items", depth, defs, problems)
    if "anyOf" in node:
        if root:
            problems.append(f"{path}: the root may not be anyOf")
        if not isinstance(node["anyOf"], list):
            problems.append(f"{path}: anyOf must be a list")
        else:
            for i, sub in enumerate(node["anyOf"]):
                _check_node(sub, f"{path}/anyOf/{i}", depth, defs, problems)
