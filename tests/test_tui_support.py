"""Shared builders for the review, export and TUI tests (no tests here).

``sample_store`` writes two small documents with summaries whose quotes are real slices of the
text; ``hostile_store`` adds a document whose title, text, statements and quotes are full of
markup-like text, ANSI escapes and a very long line.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Final

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from litdigest.config import KeySettings, ReviewSettings, Settings
from litdigest.documents import Document, Format, Metadata, content_hash
from litdigest.store.store import Store
from litdigest.summarize.schema import Claim, DocumentSummary, EvidenceKind, Quote
from litdigest.tui.app import ReviewApp, ReviewScreen

__all__ = [
    "HOSTILE_MARKUP",
    "SIZE",
    "add_document",
    "drive",
    "hostile_store",
    "isolate_env",
    "isolated_sample_store",
    "make_app",
    "make_settings",
    "palette",
    "quote",
    "sample_store",
    "screen_text",
]

ALPHA_TEXT: Final = (
    "Alpha: PD-1 and the exhausted T cell\n"
    "\n"
    "PD-1 engagement recruits SHP-2 and dampens T-cell receptor signalling. "
    "TCF1 progenitor cells sustain the response to checkpoint blockade.\n"
    "\n"
    "In mice, deleting Tcf7 abolished the response to anti-PD-1. "
    "In a cohort of 157 patients, a high progenitor fraction predicted longer survival.\n"
    "\n"
    "Therapies should preserve the progenitor pool. "
    "Measuring the TCF1 fraction could help select patients.\n"
)

BETA_TEXT: Final = (
    "Beta: STING agonists and dendritic cells\n"
    "\n"
    "STING activation licenses dendritic cells to cross-prime CD8 T cells.\n"
    "\n"
    "In a phase I trial, intratumoural STING agonist produced responses in 3 of 20 patients.\n"
    "\n"
    "Combining STING agonists with PD-1 blockade may warm cold tumours.\n"
)

HOSTILE_MARKUP: Final = "[@click=app.quit]click me[/]"
SIZE: Final = (100, 32)
LONG_LINE: Final = "x" * 3000

HOSTILE_TEXT: Final = (
    "[bold]Evil[/bold] title [link=https://evil.example]link[/link]\n"
    "\n"
    f"The {HOSTILE_MARKUP} sentence holds [red]markup[/red] and \x1b[31mANSI red\x1b[0m text. "
    "A second sentence closes a tag [/ and opens [b]bold.\n"
    "\n"
    f"{LONG_LINE}\n"
    "\n"
    "Blockade of [i]PD-1[/i] may help \x1b]8;;https://evil.example\x07patients\x1b]8;;\x07.\n"
)


def quote(text: str, passage: str) -> Quote:
    start = text.index(passage)
    return Quote(text=passage, start=start, end=start + len(passage))


def add_document(
    store: Store,
    text: str,
    *,
    title: str,
    year: int | None,
    source: str,
    claims: dict[str, list[tuple[str, str]]],
    backend: str = "fake",
) -> str:
    """Store ``text`` and a summary: ``claims[field] = [(statement, quoted passage), ...]``."""
    built: dict[str, list[Claim]] = {}
    for field_name, items in claims.items():
        built[field_name] = [
            Claim(
                statement=statement,
                quotes=[quote(text, passage)],
                evidence_kind=EvidenceKind.ANIMAL_MODEL if field_name == "evidence" else None,
            )
            for statement, passage in items
        ]
    metadata = Metadata(title=title, year=year)
    return store_summary(
        store, text, metadata, built, source=source, tldr="A short summary.", backend=backend
    )


def store_summary(
    store: Store,
    text: str,
    metadata: Metadata,
    claims: dict[str, list[Claim]],
    *,
    source: str | None = None,
    tldr: str,
    warnings: Sequence[str] = (),
    backend: str = "fake",
) -> str:
    """Store ``text`` (from ``source``, default ``<doc_id>.txt``) and a summary with these
    claims per field, made by ``backend`` model ``fake-1``; returns the doc_id."""
    doc_id = content_hash(text)
    source = source if source is not None else f"{doc_id}.txt"
    store.add_document(
        Document(doc_id=doc_id, text=text, metadata=metadata, format=Format.TEXT, source=source)
    )
    summary = DocumentSummary(
        doc_id=doc_id,
        source=source,
        metadata=metadata,
        tldr=tldr,
        warnings=list(warnings),
        mechanism=claims.get("mechanism", []),
        evidence=claims.get("evidence", []),
        therapeutic_implication=claims.get("therapeutic_implication", []),
        backend=backend,
        model="fake-1",
        prompt_version="v1",
    )
    store.put_summary(doc_id, backend, "fake-1", "v1", "settings", summary.model_dump_json())
    return doc_id


def sample_store(path: Path) -> tuple[str, str]:
    """Two documents (alpha: 2+2+2 claims, beta: 1+1+1); returns their doc ids."""
    with Store(path) as store:
        alpha = add_document(
            store,
            ALPHA_TEXT,
            title="Alpha: PD-1 and the exhausted T cell",
            year=2024,
            source="alpha.txt",
            claims={
                "mechanism": [
                    (
                        "PD-1 recruits SHP-2 to dampen TCR signalling.",
                        "PD-1 engagement recruits SHP-2 and dampens T-cell receptor signalling.",
                    ),
                    (
                        "TCF1 progenitors sustain the checkpoint response.",
                        "TCF1 progenitor cells sustain the response to checkpoint blockade.",
                    ),
                ],
                "evidence": [
                    (
                        "Deleting Tcf7 abolished the anti-PD-1 response in mice.",
                        "In mice, deleting Tcf7 abolished the response to anti-PD-1.",
                    ),
                    (
                        "A high progenitor fraction predicted survival in 157 patients.",
                        "In a cohort of 157 patients, a high progenitor fraction predicted longer survival.",
                    ),
                ],
                "therapeutic_implication": [
                    (
                        "Therapy should preserve the progenitor pool.",
                        "Therapies should preserve the progenitor pool.",
                    ),
                    (
                        "The TCF1 fraction could select patients.",
                        "Measuring the TCF1 fraction could help select patients.",
                    ),
                ],
            },
        )
        beta = add_document(
            store,
            BETA_TEXT,
            title="Beta: STING agonists and dendritic cells",
            year=2023,
            source="beta.txt",
            claims={
                "mechanism": [
                    (
                        "STING licenses dendritic cells.",
                        "STING activation licenses dendritic cells to cross-prime CD8 T cells.",
                    )
                ],
                "evidence": [
                    (
                        "STING agonist gave 3 responses in 20 patients.",
                        "In a phase I trial, intratumoural STING agonist produced responses in 3 of 20 patients.",
                    )
                ],
                "therapeutic_implication": [
                    (
                        "STING plus PD-1 may warm cold tumours.",
                        "Combining STING agonists with PD-1 blockade may warm cold tumours.",
                    )
                ],
            },
        )
    return alpha, beta


def hostile_store(path: Path) -> str:
    """One document full of markup-like text and escapes; returns its doc id."""
    with Store(path) as store:
        return add_document(
            store,
            HOSTILE_TEXT,
            title=f"{HOSTILE_MARKUP} [bold]Evil[/bold] \x1b[2J title [link=https://evil.example]x[/link]",
            year=2020,
            source="[@click=app.quit].txt",
            claims={
                "mechanism": [
                    (
                        f"{HOSTILE_MARKUP} [bold]bold[/bold] \x1b[31mred\x1b[0m [/",
                        f"The {HOSTILE_MARKUP} sentence holds [red]markup[/red] and \x1b[31mANSI red\x1b[0m text.",
                    )
                ],
                "evidence": [("A very long line.", LONG_LINE)],
                "therapeutic_implication": [
                    (
                        "[link=https://evil.example]Blockade[/link] may help.",
                        "Blockade of [i]PD-1[/i] may help \x1b]8;;https://evil.example\x07patients\x1b]8;;\x07.",
                    )
                ],
            },
        )


def make_settings(**keys: str) -> Settings:
    """Settings with the given review keys (use with ``isolated_env``)."""
    return Settings(review=ReviewSettings(keys=KeySettings(**keys)))


def isolate_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No config file, no OpenAI settings, a pinned locale and no animations."""
    monkeypatch.setenv("LITDIGEST_CONFIG", str(tmp_path / "no-config.toml"))
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LITDIGEST_OPENAI__API_KEY",
        "LITDIGEST_OPENAI__BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


def isolated_sample_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> Path:
    """``sample_store`` at ``tmp_path / name`` under ``isolate_env``."""
    isolate_env(monkeypatch, tmp_path)
    path = tmp_path / name
    sample_store(path)
    return path


def make_app(db: Path, tmp_path: Path, export_dir: Path | None = None, **keys: str) -> ReviewApp:
    """The review app on ``db`` with state and exports under ``tmp_path``."""
    return ReviewApp(
        db,
        settings=make_settings(**keys),
        state_dir=tmp_path / "state",
        export_dir=export_dir if export_dir is not None else tmp_path / "exports",
    )


def drive(
    app: ReviewApp,
    script: Callable[[Pilot[None], ReviewScreen], Awaitable[None]],
    size: tuple[int, int] = SIZE,
) -> None:
    """Run ``script`` against ``app`` (headless, ``size``) once its review screen is up."""

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            await script(pilot, screen)

    asyncio.run(run())


async def palette(pilot: Pilot[None], command: str) -> None:
    """Run ``command`` from the command palette (ctrl+p, type, enter)."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*command)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


def screen_text(app: App[Any]) -> str:
    """The current screen as plain text (what a user would read)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()
