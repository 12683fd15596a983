"""Shared pieces of the command line: failure reporter, printable text, options, progress."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import typer

from litdigest.errors import InputError, LitdigestError, UsageError
from litdigest.redaction import redact

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.documents import Document

__all__ = [
    "ConfiguredDbOption",
    "DbOption",
    "IncludeAllOption",
    "PathsArg",
    "ProgressDisplay",
    "Reporter",
    "documents",
    "emit",
    "existing_store_path",
    "printable",
    "safe_url",
    "say",
    "write_output",
]

PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Files or directories (recursed).", show_default=False, metavar="PATH"),
]
IncludeAllOption = Annotated[
    bool,
    typer.Option(
        "--include-all",
        help="Also read files that are not articles (licences, READMEs, code, tables).",
    ),
]
DbOption = Annotated[Path | None, typer.Option("--db", help="SQLite store.")]
ConfiguredDbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite store (default: the configured store.db_path)."),
]


def printable(text: str) -> str:
    """One line, control characters escaped: safe to print a file name or reason."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


class Reporter:
    """Prints one stderr line per failure and remembers whether anything failed."""

    def __init__(self) -> None:
        self.failures = 0

    def fail(self, err: LitdigestError) -> None:
        self.failures += 1
        if isinstance(err, InputError):
            line = f"litdigest: {printable(err.source)}: {printable(err.reason)}"
        else:
            line = f"litdigest: error: {printable(err.message)}"
        print(line, file=sys.stderr, flush=True)

    def exit(self) -> NoReturn:
        raise typer.Exit(1 if self.failures else 0)


def documents(paths: list[Path], settings: Settings, reporter: Reporter) -> Iterator[Document]:
    """The documents under ``paths``; input errors go to ``reporter``."""
    from litdigest.prepare import iter_documents

    for item in iter_documents(paths, settings):
        if isinstance(item, InputError):
            reporter.fail(item)
        else:
            yield item


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")


def say(message: str) -> None:
    """One ``litdigest: ...`` line on stderr."""
    print(f"litdigest: {message}", file=sys.stderr, flush=True)


def write_output(text: str, out: Path | None) -> None:
    """``text`` to ``--out`` (atomically, then ``litdigest: wrote …``) or to stdout."""
    from litdigest.summarize.sinks import atomic_write_text

    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        raise UsageError(f"cannot write --out {out}: {exc.strerror or exc}") from None
    say(f"wrote {out}")


def safe_url(url: str) -> str:
    """A base URL fit to print: no user:password, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return printable(redact(urlunsplit((parts.scheme, netloc, parts.path, "", ""))))
    except ValueError:
        return "(unparsable URL)"


def existing_store_path(db: Path | None, settings: Settings, hint: str = "") -> Path:
    """``--db`` or the configured store, which must exist (else a usage error)."""
    path = Path(db or settings.store.db_path)
    if not path.is_file():
        raise UsageError(f"no store at {path}{hint}")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if head and head != b"SQLite format 3\x00":  # e.g. --db README.md
        raise UsageError(f"{path} is not a litdigest store (not an SQLite file){hint}")
    return path


class ProgressDisplay:
    """A ``rich`` progress line on stderr (only when enabled, i.e. stderr is a terminal).

    Use as a context manager; ``update(done, cached, failed)`` refreshes the counts.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("summarizing…", total=None)
        return self

    def update(self, done: int, cached: int, failed: int, remaining: int = 0) -> None:
        if self._progress is None:
            return
        text = f"summarizing… {done} done ({cached} from the store), {failed} failed"
        if remaining:
            text += f", {remaining} left by the budget"
        self._progress.update(self._task, description=text)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
