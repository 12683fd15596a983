from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from litdigest.documents import Metadata
from litdigest.summarize.schema import (
    SECTIONS,
    Claim,
    DocumentSummary,
    EvidenceKind,
    ModelClaim,
    ModelEvidenceClaim,
    ModelSummary,
    Quote,
    StrictSchemaError,
    Usage,
    strict_json_schema,
    strict_schema_problems,
    summary_json_schema,
)

# What OpenAI strict structured outputs accept in a schema node (conservative).
ALLOWED = {
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
FORBIDDEN = {
    "default",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "allOf",
    "oneOf",
    "not",
    "const",
}


def _walk(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every schema node of a JSON Schema, with its path (property names are not keywords)."""
    assert isinstance(node, dict), path
    out = [(path, node)]
    for name, sub in node.get("$defs", {}).items():
        out += _walk(sub, f"{path}/$defs/{name}")
    for name, sub in node.get("properties", {}).items():
        out += _walk(sub, f"{path}/properties/{name}")
    if "items" in node:
        out += _walk(node["items"], f"{path}/items")
    for i, sub in enumerate(node.get("anyOf", [])):
        out += _walk(sub, f"{path}/anyOf/{i}")
    return out


@pytest.mark.parametrize("model", [ModelSummary, ModelClaim, ModelEvidenceClaim])
def test_model_facing_schema_is_openai_strict(model: type[BaseModel]) -> None:
    schema = strict_json_schema(model)
    json.dumps(schema)  # serialisable
    assert schema["type"] == "object"
    nodes = _walk(schema)
    assert len(nodes) > 3
    for path, node in nodes:
        assert set(node) <= ALLOWED, (path, set(node) - ALLOWED)
        assert not set(node) & FORBIDDEN, path
        if node.get("type") == "object" or "properties" in node:
            assert node["additionalProperties"] is False, path
            assert sorted(node["required"]) == sorted(node["properties"]), path
        if "$ref" in node:
            assert list(node) == ["$ref"], path
            assert node["$ref"].removeprefix("#/$defs/") in schema["$defs"], path
    assert strict_schema_problems(schema) == []


def test_model_summary_schema_shape() -> None:
    schema = strict_json_schema(ModelSummary)
    assert list(schema["properties"]) == [*SECTIONS, "tldr"]
    evidence = schema["$defs"]["ModelEvidenceClaim"]["properties"]
    # The $ref + description sibling was inlined, keeping the field's description.
    assert evidence["evidence_kind"]["enum"] == [k.value for k in EvidenceKind]
    assert "unspecified" in evidence["evidence_kind"]["description"]
    quotes = schema["$defs"]["ModelClaim"]["properties"]["quotes"]
    assert quotes["type"] == "array" and quotes["items"] == {"type": "string"}
    assert "verbatim" in quotes["description"]


def test_model_summary_parses_model_output() -> None:
    raw = {
        "tldr": "STING agonists inflame cold tumours.",
        "mechanism": [{"statement": "STING drives IFN.", "quotes": ["STING drives type I IFN"]}],
        "evidence": [
            {
                "statement": "Mice responded.",
                "quotes": ["tumours regressed in mice"],
                "evidence_kind": "animal_model",
            }
        ],
        "therapeutic_implication": [],
    }
    summary = ModelSummary.model_validate_json(json.dumps(raw))
    assert summary.evidence[0].evidence_kind is EvidenceKind.ANIMAL_MODEL
    # No quotes is accepted at parse time (strict schemas cannot say minItems); grounding
    # reports it instead of discarding the whole answer.
    assert ModelClaim(statement="x", quotes=[]).quotes == []
    # Lenient (issue 15): extra keys dropped, unknown kinds read as unspecified, with warnings.
    found: list[str] = []
    claim = ModelClaim.model_validate(
        {"statement": "x", "quotes": [], "confidence": 0.9}, context={"warnings": found}
    )
    assert claim.quotes == [] and any("confidence" in w for w in found)
    kind = ModelEvidenceClaim.model_validate(
        {"statement": "x", "quotes": ["a b c d"], "evidence_kind": "anecdote"}
    ).evidence_kind
    assert kind is EvidenceKind.UNSPECIFIED
    with pytest.raises(ValidationError):  # an object with none of the expected keys
        ModelSummary.model_validate({"unexpected": 1})


class _WithDefault(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int = 3


class _WithConstraint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[str] = Field(min_length=1)
    code: str = Field(pattern=r"^\d+$")


class _Open(BaseModel):
    a: int


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: int


class _Nested(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inner: _Inner = Field(description="Documented, so pydantic puts it beside the $ref.")
    maybe: _Inner | None


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        (_WithDefault, "every property must be required"),
        (_WithDefault, "'default'"),
        (_WithConstraint, "'minItems'"),
        (_WithConstraint, "'pattern'"),
    ],
)
def test_strict_json_schema_refuses_incompatible_models(
    model: type[BaseModel], fragment: str
) -> None:
    with pytest.raises(StrictSchemaError, match=fragment):
        strict_json_schema(model)


def test_strict_json_schema_inlines_ref_with_siblings_and_allows_nullable() -> None:
    schema = strict_json_schema(_Nested)
    inner = schema["properties"]["inner"]
    assert "$ref" not in inner
    assert inner["properties"] == {"x": {"title": "X", "type": "integer"}}
    assert inner["description"].startswith("Documented")
    maybe = schema["properties"]["maybe"]["anyOf"]
    assert {"type": "null"} in maybe


def test_strict_schema_problems_checks_structure() -> None:
    assert strict_schema_problems({"anyOf": [{"type": "string"}]})  # root not an object
    assert strict_schema_problems(
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/Missing"}},
            "required": ["a"],
            "additionalProperties": False,
        }
    ) == ["#/properties/a: $ref '#/$defs/Missing' does not point into #/$defs"]
    # A property may be *named* like a forbidden keyword.
    ok = {
        "type": "object",
        "properties": {"default": {"type": "string"}, "format": {"type": "string"}},
        "required": ["default", "format"],
        "additionalProperties": False,
    }
    assert strict_schema_problems(ok) == []


# --- stored models -----------------------------------------------------------------------


def _claim(kind: EvidenceKind | None = None) -> Claim:
    return Claim(
        statement="s", quotes=[Quote(text="abc def ghi", start=0, end=11)], evidence_kind=kind
    )


def _summary(**kw: Any) -> DocumentSummary:
    base: dict[str, Any] = {
        "doc_id": "0123456789abcdef",
        "source": "x.txt",
        "tldr": "t",
        "backend": "fake",
        "model": "m",
        "prompt_version": "v1",
    }
    return DocumentSummary(**(base | kw))


def test_claim_requires_at_least_one_quote() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        Claim(statement="s", quotes=[])
    with pytest.raises(ValidationError):
        Claim.model_validate({"statement": "s"})


def test_quote_span_must_match_its_length() -> None:
    Quote(text="abc", start=5, end=8)
    with pytest.raises(ValidationError, match="span"):
        Quote(text="abc", start=5, end=9)
    with pytest.raises(ValidationError):
        Quote(text="abc", start=-1, end=2)
    with pytest.raises(ValidationError):
        Quote(text="", start=0, end=0)


def test_evidence_kind_only_and_always_on_evidence_claims() -> None:
    s = _summary(
        mechanism=[_claim()],
        evidence=[_claim(EvidenceKind.CLINICAL_TRIAL)],
        therapeutic_implication=[_claim()],
    )
    assert [(sec, i) for sec, i, _ in s.iter_claims()] == [
        ("mechanism", 0),
        ("evidence", 0),
        ("therapeutic_implication", 0),
    ]
    with pytest.raises(ValidationError, match="evidence_kind"):
        _summary(evidence=[_claim()])
    with pytest.raises(ValidationError, match="only evidence claims"):
        _summary(mechanism=[_claim(EvidenceKind.REVIEW)])


def test_document_summary_round_trips_json() -> None:
    s = _summary(
        metadata=Metadata(title="T", year=2024),
        evidence=[_claim(EvidenceKind.UNSPECIFIED)],
        usage=Usage(calls=2, prompt_tokens=10, completion_tokens=5, cost_usd=0.01),
        warnings=["dropped 1 claim"],
    )
    again = DocumentSummary.model_validate_json(s.model_dump_json())
    assert again == s
    with pytest.raises(ValidationError):
        DocumentSummary.model_validate(s.model_dump() | {"unexpected": 1})


def test_usage_adds_up() -> None:
    a = Usage(calls=1, prompt_tokens=100, completion_tokens=20, cost_usd=0.25)
    b = Usage(calls=2, prompt_tokens=50, completion_tokens=5, cost_usd=0.5)
    total = a + b
    assert total == Usage(calls=3, prompt_tokens=150, completion_tokens=25, cost_usd=0.75)
    assert total.total_tokens == 175
    assert sum([a, b]) == total
    assert sum([a, b], Usage()) == total
    assert a == Usage(calls=1, prompt_tokens=100, completion_tokens=20, cost_usd=0.25)  # unchanged
    with pytest.raises(ValidationError):
        Usage(calls=-1)


def test_summary_json_schema_documents_every_field() -> None:
    schema = summary_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["title"] == "DocumentSummary"
    text = json.dumps(schema, indent=2)
    assert json.loads(text) == schema
    objects = [(p, n) for p, n in _walk(schema) if "properties" in n]
    names = {p.rsplit("/", 1)[-1] for p, _ in objects}
    assert {"#", "Claim", "Quote", "Usage", "Metadata"} <= names
    for path, node in objects:
        assert node.get("description"), path
        for name, prop in node["properties"].items():
            assert prop.get("description"), f"{path}/properties/{name}"
    assert "EvidenceKind" in schema["$defs"]
    assert set(schema["properties"]) >= {"doc_id", "tldr", *SECTIONS, "usage", "warnings"}


def test_strict_json_schema_closes_lenient_objects() -> None:
    """Lenient models ignore extra keys when validating; the schema sent still forbids them."""
    schema = strict_json_schema(_Open)
    assert schema["additionalProperties"] is False
