"""JSON Schemas for structured output: OpenAI strict mode, and a compact form for prompts.

``strict_json_schema(model)`` is the schema of a pydantic model as OpenAI strict structured
outputs accept it (every object closed with ``additionalProperties: false``, every property
required, an allow-list of keywords); ``compact_schema`` drops titles and descriptions (the
prompt explains the fields) and definitions nothing refers to any more.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Final

from pydantic import BaseModel

__all__ = [
    "StrictSchemaError",
    "compact_schema",
    "strict_json_schema",
    "strict_schema_problems",
]


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
