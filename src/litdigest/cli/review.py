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
    from litdigest.config import load_settings
    from litdigest.errors import UsageError

    settings = load_settings()
    path = db or settings.store.db_path
    if not Path(path).is_file():
        raise UsageError(f"no store at {path} (run litdigest summarize first, or pass --db)")
    from litdigest.tui.app import ReviewApp

    ReviewApp(Path(path), settings=settings).run()
