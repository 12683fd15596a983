"""Batch summarization: stream documents, summarize under bounded concurrency, emit in order.

``BatchRunner.run`` is the core of ``litdigest summarize``:

* documents stream from ``iter_documents`` (read and cleaned in a worker thread, one at a
  time, the next one while the current one is prepared); a bad input becomes one reported
  failure and a ``failures`` row;
* each document is stored (with its chunks), then summarized in an asyncio task; at most
  ``concurrency`` documents are in flight and at most ``window`` are buffered for ordered
  output, so memory stays bounded whatever the size of the corpus. A backend that sends its
  requests under the call context's limiter (``bounds_requests``, e.g. ``openai``) gets a
  few more documents started (``headroom``): they wait for a request slot, so no slot idles
  while a document is being prepared or checked after its reply, and still at most
  ``concurrency`` requests are in flight;
* a summary already stored under the backend's cache key is reused (nothing is sent); a new
  one is checked with ``verify_summary`` and committed with ``put_summary`` as soon as it is
  done, so a process killed at any moment loses no finished work and a rerun re-sends
  nothing for finished documents;
* summaries are emitted in input order (completed ones wait for earlier ones), so a resumed
  run prints exactly what an uninterrupted run prints;
* ``BudgetExceeded`` stops the start of new documents; in-flight ones finish (or hit the
  budget themselves); the rest of the input is only counted (cached summaries are still
  emitted, since they cost nothing);
* cancellation (Ctrl-C) cancels in-flight tasks and marks the run ``interrupted``.

The store is used only from the event-loop thread (sqlite3 connections are per thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Protocol

from pydantic import ValidationError

from litdigest.chunk.chunker import Chunker
from litdigest.documents import Chunk, Document
from litdigest.errors import InputError, LitdigestError, SummaryRejected, UsageError
from litdigest.redaction import redact
from litdigest.store.store import Store
from litdigest.summarize.backends.base import Backend, Budget, BudgetExceeded, CallContext
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import DocumentSummary
from litdigest.summarize.sinks import SummarySink
from litdigest.text import one_line

if TYPE_CHECKING:
    from litdigest.config import Settings

__all__ = [
    "BatchResult",
    "BatchRunner",
    "FailureReporter",
    "backend_key",
    "make_runner",
    "run_batch",
    "summarize_document",
]

_MAX_PROBLEMS_SHOWN: Final = 2


class FailureReporter(Protocol):
    """Gets one call per failed input or document (the CLI prints one stderr line each)."""

    def fail(self, err: LitdigestError) -> None: ...


@dataclass
class BatchResult:
    """Counts of one batch, updated as it goes (readable after an interruption too)."""

    documents: int = 0  # documents read (duplicates of a text included)
    summarized: int = 0  # summaries made by the backend in this run and emitted
    cached: int = 0  # summaries reused from the store and emitted
    failed: int = 0  # documents whose summary failed (backend error, verification)
    input_errors: int = 0  # inputs that could not be read or cleaned
    remaining: int = 0  # documents left unsummarized because the budget ran out
    budget_message: str | None = None
    interrupted: bool = False
    run_id: int | None = None

    @property
    def emitted(self) -> int:
        return self.summarized + self.cached

    @property
    def budget_stopped(self) -> bool:
        return self.budget_message is not None

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if (self.failed or self.input_errors or self.budget_stopped) else 0

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        if self.budget_stopped:
            return "budget"
        return "failed" if self.exit_code else "ok"


# --------------------------------------------------------------------------------------------
# Outcomes of one document


@dataclass(frozen=True, slots=True)
class _Done:
    summary: DocumentSummary
    cached: bool


@dataclass(frozen=True, slots=True)
class _Failed:
    stage: str
    reason: str
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class _OverBudget:
    message: str


_Outcome = _Done | _Failed | _OverBudget


@dataclass(slots=True)
class _Slot:
    """One document in output order: its outcome is ready, or comes from ``task``."""

    doc: Document
    task: asyncio.Task[_Outcome] | None = None
    outcome: _Outcome | None = None
    first: bool = True  # False for a repeat of a text already in flight (shares its task)

    def done(self) -> bool:
        return self.outcome is not None or (self.task is not None and self.task.done())

    def result(self) -> _Outcome:
        if self.outcome is not None:
            return self.outcome
        assert self.task is not None
        return self.task.result()


class _Reader:
    """The input items, each pulled in a worker thread (the input may be a generator that
    reads and cleans files), the next one read ahead while the current one is prepared."""

    def __init__(self, items: Iterable[Document | InputError]) -> None:
        self._iterator = iter(items)
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="litdigest-ingest"
        )
        self._ahead: asyncio.Future[Document | InputError | None] | None = None

    async def next(self) -> Document | InputError | None:
        """The next item (None at the end)."""
        self.read_ahead()
        assert self._ahead is not None
        future, self._ahead = self._ahead, None
        return await future

    def read_ahead(self) -> None:
        """Start reading the next item, unless it is being read already."""
        if self._ahead is None:
            loop = asyncio.get_running_loop()
            self._ahead = loop.run_in_executor(self._executor, _next_or_none, self._iterator)

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)


# Texts up to this many characters are chunked on the event loop: a thread hop costs more.
INLINE_CHUNK_CHARS: Final = 16_000


def _for_doc(summary: DocumentSummary, doc: Document) -> DocumentSummary:
    """The summary as output for this input: the source and metadata of ``doc``.

    The same text may come from several inputs (a PDF and its text copy): the stored summary
    is shared, but each output names its own input, however the summary was obtained.
    """
    if summary.source == doc.source and summary.metadata == doc.metadata:
        return summary
    return summary.model_copy(update={"source": doc.source, "metadata": doc.metadata})


def _describe_problems(problems: list[str]) -> str:
    shown = "; ".join(problems[:_MAX_PROBLEMS_SHOWN])
    more = len(problems) - _MAX_PROBLEMS_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")


def _one_line(text: str) -> str:
    return one_line(redact(text))


class BatchRunner:
    """Runs one batch; see the module docstring. Counters are in ``result`` as it runs."""

    def __init__(
        self,
        backend: Backend,
        store: Store,
        sink: SummarySink,
        reporter: FailureReporter,
        *,
        chunker: Chunker,
        concurrency: int = 8,
        budget: Budget | None = None,
        run_args: dict[str, Any] | None = None,
        window: int | None = None,
        on_update: Callable[[BatchResult], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.backend = backend
        self.store = store
        self.sink = sink
        self.reporter = reporter
        self.chunker = chunker
        self.concurrency = concurrency
        self.budget = budget or Budget()
        self.run_args = run_args or {}
        self.window = max(window or 4 * concurrency, concurrency)
        # documents running at once: more than `concurrency` only when the limiter bounds
        # the requests (the extra ones wait for a slot)
        self.max_running = concurrency + (
            headroom(concurrency) if getattr(backend, "bounds_requests", False) else 0
        )
        self.on_update = on_update
        self.result = BatchResult()
        self._run_finished = False
        self._key = backend_key(backend)

    # ---- run record ----------------------------------------------------------------------

    def finish_run(self, status: str | None = None) -> None:
        """Mark the run finished (once); ``status`` defaults to the result's."""
        if self._run_finished or self.result.run_id is None:
            return
        self._run_finished = True
        self.store.finish_run(self.result.run_id, status or self.result.status)

    # ---- main loop -----------------------------------------------------------------------

    async def run(self, items: Iterable[Document | InputError]) -> BatchResult:
        """Summarize every document of ``items``; return the counts (see ``exit_code``)."""
        result = self.result
        result.run_id = self.store.start_run(
            {
                **self.run_args,
                "backend": self._key[0],
                "model": self._key[1],
                "prompt_version": self._key[2],
                "settings_hash": self._key[3],
                "concurrency": self.concurrency,
            }
        )
        ctx = CallContext(
            store=self.store,
            limiter=asyncio.Semaphore(self.concurrency),
            budget=self.budget,
            run_id=result.run_id,
        )
        reader = _Reader(items)
        executor = concurrent.futures.ThreadPoolExecutor(  # chunks long texts
            max_workers=1, thread_name_prefix="litdigest-chunk"
        )
        pending: deque[_Slot] = deque()
        running: set[asyncio.Task[_Outcome]] = set()
        in_flight: dict[str, asyncio.Task[_Outcome]] = {}  # doc_id -> task, for repeats
        status: str | None = None
        try:
            while True:
                item = await reader.next()
                if item is None:
                    break
                if isinstance(item, InputError):
                    self._input_failed(item)
                    continue
                result.documents += 1
                # Room to start one more: fewer than `max_running` in flight, window not full.
                while running and (len(running) >= self.max_running or len(pending) >= self.window):
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    self._drain(pending, running)
                reader.read_ahead()
                slot = await self._prepare(item, ctx, executor, in_flight, running)
                if slot is not None:
                    pending.append(slot)
                self._drain(pending, running)
            while running:
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                self._drain(pending, running)
            self._drain(pending, running)
            assert not pending
            self.sink.close()
        except asyncio.CancelledError:
            result.interrupted = True
            status = "interrupted"
            raise
        except BaseException:
            status = "interrupted" if result.interrupted else "error"
            raise
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            reader.close()
            executor.shutdown(wait=False, cancel_futures=True)
            self.finish_run(status)
        return result

    async def _prepare(
        self,
        doc: Document,
        ctx: CallContext,
        executor: concurrent.futures.Executor,
        in_flight: dict[str, asyncio.Task[_Outcome]],
        running: set[asyncio.Task[_Outcome]],
    ) -> _Slot | None:
        """Store ``doc`` and make its output slot: cached, shared, or a new task."""
        result = self.result
        if doc.doc_id in in_flight:  # same text as a document being summarized now
            return _Slot(doc, task=in_flight[doc.doc_id], first=False)
        stored = self.store.get_summary(doc.doc_id, *self._key)
        if stored is not None:
            self.store.add_document(doc)  # records this source too
            return _Slot(doc, outcome=self._from_store(doc, stored))
        if not result.budget_stopped:
            try:
                self.budget.check()  # spent already: do not start another document
            except BudgetExceeded as exc:
                result.budget_message = exc.message
        if result.budget_stopped:
            result.remaining += 1  # counted, not stored or chunked
            self._update()
            return None
        if len(doc.text) <= INLINE_CHUNK_CHARS:
            chunks = self.chunker.chunk_document(doc)
        else:
            chunks = await asyncio.get_running_loop().run_in_executor(
                executor, self.chunker.chunk_document, doc
            )
        with self.store.transaction():  # one commit for the document and its chunks
            self.store.add_document(doc)
            self.store.add_chunks(doc.doc_id, chunks)
        task = asyncio.create_task(self._summarize(doc, chunks, ctx))
        running.add(task)
        in_flight[doc.doc_id] = task
        task.add_done_callback(partial(_forget, in_flight, doc.doc_id))
        return _Slot(doc, task=task)

    def _from_store(self, doc: Document, stored: str) -> _Outcome:
        try:
            summary = DocumentSummary.model_validate_json(stored)
        except ValidationError as exc:
            reason = f"stored summary is unreadable: {exc.errors()[0]['msg']}"
            return self._record(doc, _Failed("cache", reason))
        problems = verify_summary(summary, doc.text)
        if problems:
            reason = f"stored summary failed verification: {_describe_problems(problems)}"
            return self._record(doc, _Failed("verify", reason))
        return _Done(summary, cached=True)

    async def _summarize(self, doc: Document, chunks: list[Chunk], ctx: CallContext) -> _Outcome:
        """Summarize, verify and commit one document; every error becomes an outcome."""
        try:
            summary = await summarize_document(self.backend, doc, chunks, ctx, self.store)
        except BudgetExceeded as exc:
            return _OverBudget(exc.message)
        except SummaryRejected as exc:
            return self._record(doc, _Failed(exc.stage, exc.message, exc.retryable))
        except UsageError as exc:  # the server cannot be used as configured: stop the run
            self._record(doc, _Failed("summarize", exc.message, exc.retryable))
            raise
        except LitdigestError as exc:
            return self._record(doc, _Failed("summarize", exc.message, exc.retryable))
        except Exception as exc:  # a backend bug must not stop the batch
            reason = f"internal error: {type(exc).__name__}: {exc}"
            return self._record(doc, _Failed("summarize", reason))
        return _Done(summary, cached=False)

    def _record(self, doc: Document, failed: _Failed) -> _Failed:
        """Log a failure row now (the stderr line comes in output order, from ``_drain``)."""
        failed = _Failed(failed.stage, _one_line(failed.reason), failed.retryable)
        with suppress(LitdigestError):  # the stderr line still reports it
            self.store.record_failure(
                doc.source,
                failed.stage,
                failed.reason,
                doc_id=doc.doc_id,
                retryable=failed.retryable,
                run_id=self.result.run_id,
            )
        return failed

    def _input_failed(self, err: InputError) -> None:
        self.result.input_errors += 1
        reason = _one_line(err.reason)
        self.reporter.fail(InputError(err.source, reason))
        with suppress(LitdigestError):
            self.store.record_failure(err.source, "ingest", reason, run_id=self.result.run_id)
        self._update()

    def _drain(self, pending: deque[_Slot], running: set[asyncio.Task[_Outcome]]) -> None:
        """Emit every finished slot at the head of the queue, in input order."""
        for task in running:  # a run-stopping error (e.g. a bad API key) ends the run now
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        running.difference_update([t for t in running if t.done()])
        result = self.result
        while pending and pending[0].done():
            slot = pending.popleft()
            outcome = slot.result()
            if isinstance(outcome, _Done):
                self.sink.write(_for_doc(outcome.summary, slot.doc))
                if outcome.cached or not slot.first:
                    result.cached += 1
                else:
                    result.summarized += 1
            elif isinstance(outcome, _OverBudget):
                if result.budget_message is None:
                    result.budget_message = outcome.message
                result.remaining += 1
            else:
                result.failed += 1
                if not slot.first:  # a repeat of the text shares the outcome; log it too
                    self._record(slot.doc, outcome)
                self.reporter.fail(InputError(slot.doc.source, outcome.reason))
            self._update()
        # A budget stop is known as soon as any task hits it, even out of order.
        if result.budget_message is None:
            for slot in pending:
                if slot.task is not None and slot.task.done():
                    outcome = slot.task.result()
                    if isinstance(outcome, _OverBudget):
                        result.budget_message = outcome.message
                        break

    def _update(self) -> None:
        if self.on_update is not None:
            self.on_update(self.result)


