"""``litdigest review``: the command function (registered in ``litdigest.cli.app``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["export_command", "review_command"]

from litdigest.review.export import export_command


def review_command(
    db: Annotated[Path | None, typer.Option("--db", help="SQLite store.")] = None,
) -> None:
    """Review stored summaries: accept, reject, edit or flag claims; build the digest."""
    from litdigest.cli.conventions import require_store
    from litdigest.config import load_settings

    settings = load_settings()
    path = require_store(db, settings, "run litdigest summarize first, or pass --db")
    from litdigest.tui.app import ReviewApp

    ReviewApp(Path(path), settings=settings).run()
