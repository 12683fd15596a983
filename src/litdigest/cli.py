"""Command-line interface: a thin layer over the core modules."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from litdigest import __version__
from litdigest.chunk import Chunker
from litdigest.config import ChunkSettings, Settings, load_settings
from litdigest.errors import InputError, LitdigestError, UsageError
from litdigest.models import Document

app = typer.Typer(
    name="litdigest",
    help="Grounded, structured summaries of life-science review articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Files or directories (recursed).", show_default=False),
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


def _documents(paths: list[Path], settings: Settings, reporter: Reporter) -> Iterator[Document]:
    from litdigest.pipeline import iter_documents

    for item in iter_documents(paths, settings):
        if isinstance(item, InputError):
            reporter.fail(item)
        else:
            yield item


def _emit(line: str) -> None:
    sys.stdout.write(line + "\n")


@app.command()
def clean(
    paths: PathsArg,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per document (JSON Lines).")
    ] = False,
) -> None:
    """Print the cleaned article text of each document."""
    settings = load_settings()
    reporter = Reporter()
    first = True
    multiple = len(paths) > 1 or any(p.is_dir() for p in paths)
    for doc in _documents(paths, settings, reporter):
        if as_json:
            _emit(json.dumps(doc.model_dump(mode="json"), ensure_ascii=False))
            continue
        if multiple:
            if not first:
                _emit("")
            _emit(f"==> {printable(doc.source)} <==")
        _emit(doc.text)
        first = False
    reporter.exit()


@app.command()
def chunk(
    paths: PathsArg,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=16, help="Largest chunk, in tokens.")
    ] = None,
    overlap: Annotated[
        int | None, typer.Option("--overlap", min=0, help="Tokens of overlap between chunks.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="tiktoken encoding (o200k_base, cl100k_base).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per chunk (JSON Lines).")
    ] = False,
) -> None:
    """Split each document into token-bounded chunks, with token counts and character spans."""
    settings = load_settings()
    chunk_opts = settings.chunk.model_dump()
    if max_tokens is not None:
        chunk_opts["max_tokens"] = max_tokens
        if overlap is None:
            chunk_opts["overlap_tokens"] = min(settings.chunk.overlap_tokens, max_tokens // 10)
    if overlap is not None:
        chunk_opts["overlap_tokens"] = overlap
    if encoding is not None:
        chunk_opts["encoding"] = encoding
    try:
        chunk_settings = ChunkSettings(**chunk_opts)
    except ValidationError as exc:
        raise UsageError(f"invalid chunk options: {exc.errors()[0]['msg']}") from None
    chunker = Chunker(chunk_settings)
    reporter = Reporter()
    for doc in _documents(paths, settings, reporter):
        chunks = chunker.chunk_document(doc)
        if as_json:
            for c in chunks:
                _emit(
                    json.dumps(
                        {"source": doc.source, **c.model_dump(mode="json")}, ensure_ascii=False
                    )
                )
            continue
        total = sum(c.n_tokens for c in chunks)
        title = doc.metadata.title or "(untitled)"
        _emit(f"==> {printable(doc.source)} <== {doc.doc_id} · {printable(title)}")
        _emit(
            f"{len(chunks)} chunk(s), {total} tokens ({chunk_settings.encoding}, max {chunk_settings.max_tokens})"
        )
        for c in chunks:
            _emit(f"--- chunk {c.index} · {c.n_tokens} tokens · chars {c.start}-{c.end}")
            _emit(c.text)
        _emit("")
    reporter.exit()


@app.command()
def version() -> None:
    """Print the litdigest version."""
    _emit(f"litdigest {__version__}")


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: exit 0 ok, 1 some inputs failed, 2 usage or configuration error."""
    try:
        app(args=argv, prog_name="litdigest")  # standalone: usage errors exit 2 by themselves
    except SystemExit as exc:
        code = exc.code
        _flush_and_exit(code if isinstance(code, int) else (0 if code is None else 1))
    except KeyboardInterrupt:
        print("litdigest: interrupted", file=sys.stderr)
        _flush_and_exit(130)
    except UsageError as exc:
        print(f"litdigest: error: {printable(exc.message)}", file=sys.stderr)
        _flush_and_exit(2)
    except LitdigestError as exc:
        print(f"litdigest: error: {printable(exc.message)}", file=sys.stderr)
        _flush_and_exit(1)
    except BrokenPipeError:
        _flush_and_exit(0)
    except Exception as exc:  # anything unexpected: one line, no traceback
        print(
            f"litdigest: internal error: {type(exc).__name__}: {printable(str(exc))}",
            file=sys.stderr,
        )
        _flush_and_exit(1)
    _flush_and_exit(0)


def _flush_and_exit(code: int) -> NoReturn:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout at exit too; point it at devnull so that doesn't fail again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
