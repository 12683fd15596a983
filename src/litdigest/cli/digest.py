"""``litdigest digest``: the cross-document digest of the stored claims (typer command)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from litdigest.cli.common import ConfiguredDbOption, write_output

if TYPE_CHECKING:
    from litdigest.digest.model import Digest
    from litdigest.digest.synthesis import Synthesizer
    from litdigest.store.store import Store

__all__ = ["digest_command"]


def digest_command(
    db: ConfiguredDbOption = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="accepted (claims accepted in review) or all (every claim not rejected);"
            " default: accepted once any claim is reviewed, else all.",
            show_default=False,
        ),
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", help="Only claims about this (words or meaning).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="md, json, html or csv (the evidence table).")
    ] = "md",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="Synthesis: auto (openai when an API key or base URL is set), extractive "
            "(offline: headings are central claims) or openai.",
        ),
    ] = "auto",
    model: Annotated[str | None, typer.Option("--model", help="Model for the synthesis.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible server URL.")
    ] = None,
) -> None:
    """Digest of the stored claims across documents: themes, agreements, disagreements,
    claims only one document makes, and an evidence table."""
    from litdigest.cli.conventions import on_interrupt, require_store
    from litdigest.config import load_settings
    from litdigest.errors import UsageError

    if status is not None and status not in ("accepted", "all"):
        raise UsageError(f"--status must be accepted or all, not {status!r}")
    if fmt not in ("md", "json", "html", "csv"):
        raise UsageError(f"--format must be md, json, html or csv, not {fmt!r}")
    if backend not in ("auto", "extractive", "openai"):
        raise UsageError(f"--backend must be auto, extractive or openai, not {backend!r}")
    settings = load_settings().with_overrides(openai={"model": model, "base_url": base_url})
    path = require_store(db, settings, "run litdigest summarize first, or pass --db")
    with on_interrupt(lambda: "no digest written"):
        _digest(path, settings, status, query, fmt, out, backend)


def _digest(
    path: Path,
    settings: Any,
    status: str | None,
    query: str | None,
    fmt: str,
    out: Path | None,
    backend: str,
) -> None:
    from litdigest.digest.build import build_digest
    from litdigest.review.decisions import Reviewer, default_selection
    from litdigest.store.store import Store

    with Store(path) as store:
        if status is None:  # the one default of digest, export and the review app
            selection = default_selection(Reviewer(store))
            status = selection.status
            print(f"litdigest: digest of {selection.description}", file=sys.stderr, flush=True)
        synthesizer = _synthesizer(backend, settings, store)
        digest = build_digest(
            store,
            status=status,  # type: ignore[arg-type]
            query=query,
            synthesizer=synthesizer,
        )
    if not digest.claims:
        hint = " (review claims first, or use --status all)" if status == "accepted" else ""
        print(f"litdigest: no claims for the digest{hint}", file=sys.stderr, flush=True)
    write_output(_render(digest, fmt), out)


def _render(digest: Digest, fmt: str) -> str:
    from litdigest.digest.render_md import render_csv, render_json, render_markdown

    if fmt == "md":
        return render_markdown(digest)
    if fmt == "json":
        return render_json(digest)
    if fmt == "csv":
        return render_csv(digest)
    from litdigest.digest.render_html import render_html

    return render_html(digest)


def _synthesizer(backend: str, settings: Any, store: Store) -> Synthesizer | None:
    from litdigest.digest.synthesis import Synthesizer
    from litdigest.summarize.backends import choose_backend, get_backend
    from litdigest.summarize.backends.base import Budget, CallContext

    name, _reason = choose_backend(backend, settings)
    if name != "openai":
        return None
    llm_backend = get_backend(name, settings)
    caller = getattr(llm_backend, "caller", None)
    if caller is None:
        return None
    ctx = CallContext(
        store=store,
        budget=Budget(settings.summarize.max_cost_usd, settings.summarize.max_tokens),
    )
    label = f"{llm_backend.name} {llm_backend.model}"
    return Synthesizer(caller, ctx, label=label, concurrency=settings.summarize.concurrency)
