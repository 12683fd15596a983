"""``litdigest clean | chunk | summarize | schema``: the document pipeline commands."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from litdigest.chunk.chunker import Chunker
from litdigest.cli.common import (
    ConfiguredDbOption,
    IncludeAllOption,
    PathsArg,
    ProgressDisplay,
    Reporter,
    documents,
    emit,
    printable,
    safe_url,
)
from litdigest.cli.conventions import (
    InputTally,
    StoreCounter,
    end_of_run_line,
    interrupted,
    on_interrupt,
)
from litdigest.config import ChunkSettings, Settings, load_settings
from litdigest.documents import Chunk, Document
from litdigest.errors import InputError, LitdigestError, UsageError

if TYPE_CHECKING:
    from litdigest.summarize.backends.base import Backend
    from litdigest.summarize.runner import BatchResult, BatchRunner
    from litdigest.summarize.sinks import SummarySink

__all__ = ["BackendChoice", "OutputChoice", "chunk", "clean", "register", "schema", "summarize"]


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
    tally = InputTally(paths, settings)
    printed = 0
    with on_interrupt(lambda: f"{printed} document(s) cleaned and printed"):
        for doc in _reported(tally.items(), reporter):
            if as_json:
                emit(json.dumps(doc.model_dump(mode="json"), ensure_ascii=False))
            else:
                if multiple:
                    if not first:
                        emit("")
                    emit(f"==> {printable(doc.source)} <==")
                emit(doc.text)
                first = False
            printed += 1
    if tally.report_empty():
        raise typer.Exit(1)
    reporter.exit()


def _with_include_all(settings: Settings, include_all: bool) -> Settings:
    return settings.with_overrides(ingest={"include_all": True}) if include_all else settings


def _reported(items: Iterator[Document | InputError], reporter: Reporter) -> Iterator[Document]:
    for item in items:
        if isinstance(item, InputError):
            reporter.fail(item)
        else:
            yield item


def _chunk_settings(
    settings: Settings, max_tokens: int | None, overlap: int | None, encoding: str | None
) -> ChunkSettings:
    if max_tokens is not None and overlap is None:
        overlap = min(settings.chunk.overlap_tokens, max_tokens // 10)
    overrides = {"max_tokens": max_tokens, "overlap_tokens": overlap, "encoding": encoding}
    try:
        return settings.with_overrides(chunk=overrides).chunk
    except ValidationError as exc:
        raise UsageError(f"invalid chunk options: {exc.errors()[0]['msg']}") from None


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
    chunk_settings = _chunk_settings(settings, max_tokens, overlap, encoding)
    chunker = Chunker(chunk_settings)
    reporter = Reporter()
    printed = 0
    with on_interrupt(lambda: f"{printed} document(s) chunked and printed"):
        for doc in documents(paths, settings, reporter):
            _print_chunks(doc, chunker.chunk_document(doc), chunk_settings, as_json)
            printed += 1
    reporter.exit()


def _print_chunks(
    doc: Document, chunks: list[Chunk], chunk_settings: ChunkSettings, as_json: bool
) -> None:
    if as_json:
        for c in chunks:
            emit(
                json.dumps({"source": doc.source, **c.model_dump(mode="json")}, ensure_ascii=False)
            )
        return
    total = sum(c.n_tokens for c in chunks)
    title = doc.metadata.title or "(untitled)"
    emit(f"==> {printable(doc.source)} <== {doc.doc_id} · {printable(title)}")
    emit(
        f"{len(chunks)} chunk(s), {total} tokens ({chunk_settings.encoding}, "
        f"max {chunk_settings.max_tokens})"
    )
    for c in chunks:
        emit(f"--- chunk {c.index} · {c.n_tokens} tokens · chars {c.start}-{c.end}")
        emit(c.text)
    emit("")


class BackendChoice(StrEnum):
    AUTO = "auto"
    EXTRACTIVE = "extractive"
    EXTRACTIVE_V2 = "extractive-v2"
    EXTRACTIVE_V3 = "extractive-v3"
    OPENAI = "openai"


class OutputChoice(StrEnum):
    JSONL = "jsonl"
    JSON = "json"
    MD = "md"


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
    where = f" at {safe_url(cfg.base_url)}" if cfg.base_url else ""
    return f"{', '.join(why)}; model {printable(cfg.model)}{where}"


# issue 15 (h15): --timeout
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout", min=0.1, help="Seconds to wait for each model reply (openai.timeout_s)."
    ),
]


def _summarize_settings(
    settings: Settings,
    backend: BackendChoice | None,
    model: str | None,
    base_url: str | None,
    concurrency: int | None,
    max_cost: float | None,
    max_tokens: int | None,
    timeout: float | None = None,
) -> Settings:
    """``settings`` with the command-line overrides applied and validated."""
    summarize_opts = {
        "backend": None if backend is None else backend.value,
        "concurrency": concurrency,
        "max_cost_usd": max_cost,
        "max_tokens": max_tokens,
    }
    try:
        return settings.with_overrides(
            summarize=summarize_opts,
            openai={"model": model, "base_url": base_url, "timeout_s": timeout},
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"invalid summarize options: {where}: {err['msg']}") from None


def _open_sink(out: Path | None, fmt: OutputChoice) -> SummarySink:
    from litdigest.summarize.sinks import DirectorySink, StreamSink

    try:
        return StreamSink(sys.stdout, fmt.value) if out is None else DirectorySink(out, fmt.value)
    except OSError as exc:
        raise UsageError(f"cannot write to --out {out}: {exc.strerror or exc}") from None


def _run_with_progress(runner: BatchRunner, tally: InputTally) -> BatchResult:
    import asyncio

    with ProgressDisplay(enabled=sys.stderr.isatty()) as progress:

        def on_update(r: BatchResult) -> None:
            progress.update(r.emitted, r.cached, r.failed + r.input_errors, r.remaining)

        runner.on_update = on_update
        return asyncio.run(runner.run(tally.items()))


def _interrupted(runner: BatchRunner, sink: SummarySink, counter: StoreCounter) -> NoReturn:
    """Finished = committed to the store by this run (all of them, also those not printed
    yet because an earlier document was still running) + those reused from it."""
    from litdigest.summarize.sinks import DirectorySink

    with suppress(LitdigestError):
        runner.finish_run("interrupted")
    if isinstance(sink, DirectorySink):
        sink.discard()
    added = counter.added()
    done = runner.result.emitted if added is None else added + runner.result.cached
    interrupted(f"{done} finished document(s) kept in the store (rerun the same command to resume)")


def _run(
    summarizer: Backend,
    settings: Settings,
    paths: list[Path],
    db: Path | None,
    sink: SummarySink,
    run_args: dict[str, Any],
) -> BatchResult:
    """Summarize ``paths`` into ``sink`` through the batch runner, with a progress line;
    then the end-of-run line (or "no documents found", exit 1) on stderr."""
    from litdigest.store.store import Store
    from litdigest.summarize.runner import make_runner
    from litdigest.summarize.sinks import DirectorySink

    started = time.monotonic()
    tally = InputTally(paths, settings)
    counter = StoreCounter(Path(db or settings.store.db_path))
    with Store(db or settings.store.db_path) as store:
        runner = make_runner(summarizer, store, sink, Reporter(), settings, run_args=run_args)
        try:
            result = _run_with_progress(runner, tally)
            if tally.report_empty():
                raise typer.Exit(1)
            _say_written(sink)
            line = end_of_run_line(
                result.summarized,
                result.cached,
                result.failed + result.input_errors,
                started,
                runner.budget.tokens,
                runner.budget.cost_usd,
            )
            print(f"litdigest: {line}", file=sys.stderr, flush=True)
            return result
        except KeyboardInterrupt:
            _interrupted(runner, sink, counter)
        except BaseException:
            if isinstance(sink, DirectorySink):
                sink.discard()
            raise


def _run_args(
    paths: list[Path], fmt: OutputChoice, out: Path | None, settings: Settings
) -> dict[str, Any]:
    """What the store records about this run."""
    return {
        "command": "summarize",
        "paths": [str(p) for p in paths],
        "format": fmt.value,
        "out": None if out is None else str(out),
        "max_cost_usd": settings.summarize.max_cost_usd,
        "max_tokens": settings.summarize.max_tokens,
    }


def _say_written(sink: SummarySink) -> None:
    from litdigest.summarize.sinks import JSONL_FILENAME, DirectorySink

    if not isinstance(sink, DirectorySink) or not sink.count:
        return
    where = (
        str(sink.directory / JSONL_FILENAME)
        if sink.fmt == "jsonl"
        else f"{sink.count} file(s) in {sink.directory}"
    )
    print(f"litdigest: wrote {printable(where)}", file=sys.stderr, flush=True)


def _choose_backend(settings: Settings, base_url: str | None) -> str:
    """Resolve ``auto`` to a backend name (saying why on stderr); the secret is registered."""
    from litdigest.redaction import register_secret
    from litdigest.summarize.backends import choose_backend

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
    return name


class EngineChoice(StrEnum):
    LOCAL = "local"
    RAY = "ray"


EngineOption = Annotated[
    EngineChoice,
    typer.Option(
        "--engine",
        help="local (this machine, SQLite store) or ray (Ray Data; Parquet under --out; "
        "needs the ray extra).",
    ),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="Ray cluster to join with --engine ray: auto or ray://host:10001 (default: a "
        "private local instance).",
    ),
]
PartitionSizeOption = Annotated[
    int,
    typer.Option("--partition-size", min=1, help="Documents per Parquet partition (--engine ray)."),
]


def summarize(
    paths: PathsArg,
    backend: Annotated[
        BackendChoice | None,
        typer.Option(
            "--backend",
            help="auto (openai when an API key or base URL is set, else extractive), "
            "extractive (offline: extractive-v3, learned sentence roles; extractive-v2 the "
            "older sentence scorer), or openai.",
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
    db: ConfiguredDbOption = None,
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
    timeout: TimeoutOption = None,
    batch_api: Annotated[
        bool,
        typer.Option(
            "--batch-api",
            help="Submit through the OpenAI Batch API (half price; collect with `batch resume`).",
        ),
    ] = False,
    include_all: IncludeAllOption = False,
    engine: EngineOption = EngineChoice.LOCAL,
    address: AddressOption = None,
    partition_size: PartitionSizeOption = 64,
) -> None:
    """Summarize each document: mechanism, evidence, therapeutic implication, verified quotes."""
    settings = _summarize_settings(
        load_settings(), backend, model, base_url, concurrency, max_cost, max_tokens, timeout
    )
    settings = _with_include_all(settings, include_all)
    if batch_api:
        from litdigest.cli.batch import submit_command

        raise typer.Exit(submit_command(paths, settings, db))
    if engine == EngineChoice.RAY:
        from litdigest.cli.scale import run_ray_summarize

        backend_name = _choose_backend(settings, base_url)
        raise typer.Exit(
            run_ray_summarize(
                paths,
                settings,
                backend=backend_name,
                out=out,
                address=address,
                partition_size=partition_size,
            )
        )
    raise typer.Exit(_summarize_online(settings, paths, base_url, db, out, fmt))


def _summarize_online(
    settings: Settings,
    paths: list[Path],
    base_url: str | None,
    db: Path | None,
    out: Path | None,
    fmt: OutputChoice,
) -> int:
    """Choose the backend, open the output, run the batch; returns the exit code."""
    from litdigest.summarize.backends import get_backend

    summarizer = get_backend(_choose_backend(settings, base_url), settings)
    sink = _open_sink(out, fmt)
    result = _run(summarizer, settings, paths, db, sink, _run_args(paths, fmt, out, settings))
    if result.budget_stopped:
        print(
            f"litdigest: budget stopped the batch ({printable(result.budget_message or '')}); "
            f"{result.remaining} document(s) not summarized",
            file=sys.stderr,
            flush=True,
        )
    return result.exit_code


def schema() -> None:
    """Print the JSON Schema of a summary (one DocumentSummary, as summarize prints it)."""
    from litdigest.summarize.schema import summary_json_schema

    emit(json.dumps(summary_json_schema(), indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app (in help order)."""
    app.command()(clean)
    app.command()(chunk)
    app.command()(summarize)
    app.command()(schema)
