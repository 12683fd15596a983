"""The langchain-openai range pinned in pyproject.toml, for the private helpers the Batch API
path uses (``_get_request_payload``, ``_convert_to_openai_response_format``)."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from langchain_core.messages import HumanMessage, SystemMessage
from packaging.requirements import Requirement

from litdigest.summarize.openai_batch import request_body

REPO = Path(__file__).resolve().parents[1]


def test_installed_langchain_openai_is_in_the_pinned_range() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (pin,) = [
        Requirement(dep)
        for dep in config["project"]["dependencies"]
        if Requirement(dep).name == "langchain-openai"
    ]
    assert pin.specifier.contains(version("langchain-openai"))
    assert any(spec.operator == "<" for spec in pin.specifier), "pin an upper bound"


def test_private_helpers_build_the_online_request_body() -> None:
    spec = {
        "name": "Out",
        "schema": {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "required": ["a"],
            "additionalProperties": False,
        },
    }
    body = request_body("gpt-4o-mini", [SystemMessage("s"), HumanMessage("u")], spec)
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.0
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {**spec, "strict": True},
    }
    assert body["messages"] == [
        {"content": "s", "role": "system"},
        {"content": "u", "role": "user"},
    ]
    assert "stream" not in body
