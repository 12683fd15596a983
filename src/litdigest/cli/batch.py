"""``litdigest batch status | resume | cancel`` and ``summarize --batch-api``'s submit step."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from litdigest.cli.common import Reporter, say
from litdigest.cli.conventions import StoreCounter, on_interrupt
from litdigest.errors import UsageError

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.store.store import Store

__all__ = ["batch_app", "register", "submit_command"]


def submit_command(paths: list[Path], settings: Settings, db: Path | None) -> int:
    """``summarize --batch-api``: submit and say how to resume; returns the exit code."""
    from litdigest.prepare import iter_documents
    from litdigest.store.store import Store
    from litdigest.summarize.openai_batch import make_client, submit

    client = make_client(settings)
    submitted = "batches already submitted are recorded in the store (see `litdigest batch status`)"
    with on_interrupt(lambda: submitted), Store(db or settings.store.db_path) as store:
        result = submit(
            iter_documents(paths, settings),
            settings,
            store,
            client,
            on_failure=lambda source, reason: say(f"{source}: {reason}"),
        )
    for job in result.jobs:
        say(
            f"batch job {job.id}: {job.batch_id or '(not submitted)'} · {job.request_count} "
            f"request(s) · {job.status}"
        )
    say(
        f"{result.documents} document(s): {result.requests} request(s) in {len(result.jobs)} "
        f"batch(es), {result.cached} already done, {result.failed} failed; estimated input cost "
        f"${result.estimated_input_cost_usd:.4f} at the batch price (output tokens extra)"
    )
    if result.jobs:
        say("run `litdigest batch resume` (any time, from any process) to collect the results")
    return 1 if result.failed else 0


batch_app = typer.Typer(
    help="OpenAI Batch API jobs submitted with `summarize --batch-api`.",
    no_args_is_help=True,
    add_completion=False,
)

DbOption = Annotated[
    Path | None, typer.Option("--db", help="SQLite store (default: the configured one).")
]
BaseUrlOption = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible server URL.")
]
KeysArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Batch ids or job numbers (default: every unfinished job).", show_default=False
    ),
]


def _settings(base_url: str | None) -> Settings:
    from litdigest.config import load_settings

    return load_settings().with_overrides(**{"openai.base_url": base_url})


def _open_store(db: Path | None, settings: Settings) -> Store:
    from litdigest.store.store import Store

    path = db or settings.store.db_path
    if not Path(path).is_file():
        raise UsageError(f"no store at {path}")
    return Store(path)


def _exit_if_nothing_unfinished(
    db: Path | None, settings: Settings, keys: list[str] | None
) -> None:
    """Without job keys and with no unfinished job, say so and exit 0 (no API key needed)."""
    if keys:
        return
    with _open_store(db, settings) as store:
        if not store.batch_jobs(unfinished=True):
            say("no unfinished batch jobs")
            raise typer.Exit(0)


@batch_app.command("status")
def status_command(
    keys: KeysArg = None,
    db: DbOption = None,
    base_url: BaseUrlOption = None,
    refresh: Annotated[
        bool, typer.Option("--refresh/--no-refresh", help="Ask the server for fresh status.")
    ] = True,
) -> None:
    """List batch jobs: provider id, status, requests, created and finished times."""
    from litdigest.summarize.openai_batch import make_client, refresh_status, select_jobs

    settings = _settings(base_url)
    with _open_store(db, settings) as store:
        jobs = store.batch_jobs() if not keys else select_jobs(store, keys, unfinished=False)
        if not jobs:
            say(f"no Batch API jobs in {store.path} (start one with `summarize --batch-api`)")
        client = None
        if refresh and any(j.batch_id and j.finished_at is None for j in jobs):
            try:
                client = make_client(settings)
            except UsageError:
                client = None
        for job in jobs:
            status = job.status
            if client is not None and job.batch_id and job.finished_at is None:
                status = refresh_status(client, store, job)
            requests = store.batch_requests(job.id)
            ok = sum(r.status == "ok" for r in requests)
            failed = sum(r.status == "failed" for r in requests)
            done = f"collected {job.finished_at}" if job.finished_at else "not collected"
            sys.stdout.write(
                f"job {job.id}\t{job.batch_id or '-'}\t{status}\t{job.request_count} requests"
                f" ({ok} ok, {failed} failed)\tcreated {job.created_at}\t{done}\n"
            )
    raise typer.Exit(0)


@batch_app.command("resume")
def resume_command(
    keys: KeysArg = None,
    db: DbOption = None,
    base_url: BaseUrlOption = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Poll until the batches are done.")
    ] = True,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.0, help="Seconds between polls.")
    ] = 30.0,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop waiting after this many seconds.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl, json or md.")] = "jsonl",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write into this directory instead of stdout.")
    ] = None,
) -> None:
    """Collect finished batches: download, validate and ground the results, finish online."""
    from litdigest.summarize.openai_batch import make_client, resume
    from litdigest.summarize.sinks import DirectorySink, StreamSink, SummarySink

    if fmt not in ("jsonl", "json", "md"):
        raise UsageError(f"--format must be jsonl, json or md, not {fmt!r}")
    settings = _settings(base_url)
    _exit_if_nothing_unfinished(db, settings, keys)
    client = make_client(settings)
    reporter = Reporter()
    sink: SummarySink = (
        StreamSink(sys.stdout, fmt) if out is None else DirectorySink(out, fmt)  # type: ignore[arg-type]
    )
    counter = StoreCounter(Path(db or settings.store.db_path))
    with on_interrupt(_resume_interrupted(counter, sink)), _open_store(db, settings) as store:
        result = resume(
            store,
            settings,
            client,
            keys=keys or (),
            wait=wait,
            poll_s=poll_interval,
            timeout_s=timeout,
            sink=sink,
            reporter=reporter,
            on_message=say,
        )
    if result.pending:
        say(
            f"{len(result.pending)} batch(es) still running; run `litdigest batch resume` again later"
        )
    raise typer.Exit(result.exit_code)


def _resume_interrupted(counter: StoreCounter, sink: object) -> Callable[[], str]:
    def outcome() -> str:
        from litdigest.summarize.sinks import DirectorySink

        if isinstance(sink, DirectorySink):
            sink.discard()
        return f"{counter.kept()} (run `litdigest batch resume` again for the rest)"

    return outcome


@batch_app.command("cancel")
def cancel_command(
    keys: KeysArg = None,
    db: DbOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Cancel running batches; `batch resume` then collects what finished and sends the rest
    online."""
    from litdigest.summarize.openai_batch import cancel, make_client

    settings = _settings(base_url)
    _exit_if_nothing_unfinished(db, settings, keys)
    client = make_client(settings)
    with _open_store(db, settings) as store:
        for job, status in cancel(store, client, keys or ()):
            say(f"job {job.id} ({job.batch_id or '-'}): {status}")
    raise typer.Exit(0)


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
