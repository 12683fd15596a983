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
import json
import typing
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from litdigest.documents import Metadata

__all__ = [
    "SECTIONS",
    "Claim",
    "DocumentSummary",
    "EvidenceKind",
    "ModelClaim",
    "ModelEvidenceClaim",
    "ModelSummary",
    "Quote",
    "Section",
    "StrictSchemaError",
    "Usage",
    "coerce_evidence_kind",
    "coerce_section",
    "compact_schema",
    "strict_json_schema",
    "strict_schema_problems",
    "summary_json_schema",
]

Section = Literal["mechanism", "evidence", "therapeutic_implication"]
SECTIONS: Final[tuple[Section, ...]] = ("mechanism", "evidence", "therapeutic_implication")


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


class Usage(BaseModel):
    """Model usage and cost; add instances to total them across calls and retries."""

    model_config = ConfigDict(extra="forbid")

    calls: int = Field(default=0, ge=0, description="Number of model calls.")
    prompt_tokens: int = Field(default=0, ge=0, description="Prompt (input) tokens.")
    completion_tokens: int = Field(default=0, ge=0, description="Completion (output) tokens.")
    cost_usd: float = Field(default=0.0, ge=0, description="Estimated cost in US dollars.")
    cached_tokens: int = Field(
        default=0,
        ge=0,
        description="Prompt tokens the server read from its prompt cache (priced as cached).",
        exclude_if=lambda v: not v,
    )
    estimated_calls: int = Field(
        default=0,
        ge=0,
        description="Calls whose token counts were estimated (the server sent no usage).",
        exclude_if=lambda v: not v,
    )

    @property
    def estimated(self) -> bool:
        return self.estimated_calls > 0

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
            cached_tokens=self.cached_tokens + other.cached_tokens,
            estimated_calls=self.estimated_calls + other.estimated_calls,
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
# Rules: every field required and without a default, no length/pattern/format constraints;
# ``strict_json_schema`` marks every object ``additionalProperties: false``. Validation is
# lenient (``_Lenient``): a reply is used whenever its content can be, and each repair is
# reported as a warning through the validation context (``{"warnings": [...]}``):
# unknown keys are dropped, ``null`` or missing lists become ``[]``, a single string where a
# list of strings is expected becomes a one-item list, evidence kinds are mapped from common
# synonyms ("RCT" -> clinical_trial, "mouse model" -> animal_model, else unspecified), and a
# claim with an empty or blank statement is dropped (that claim only). A claim without quotes
# is accepted at parse time and reported by grounding.

_QUOTES_DESCRIPTION = (
    "Passages copied verbatim, character for character, from the article text that directly "
    "support the statement. Each is a contiguous passage of at least one clause (3 or more "
    "words); do not paraphrase, translate, correct, join passages with '...', or quote these "
    "instructions."
)

_KIND_SYNONYMS: Final[tuple[tuple[tuple[str, ...], EvidenceKind], ...]] = (
    (("meta_analy", "meta-analy", "metaanaly", "systematic", "pooled"), EvidenceKind.META_ANALYSIS),
    (
        ("rct", "randomi", "trial", "phase", "interventional", "clinical_study"),
        EvidenceKind.CLINICAL_TRIAL,
    ),
    (
        (
            "mouse",
            "mice",
            "murine",
            "rat",
            "animal",
            "in_vivo",
            "in vivo",
            "xenograft",
            "zebrafish",
            "primate",
            "syngeneic",
            "preclinical_model",
        ),
        EvidenceKind.ANIMAL_MODEL,
    ),
    (
        (
            "in_vitro",
            "in vitro",
            "cell",
            "culture",
            "organoid",
            "ex_vivo",
            "ex vivo",
            "biochem",
            "laboratory",
            "lab",
        ),
        EvidenceKind.IN_VITRO,
    ),
    (
        (
            "cohort",
            "patient",
            "observational",
            "retrospective",
            "prospective",
            "case",
            "registry",
            "epidemiolog",
            "population",
            "human",
            "clinical",
        ),
        EvidenceKind.PATIENT_COHORT,
    ),
    (("review", "literature", "consensus", "guideline"), EvidenceKind.REVIEW),
)
_SECTION_SYNONYMS: Final[tuple[tuple[str, Section], ...]] = (
    ("mechan", "mechanism"),
    ("evid", "evidence"),
    ("therap", "therapeutic_implication"),
    ("implic", "therapeutic_implication"),
    ("treat", "therapeutic_implication"),
    ("clinic", "therapeutic_implication"),
)


def _warn(info: ValidationInfo | None, message: str) -> None:
    context = info.context if info is not None else None
    if isinstance(context, dict):
        sink = context.get("warnings")
        if isinstance(sink, list) and message not in sink:
            sink.append(message)


def _key(value: str) -> str:
    return "_".join(value.strip().lower().replace("-", "_").split())