def headroom(concurrency: int) -> int:
    """Documents started beyond ``concurrency`` for a backend whose requests wait for the
    limiter: enough to cover the time a document spends before its request and after its
    reply (prompt, chunking, grounding, support check, store), a quarter plus one."""
    return concurrency // 4 + 1


def backend_key(backend: Backend) -> tuple[str, str, str, str]:
    """The cache key of a backend's summaries: name, model, prompt version, settings hash."""
    return (backend.name, backend.model, backend.prompt_version, backend.settings_hash())


async def summarize_document(
    backend: Backend,
    doc: Document,
    chunks: list[Chunk],
    ctx: CallContext,
    store: Store,
    *,
    in_thread: bool = False,
) -> DocumentSummary:
    """Summarize one stored document, verify every quote and commit the summary.

    The one path from a document to a stored summary (the batch runner and the review app's
    "summarize again"). ``in_thread`` runs the backend in a worker thread (a CPU-bound backend
    with no store in ``ctx``); verifying and storing stay on the caller's thread. Raises
    ``SummaryRejected`` (stage summarize, verify or store), or what the backend raised.
    """
    if in_thread:
        summary = await asyncio.to_thread(asyncio.run, backend.summarize(doc, chunks, ctx))
    else:
        summary = await backend.summarize(doc, chunks, ctx)
    if not isinstance(summary, DocumentSummary):
        reason = f"backend returned {type(summary).__name__}, not a DocumentSummary"
        raise SummaryRejected("summarize", reason)
    problems = verify_summary(summary, doc.text)
    if problems:
        reason = f"summary failed verification: {_describe_problems(problems)}"
        raise SummaryRejected("verify", reason)
    await asyncio.sleep(0)  # let other requests' replies in before the commit
    try:
        store.put_summary(doc.doc_id, *backend_key(backend), summary.model_dump_json())
    except LitdigestError as exc:
        raise SummaryRejected("store", exc.message, retryable=exc.retryable) from None
    return summary


