"""Command-line interface: a thin layer over the core modules."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import suppress
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn
from urllib.parse import urlsplit, urlunsplit

import typer
from pydantic import ValidationError

from litdigest import __version__
from litdigest.chunk.chunker import Chunker
from litdigest.cli import conventions
from litdigest.config import (
    ChunkSettings,
    OpenAISettings,
    Settings,
    SummarizeSettings,
    load_settings,
)
from litdigest.documents import Document
from litdigest.errors import InputError, LitdigestError, UsageError
from litdigest.redaction import redact

app = typer.Typer(
    name="litdigest",
    help="Grounded, structured summaries of life-science review articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
conventions.install(app)  # --version, --debug, -v

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


def _with_include_all(settings: Settings, include_all: bool) -> Settings:
    if not include_all:
        return settings
    ingest = settings.ingest.model_copy(update={"include_all": True})
    return settings.model_copy(update={"ingest": ingest})


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
    from litdigest.prepare import iter_documents

    for item in iter_documents(paths, settings):
        if isinstance(item, InputError):
            reporter.fail(item)
        else:
            yield item


def _reported(items: Iterator[Document | InputError], reporter: Reporter) -> Iterator[Document]:
    for item in items:
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
    include_all: IncludeAllOption = False,
) -> None:
    """Print the cleaned article text of each document."""
    settings = _with_include_all(load_settings(), include_all)
    reporter = Reporter()
    first = True
    multiple = len(paths) > 1 or any(p.is_dir() for p in paths)
    tally = conventions.InputTally(paths, settings)
    for doc in _reported(tally.items(), reporter):
        if as_json:
            _emit(json.dumps(doc.model_dump(mode="json"), ensure_ascii=False))
            continue
        if multiple:
            if not first:
                _emit("")
            _emit(f"==> {printable(doc.source)} <==")
        _emit(doc.text)
        first = False
    if tally.report_empty():
        raise typer.Exit(1)
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


class BackendChoice(StrEnum):
    AUTO = "auto"
    EXTRACTIVE = "extractive"
    OPENAI = "openai"


class OutputChoice(StrEnum):
    JSONL = "jsonl"
    JSON = "json"
    MD = "md"


def _safe_url(url: str) -> str:
    """A base URL fit to print: no user:password, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return printable(redact(urlunsplit((parts.scheme, netloc, parts.path, "", ""))))
    except ValueError:
        return "(unparsable URL)"


def _backend_reason(name: str, reason: str, settings: Settings, base_url_flag: str | None) -> str:
    """Why ``auto`` chose ``name``, for one stderr line (names variables, never values)."""
    if name != "openai":
        return reason
    cfg = settings.openai
    why: list[str] = []
    if cfg.base_url:
        if base_url_flag:
            why.append("--base-url given")
        else:
            why.append(
                "OPENAI_BASE_URL set"
                if os.environ.get("OPENAI_BASE_URL")
                else "base URL configured"
            )
    if cfg.api_key is not None and cfg.api_key.get_secret_value():
        why.append(
            "OPENAI_API_KEY set" if os.environ.get("OPENAI_API_KEY") else "API key configured"
        )
    else:
        why.append("no API key: a placeholder is sent")
    where = f" at {_safe_url(cfg.base_url)}" if cfg.base_url else ""
    return f"{', '.join(why)}; model {printable(cfg.model)}{where}"


def _summarize_settings(
    settings: Settings,
    backend: BackendChoice | None,
    model: str | None,
    base_url: str | None,
    concurrency: int | None,
    max_cost: float | None,
    max_tokens: int | None,
) -> Settings:
    """``settings`` with the command-line overrides applied and validated."""
    summarize_opts = settings.summarize.model_dump()
    for key, value in (
        ("backend", None if backend is None else backend.value),
        ("concurrency", concurrency),
        ("max_cost_usd", max_cost),
        ("max_tokens", max_tokens),
    ):
        if value is not None:
            summarize_opts[key] = value
    openai_opts = settings.openai.model_dump()
    if model is not None:
        openai_opts["model"] = model
    if base_url is not None:
        openai_opts["base_url"] = base_url
    try:
        summarize_settings = SummarizeSettings(**summarize_opts)
        openai_settings = OpenAISettings(**openai_opts)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"invalid summarize options: {where}: {err['msg']}") from None
    return settings.model_copy(update={"summarize": summarize_settings, "openai": openai_settings})