def coerce_evidence_kind(value: Any, info: ValidationInfo) -> Any:
    """An ``EvidenceKind`` value from what a model wrote (see the module comment)."""
    if value is None:
        _warn(info, "evidence_kind missing; read as 'unspecified'")
        return EvidenceKind.UNSPECIFIED.value
    if not isinstance(value, str):
        return value
    key = _key(value)
    if key in EvidenceKind._value2member_map_:
        return key
    low = f" {value.strip().lower()} "
    for needles, kind in _KIND_SYNONYMS:
        if any(n in low or n in key for n in needles):
            _warn(info, f"evidence_kind {value.strip()[:40]!r} read as {kind.value!r}")
            return kind.value
    _warn(info, f"evidence_kind {value.strip()[:40]!r} unknown; read as 'unspecified'")
    return EvidenceKind.UNSPECIFIED.value


def coerce_section(value: Any) -> Any:
    """A ``Section`` from what a model wrote ("Mechanisms", "therapeutic"...), else as is."""
    if not isinstance(value, str):
        return value
    key = _key(value)
    if key in SECTIONS:
        return key
    for prefix, section in _SECTION_SYNONYMS:
        if key.startswith(prefix):
            return section
    return value


LenientEvidenceKind = Annotated[EvidenceKind, BeforeValidator(coerce_evidence_kind)]
LenientSection = Annotated[Section, BeforeValidator(coerce_section)]


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _is_str_list(annotation: Any) -> bool:
    return _is_list(annotation) and typing.get_args(annotation) == (str,)


def _blank_statement(item: Any) -> bool:
    if not isinstance(item, dict) or ("quotes" not in item and "statement" not in item):
        return False
    statement = item.get("statement")
    return statement is None or (isinstance(statement, str) and not statement.strip())


class _Lenient(BaseModel):
    """Model-facing base: lenient validation with warnings (see the comment above)."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        if fields and data and not any(k in fields for k in data):
            raise ValueError(f"none of the expected keys ({', '.join(fields)})")
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in fields:
                out[key] = value
            else:
                _warn(info, f"ignored unknown key {str(key)[:40]!r} in the reply")
        for name, info_field in fields.items():
            annotation = info_field.annotation
            if annotation is str and name == "tldr" and out.get(name) is None:
                _warn(info, "tldr missing; written from the claims")
                out[name] = ""
            if not _is_list(annotation):
                continue
            value = out.get(name)
            if value is None:
                if name in out:
                    _warn(info, f"{name}: null read as []")
                out[name] = []
            elif isinstance(value, str) and _is_str_list(annotation):
                out[name] = [value]
            elif isinstance(value, list):
                kept = [x for x in value if not _blank_statement(x)]
                if len(kept) < len(value):
                    _warn(
                        info,
                        f"{name}: dropped {len(value) - len(kept)} claim(s) without a statement",
                    )
                    out[name] = kept
        return out


class ModelClaim(_Lenient):
    """One claim made by the article, with verbatim supporting quotes."""

    statement: str = Field(description="The claim, stated concisely in your own words.")
    quotes: list[str] = Field(description=_QUOTES_DESCRIPTION)


class ModelEvidenceClaim(ModelClaim):
    """A claim about the evidence the article reports, with the kind of study behind it."""

    evidence_kind: LenientEvidenceKind = Field(
        description="Kind of study behind the evidence; 'unspecified' if the article does not say."
    )


class ModelSummary(_Lenient):
    """Structured summary of a review article. Use only what the article itself states."""

    tldr: str = Field(description="One or two sentences summarising the article.")
    mechanism: list[ModelClaim] = Field(
        description="Biological mechanisms the article describes (may be empty)."
    )
    evidence: list[ModelEvidenceClaim] = Field(
        description="Experimental or clinical evidence the article reports (may be empty)."
    )
    therapeutic_implication: list[ModelClaim] = Field(
        description="Therapeutic implications the article draws (may be empty)."
    )


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
    schema = dict(_closed(schema))
    problems = strict_schema_problems(schema)
    if problems:
        raise StrictSchemaError(
            f"{model.__name__} is not strict-compatible: " + "; ".join(problems)
        )
    return schema


def _closed(node: Any) -> Any:
    """Every object node of ``node`` with ``additionalProperties: false`` (lenient models
    ignore extra keys when validating; the schema sent still forbids them)."""
    if isinstance(node, list):
        return [_closed(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _closed(v) for k, v in node.items()}
    if out.get("type") == "object" and "properties" in out:
        out["additionalProperties"] = False
    return out


def compact_schema(schema: Any, *, keep_descriptions: bool = False) -> Any:
    """``schema`` without ``title`` keys (and without descriptions unless kept): what a
    model needs when the prompt already explains every field."""
    if isinstance(schema, list):
        return [compact_schema(x, keep_descriptions=keep_descriptions) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and not isinstance(value, dict):
            continue
        if key == "description" and isinstance(value, str) and not keep_descriptions:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {
                k: compact_schema(v, keep_descriptions=keep_descriptions) for k, v in value.items()
            }
        else:
            out[key] = compact_schema(value, keep_descriptions=keep_descriptions)
    defs = out.get("$defs")
    if isinstance(defs, dict):  # drop definitions nothing refers to any more (inlined)
        blob = json.dumps({k: v for k, v in out.items() if k != "$defs"}) + json.dumps(defs)
        used = {k: v for k, v in defs.items() if f'"#/$defs/{k}"' in blob}
        if used:
            out["$defs"] = used
        else:
            del out["$defs"]
    return out


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