def _next_or_none(iterator: Iterator[Document | InputError]) -> Document | InputError | None:
    return next(iterator, None)


def _forget(
    in_flight: dict[str, asyncio.Task[_Outcome]], doc_id: str, task: asyncio.Task[_Outcome]
) -> None:
    if in_flight.get(doc_id) is task:
        del in_flight[doc_id]


async def run_batch(
    items: Iterable[Document | InputError],
    backend: Backend,
    store: Store,
    sink: SummarySink,
    reporter: FailureReporter,
    *,
    chunker: Chunker | None = None,
    concurrency: int = 8,
    budget: Budget | None = None,
    run_args: dict[str, Any] | None = None,
    window: int | None = None,
    on_update: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Summarize ``items`` (from ``iter_documents``) with ``backend``; see ``BatchRunner``."""
    runner = BatchRunner(
        backend,
        store,
        sink,
        reporter,
        chunker=chunker or Chunker(),
        concurrency=concurrency,
        budget=budget,
        run_args=run_args,
        window=window,
        on_update=on_update,
    )
    return await runner.run(items)


def make_runner(
    backend: Backend,
    store: Store,
    sink: SummarySink,
    reporter: FailureReporter,
    settings: Settings,
    *,
    run_args: dict[str, Any] | None = None,
) -> BatchRunner:
    """The runner ``litdigest summarize`` uses: chunking, concurrency and budget from
    ``settings`` (the CLI, the Python API and ``batch resume`` all build it here)."""
    opts = settings.summarize
    return BatchRunner(
        backend,
        store,
        sink,
        reporter,
        chunker=Chunker(settings.chunk),
        concurrency=opts.concurrency,
        budget=Budget(opts.max_cost_usd, opts.max_tokens),
        run_args=run_args,
    )