@app.command()
def summarize(
    paths: PathsArg,
    backend: Annotated[
        BackendChoice | None,
        typer.Option(
            "--backend",
            help="auto (openai when an API key or base URL is set, else extractive), "
            "extractive (offline), or openai.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model name for the openai backend.")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="OpenAI-compatible server URL (vLLM, Ollama, llama.cpp)."),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, max=256, help="Documents and requests in flight."),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="SQLite store (default: the configured store.db_path)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write into this directory (<doc_id>.json / .md; summaries.jsonl) instead of stdout.",
        ),
    ] = None,
    fmt: Annotated[
        OutputChoice, typer.Option("--format", help="jsonl, json (one array) or md.")
    ] = OutputChoice.JSONL,
    max_cost: Annotated[
        float | None, typer.Option("--max-cost", help="Stop once this many US dollars are spent.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", help="Stop once this many tokens are used.")
    ] = None,
    batch_api: Annotated[
        bool,
        typer.Option(
            "--batch-api",
            help="Submit through the OpenAI Batch API (half price; collect with `batch resume`).",
        ),
    ] = False,
    include_all: IncludeAllOption = False,
) -> None:
    """Summarize each document: mechanism, evidence, therapeutic implication, verified quotes."""
    import asyncio
    import time

    from litdigest.redaction import register_secret
    from litdigest.store.store import Store
    from litdigest.summarize.backends import choose_backend, get_backend
    from litdigest.summarize.backends.base import Budget
    from litdigest.summarize.runner import BatchResult, BatchRunner
    from litdigest.summarize.sinks import DirectorySink, ProgressDisplay, StreamSink, SummarySink

    started = time.monotonic()
    settings = _summarize_settings(
        _with_include_all(load_settings(), include_all),
        backend,
        model,
        base_url,
        concurrency,
        max_cost,
        max_tokens,
    )
    if batch_api:
        from litdigest.summarize.openai_batch import submit_command

        raise typer.Exit(submit_command(paths, settings, db))
    opts = settings.summarize
    if settings.openai.api_key is not None:
        register_secret(settings.openai.api_key.get_secret_value())
    name, reason = choose_backend(opts.backend, settings)
    if opts.backend == "auto":
        print(
            f"litdigest: backend: {name} ({_backend_reason(name, reason, settings, base_url)})",
            file=sys.stderr,
            flush=True,
        )
    summarizer = get_backend(name, settings)
    chunker = Chunker(settings.chunk)
    reporter = Reporter()
    try:
        sink: SummarySink = (
            StreamSink(sys.stdout, fmt.value) if out is None else DirectorySink(out, fmt.value)
        )
    except OSError as exc:
        raise UsageError(f"cannot write to --out {out}: {exc.strerror or exc}") from None
    run_args = {
        "command": "summarize",
        "paths": [str(p) for p in paths],
        "format": fmt.value,
        "out": None if out is None else str(out),
        "max_cost_usd": opts.max_cost_usd,
        "max_tokens": opts.max_tokens,
    }
    with Store(db or settings.store.db_path) as store:
        runner = BatchRunner(
            summarizer,
            store,
            sink,
            reporter,
            chunker=chunker,
            concurrency=opts.concurrency,
            budget=Budget(opts.max_cost_usd, opts.max_tokens),
            run_args=run_args,
        )
        try:
            with ProgressDisplay(enabled=sys.stderr.isatty()) as progress:

                def on_update(r: BatchResult) -> None:
                    progress.update(r.emitted, r.cached, r.failed + r.input_errors, r.remaining)

                runner.on_update = on_update
                tally = conventions.InputTally(paths, settings)
                result = asyncio.run(runner.run(tally.items()))
        except KeyboardInterrupt:
            with suppress(LitdigestError):
                runner.finish_run("interrupted")
            if isinstance(sink, DirectorySink):
                sink.discard()
            done = runner.result.emitted
            print(
                f"litdigest: interrupted: {done} finished document(s) kept in the store "
                "(rerun the same command to resume)",
                file=sys.stderr,
                flush=True,
            )
            raise typer.Exit(130) from None
        except BaseException:
            if isinstance(sink, DirectorySink):
                sink.discard()
            raise
    if tally.report_empty():
        raise typer.Exit(1)
    _say_written(sink)
    print(
        "litdigest: "
        + conventions.end_of_run_line(
            result.summarized,
            result.cached,
            result.failed + result.input_errors,
            started,
            runner.budget.tokens,
            runner.budget.cost_usd,
        ),
        file=sys.stderr,
        flush=True,
    )
    if result.budget_stopped:
        print(
            f"litdigest: budget stopped the batch ({printable(result.budget_message or '')}); "
            f"{result.remaining} document(s) not summarized",
            file=sys.stderr,
            flush=True,
        )
    raise typer.Exit(result.exit_code)


def _say_written(sink: object) -> None:
    from litdigest.summarize.sinks import JSONL_FILENAME, DirectorySink

    if not isinstance(sink, DirectorySink) or not sink.count:
        return
    where = (
        sink.directory / JSONL_FILENAME
        if sink.fmt == "jsonl"
        else f"{sink.count} file(s) in {sink.directory}"
    )
    print(f"litdigest: wrote {printable(str(where))}", file=sys.stderr, flush=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a summary (one DocumentSummary, as summarize prints it)."""
    from litdigest.summarize.schema import summary_json_schema

    _emit(json.dumps(summary_json_schema(), indent=2, ensure_ascii=False))


@app.command()
def version() -> None:
    """Print the litdigest version."""
    _emit(f"litdigest {__version__}")


from litdigest.cli.review import export_command, review_command  # noqa: E402

app.command("review")(review_command)
app.command("export")(export_command)


from litdigest.cli.eval import eval_command  # noqa: E402

app.command("eval")(eval_command)


from litdigest.digest.build import digest_command  # noqa: E402
from litdigest.summarize.openai_batch import batch_app  # noqa: E402

app.command("digest")(digest_command)
app.add_typer(batch_app, name="batch")


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: exit 0 ok, 1 some inputs failed, 2 usage or configuration error."""
    conventions.run(app, argv)
