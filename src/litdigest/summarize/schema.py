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
    field_validator,
    model_validator,
)

from litdigest.documents import Metadata
from litdigest.llm.structured import (
    StrictSchemaError,
    compact_schema,
    strict_json_schema,
    strict_schema_problems,
)
from litdigest.llm.usage import Usage

__all__ = [
    "SECTIONS",
    "SECTION_TITLES",
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
    "coerce_evidence_kind",
    "coerce_section",
    "compact_schema",
    "evidence_kind_label",
    "strict_json_schema",
    "strict_schema_problems",
    "summary_json_schema",
]

Section = Literal["mechanism", "evidence", "therapeutic_implication"]
SECTIONS: Final[tuple[Section, ...]] = ("mechanism", "evidence", "therapeutic_implication")
SECTION_TITLES: Final[dict[Section, str]] = {
    "mechanism": "Mechanism",
    "evidence": "Evidence",
    "therapeutic_implication": "Therapeutic implication",
}
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

    @property
    def label(self) -> str:
        """The kind in words, as a reader sees it ("animal model", "meta-analysis")."""
        return evidence_kind_label(self.value)


def evidence_kind_label(value: str) -> str:
    """``patient_cohort`` -> ``patient cohort``; ``meta_analysis`` -> ``meta-analysis``."""
    return "meta-analysis" if value == "meta_analysis" else value.replace("_", " ")


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


_CLAIM_IDS_DESCRIPTION = (
    "Ids of the claims this sentence summarizes: M1 is the first mechanism claim, E2 the "
    "second evidence claim, T1 the first therapeutic-implication claim. Every name and number "
    "in the sentence must appear in the quotes of these claims."
)


class ModelTldrSentence(_Lenient):
    """One sentence of the TL;DR, citing the claims it summarizes."""

    text: str = Field(description="The sentence.")
    claim_ids: list[str] = Field(description=_CLAIM_IDS_DESCRIPTION)


def _tldr_sentences(value: Any) -> Any:
    """A plain-string TL;DR (older prompts, lenient servers) is one sentence citing nothing."""
    if isinstance(value, str):
        return [{"text": value, "claim_ids": []}] if value.strip() else []
    return value


class ModelSummary(_Lenient):
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
