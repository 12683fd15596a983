"""The backend registry: built-ins come from entry points; a third-party backend plugs in."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from litdigest.cli.app import main
from litdigest.config import Settings
from litdigest.documents import Chunk, Document
from litdigest.errors import ConfigError
from litdigest.summarize.backends import choose_backend, get_backend, registry
from litdigest.summarize.backends.base import CallContext
from litdigest.summarize.schema import Claim, DocumentSummary, Quote, Usage

REPO = Path(__file__).resolve().parents[1]


class DummyBackend:
    """Quotes the first sentence of each document as its one mechanism claim."""

    name = "dummy"
    model = "dummy-1"
    prompt_version = "dummy-v1"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def settings_hash(self) -> str:
        return "dummy-settings"

    async def summarize(self, doc: Document, chunks: list[Chunk], ctx: CallContext) -> Any:
        end = doc.text.find(". ") + 1 or len(doc.text)
        quote = Quote(text=doc.text[:end], start=0, end=end)
        return DocumentSummary(
            doc_id=doc.doc_id,
            source=doc.source,
            metadata=doc.metadata,
            tldr=doc.text[:end],
            mechanism=[Claim(statement="first sentence", quotes=[quote])],
            backend=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
            usage=Usage(calls=1),
        )


def create_dummy(settings: Settings) -> DummyBackend:
    return DummyBackend(settings)


def test_builtins_are_declared_as_entry_points() -> None:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = config["project"]["entry-points"]["litdigest.backends"]
    assert set(declared) == {"extractive", "extractive-v2", "extractive-v3", "openai"}
    assert {"extractive", "extractive-v2", "extractive-v3", "openai"} <= set(registry.available())
    backend = get_backend("extractive", Settings())
    assert backend.name == "extractive"


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown backend 'nope'"):
        get_backend("nope", Settings())
    with pytest.raises(ConfigError, match="unknown backend 'nope'"):
        choose_backend("nope", Settings())


def _summarize_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, Any]]:
    monkeypatch.setenv("LITDIGEST_SUMMARIZE__BACKEND", "dummy")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    example = sorted((REPO / "examples").glob("*.md"))[0]
    with pytest.raises(SystemExit) as info:
        main(["summarize", "--db", str(tmp_path / "s.db"), str(example)])
    assert info.value.code == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_registered_backend_runs_summarize(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    registry.register("dummy", create_dummy)
    try:
        assert choose_backend("dummy", Settings()) == ("dummy", "requested")
        summaries = _summarize_examples(tmp_path, monkeypatch, capsys)
    finally:
        registry.unregister("dummy")
    assert [s["backend"] for s in summaries] == ["dummy"]
    assert summaries[0]["mechanism"][0]["statement"] == "first sentence"


def test_entry_point_backend_runs_summarize(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A third-party package's entry point, as importlib.metadata would report it."""
    plugin = EntryPoint("dummy", f"{__name__}:create_dummy", registry.ENTRY_POINT_GROUP)

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        assert group == registry.ENTRY_POINT_GROUP
        return [plugin]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    assert "dummy" in registry.available()
    summaries = _summarize_examples(tmp_path, monkeypatch, capsys)
    assert [s["model"] for s in summaries] == ["dummy-1"]
