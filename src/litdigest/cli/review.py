"""``litdigest review | export``: the review TUI and the reviewed-digest export."""

from __future__ import annotations

import asyncio
import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from litdigest.cli.common import DbOption, existing_store_path, write_output

if TYPE_CHECKING:
    from textual.app import App

    from litdigest.review.decisions import ExportStatus
    from litdigest.review.export import ExportFormat

__all__ = ["FormatChoice", "StatusChoice", "export_command", "register", "review_command"]

_NO_STORE_HINT: Final = " (run litdigest summarize first, or pass --db)"


def review_command(db: DbOption = None) -> None:
    """Review stored summaries: accept, reject, edit or flag claims; build the digest."""
    from litdigest.config import load_settings

    settings = load_settings()
    path = existing_store_path(db, settings, _NO_STORE_HINT)
    from litdigest.cli.conventions import on_interrupt
    from litdigest.tui.app import ReviewApp

    with on_interrupt(lambda: "every review decision made is saved in the store"):
        _run_until_sigint(ReviewApp(path, settings=settings))


def _run_until_sigint(app: App[Any]) -> None:
    """Run ``app``; ``KeyboardInterrupt`` after it when a SIGINT ended it.

    In the terminal Ctrl-C is a key the TUI reads; a SIGINT comes from outside (``kill -INT``).
    Textual would let it end the app quietly (exit 0), so the app is asked to exit instead
    (the terminal restored) and the interrupt is raised once it has.
    """
    got_sigint = False

    def on_sigint() -> None:
        nonlocal got_sigint
        got_sigint = True
        app.exit()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError):  # pragma: no cover  (Windows)
            await app.run_async()
            return
        try:
            await app.run_async()
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    asyncio.run(run())
    if got_sigint:
        raise KeyboardInterrupt


class FormatChoice(StrEnum):
    MD = "md"
    JSON = "json"
    CSV = "csv"


class StatusChoice(StrEnum):
    ACCEPTED = "accepted"
    ALL = "all"


_FORMATS: Final[dict[FormatChoice, ExportFormat]] = {
    FormatChoice.MD: "md",
    FormatChoice.JSON: "json",
    FormatChoice.CSV: "csv",
}
_STATUSES: Final[dict[StatusChoice, ExportStatus]] = {
    StatusChoice.ACCEPTED: "accepted",
    StatusChoice.ALL: "all",
}


def export_command(
    fmt: Annotated[
        FormatChoice, typer.Option("--format", "-f", help="md, json or csv.")
    ] = FormatChoice.MD,
    status: Annotated[
        StatusChoice | None,
        typer.Option(
            "--status",
            help="accepted: accepted claims only; all: every claim (default: accepted once"
            " any claim is reviewed, else all).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (default: stdout).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Export the reviewed digest (accepted claims, or all with their review state)."""
    from litdigest.cli.conventions import on_interrupt
    from litdigest.config import load_settings
    from litdigest.review.decisions import Reviewer, default_selection
    from litdigest.review.export import export_digest
    from litdigest.store.store import Store

    path = existing_store_path(db, load_settings(), _NO_STORE_HINT)
    with on_interrupt(lambda: "nothing exported"), Store(path) as store:
        reviewer = Reviewer(store)
        if status is None:  # the one default of digest, export and the review app
            selection = default_selection(reviewer)
            chosen = selection.status
            print(f"litdigest: export of {selection.description}", file=sys.stderr, flush=True)
        else:
            chosen = _STATUSES[status]
        text = export_digest(reviewer, _FORMATS[fmt], chosen)
    write_output(text, out)


def register(app: typer.Typer) -> None:
    app.command("review")(review_command)
    app.command("export")(export_command)
