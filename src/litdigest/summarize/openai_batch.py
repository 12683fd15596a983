"""``litdigest summarize --batch-api``: summarize through OpenAI's Batch API (half price).

Works with OpenAI or any server implementing ``/v1/files`` and ``/v1/batches``.

**Submit** (``submit``): each document is stored with its chunks, then run through the
normal ``SummaryChain`` with a *recording* ``ChatCaller``: instead of sending, the caller
records the request the online path would send (same messages, same strict ``json_schema``
response format, same model and temperature; the body is built by ``ChatOpenAI`` itself) and
stops the chain. Short documents give one ``summarize`` request, long ones one ``map``
request per chunk. Requests already in the request cache are not sent again. Requests go
into JSONL files of at most 50,000 requests / 200 MB (a document's requests stay in one
file), each uploaded with ``files.create(purpose="batch")`` and submitted with
``batches.create(endpoint="/v1/chat/completions", completion_window="24h")``. The job, its
provider ids and every ``custom_id → (doc_id, request hash, kind, part)`` are committed to the
store *before* the upload, so nothing is lost if the process dies at any point.

**Resume** (``resume``; ``litdigest batch resume``): any process, any time later, picks the
unfinished jobs up from the store, polls them, and once a batch is terminal (completed,
expired, cancelled or failed) downloads its output and error files. Each successful result
is logged as an LLM call (tokens, cost at the **batch** price, ``pricing.cost_usd(batch=True)``)
and stored in the request cache under the exact hash the online path computes. Then every
document of the job is summarized by the normal online path (``BatchRunner`` with the
``openai`` backend): the batch results are replayed from the cache, so they are parsed,
validated, re-asked and grounded exactly like online replies; whatever has no usable
result (failed or expired items, re-asks for invented quotes, and the **reduce** step of
map-reduced documents) is sent online at the normal price. Summary ``usage`` adds the batch
usage of the document to the online usage.

A job whose upload or creation failed has no provider id; resuming it sends its documents
through the online path.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, SecretStr

from litdigest.errors import BackendError, InputError, LitdigestError, UsageError
from litdigest.llm.pricing import cost_usd
from litdigest.redaction import redact, register_secret
from litdigest.store.rows import BatchJob
from litdigest.store.store import Store, utc_now
from litdigest.summarize.backends.base import CallContext
from litdigest.summarize.schema import DocumentSummary, Usage

if TYPE_CHECKING:
    import openai
    from langchain_core.messages import BaseMessage

    from litdigest.config import Settings
    from litdigest.documents import Chunk, Document
    from litdigest.llm.caller import CallContext as CallerContext
    from litdigest.summarize.backends.openai import ChatCaller, OpenAIBackend, Reply, UsageMeter

__all__ = [
    "ENDPOINT",
    "MAX_BYTES_PER_FILE",
    "MAX_REQUESTS_PER_FILE",
    "PENDING",
    "TERMINAL",
    "PlannedRequest",
    "ResumeResult",
    "SubmitResult",
    "build_requests",
    "cancel",
    "make_client",
    "refresh_status",
    "resume",
    "select_jobs",
    "split_requests",
    "submit",
]

ENDPOINT: Final = "/v1/chat/completions"
MAX_REQUESTS_PER_FILE: Final = 50_000
MAX_BYTES_PER_FILE: Final = 200 * 1024 * 1024
TERMINAL: Final = frozenset({"completed", "failed", "expired", "cancelled"})
PENDING: Final = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
EXIT_PENDING: Final = 3  # resume --no-wait: some batches are still running

_KINDS: Final[dict[str, str]] = {
    "ModelSummary": "summarize",
    "MapOutput": "map",
    "ReduceOutput": "reduce",
}


# --------------------------------------------------------------------------------------------
# Building the requests


class _Deferred(Exception):
    """Raised by the recording caller in place of sending: stops the chain for this document."""


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """One line of a batch input file."""

    custom_id: str
    doc_id: str
    request_hash: str
    kind: str  # summarize | map | reduce
    part: int | None
    body: dict[str, Any]
    prompt_tokens: int

    def line(self) -> bytes:
        item = {"custom_id": self.custom_id, "method": "POST", "url": ENDPOINT, "body": self.body}
        return (json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


@dataclass(frozen=True, slots=True)
class _Recorded:
    doc_id: str | None
    request_hash: str
    messages: list[BaseMessage]
    spec: dict[str, Any]
    kind: str
    max_tokens: int | None = None


def _recording_caller(base: ChatCaller) -> Any:
    """A ``ChatCaller`` that records the request it would send and raises ``_Deferred``
    (defined here so that importing this module does not load the LLM stack)."""
    from litdigest.summarize.backends.openai import ChatCaller

    class _RecordingCaller(ChatCaller):
        """A ``ChatCaller`` that records the request it would send and raises ``_Deferred``.

        Cached replies are still replayed, so a document whose requests are all cached completes.
        """

        def __init__(self, base: ChatCaller) -> None:
            super().__init__(
                base.chat_model,
                model=base.model,
                settings=base.settings,
                backend=base.backend,
                methods=base.methods,
            )
            self.recorded: list[_Recorded] = []

        async def _send(
            self,
            messages: Sequence[BaseMessage],
            output: type[BaseModel],
            prompt_version: str,
            ctx: CallerContext,
            meter: UsageMeter,
            doc_id: str | None,
            max_tokens: int | None,
            use_cache: bool,
        ) -> Any:
            from litdigest.llm.caller import _Sent

            spec = self.spec_for(output)
            hit = self.cached_reply(messages, spec, ctx, max_tokens) if use_cache else None
            if hit is not None:
                meter.cache_hits += 1
                return _Sent(hit[0], hit[1], cached=True)
            method = self.methods[0]
            msgs = self.messages_for(method, messages, spec)
            self.recorded.append(
                _Recorded(
                    doc_id,
                    self.request_hash(method, msgs, spec, max_tokens),
                    msgs,
                    spec,
                    _KINDS.get(output.__name__, output.__name__.lower()),
                    max_tokens,
                )
            )
            raise _Deferred(doc_id)

    return _RecordingCaller(base)


def request_body(
    model: str,
    messages: Sequence[BaseMessage],
    spec: dict[str, Any],
    max_tokens: int | None = None,
    limit_field: str = "max_completion_tokens",
) -> dict[str, Any]:
    """The chat-completions body the online path sends for a strict ``json_schema`` request
    (built by ``ChatOpenAI`` itself), without ``stream``, which batches do not take."""
    from langchain_openai import ChatOpenAI
    from langchain_openai.chat_models.base import _convert_to_openai_response_format

    from litdigest.summarize.backends.openai import TEMPERATURE

    llm = ChatOpenAI(
        model=model,
        api_key=SecretStr("unused"),
        temperature=TEMPERATURE,
        use_responses_api=False,
        max_retries=0,
    )
    response_format = _convert_to_openai_response_format({**spec, "strict": True}, strict=True)
    payload: dict[str, Any] = llm._get_request_payload(
        list(messages), response_format=response_format
    )
    payload.pop("stream", None)
    if max_tokens is not None:
        payload[limit_field] = max_tokens
    return payload


@dataclass
class _Collected:
    requests: list[PlannedRequest] = field(default_factory=list)
    completed: list[DocumentSummary] = field(default_factory=list)  # answered from the cache
    failed: list[tuple[Document, str]] = field(default_factory=list)


async def _collect(
    backend: OpenAIBackend, docs: Iterable[tuple[Document, list[Chunk]]], store: Store
) -> _Collected:
    from litdigest.chunk.tokens import count_tokens
    from litdigest.summarize.chains import SummaryChain

    recorder = _recording_caller(backend.caller)
    chain = SummaryChain(
        recorder,
        summarize=backend.prompts["summarize"],
        map_prompt=backend.prompts["map"],
        reduce=backend.prompts["reduce"],
        settings=backend.settings,
        backend=backend.name,
    )
    ctx = CallContext(store=store)
    out = _Collected()
    encoding = backend.settings.chunk.encoding
    for doc, chunks in docs:
        recorder.recorded.clear()
        try:
            summary = await chain.summarize(doc, chunks, ctx)
        except _Deferred:
            pass
        except LitdigestError as exc:
            out.failed.append((doc, exc.message))
            continue
        else:
            out.completed.append(summary)
            continue
        seen: set[str] = set()
        parts = 0
        for rec in recorder.recorded:
            if rec.request_hash in seen:
                continue
            seen.add(rec.request_hash)
            part: int | None = None
            if rec.kind == "map":
                parts += 1
                part = parts
            tokens = sum(count_tokens(str(m.content), encoding) for m in rec.messages)
            out.requests.append(
                PlannedRequest(
                    custom_id=f"{doc.doc_id}-{rec.kind}-{len(seen)}",
                    doc_id=doc.doc_id,
                    request_hash=rec.request_hash,
                    kind=rec.kind,
                    part=part,
                    body=request_body(
                        backend.model,
                        rec.messages,
                        rec.spec,
                        rec.max_tokens,
                        backend.caller.limit_field,
                    ),
                    prompt_tokens=tokens,
                )
            )
    return out


def build_requests(
    backend: OpenAIBackend, docs: Sequence[tuple[Document, list[Chunk]]], store: Store
) -> list[PlannedRequest]:
    """The batch requests for ``docs`` (documents and chunks already stored)."""
    return asyncio.run(_collect(backend, docs, store)).requests


def split_requests(
    requests: Sequence[PlannedRequest],
    *,
    max_requests: int = MAX_REQUESTS_PER_FILE,
    max_bytes: int = MAX_BYTES_PER_FILE,
) -> list[list[PlannedRequest]]:
    """Groups that each fit one batch file; a document's requests stay together."""
    by_doc: dict[str, list[PlannedRequest]] = {}
    for req in requests:
        by_doc.setdefault(req.doc_id, []).append(req)
    groups: list[list[PlannedRequest]] = []
    current: list[PlannedRequest] = []
    size = 0
    for doc_requests in by_doc.values():
        doc_size = sum(len(r.line()) for r in doc_requests)
        if len(doc_requests) > max_requests or doc_size > max_bytes:
            raise UsageError(
                f"document {doc_requests[0].doc_id} needs {len(doc_requests)} requests "
                f"({doc_size} bytes): more than one batch file takes"
            )
        if current and (
            len(current) + len(doc_requests) > max_requests or size + doc_size > max_bytes
        ):
            groups.append(current)
            current, size = [], 0
        current.extend(doc_requests)
        size += doc_size
    if current:
        groups.append(current)
    return groups


# --------------------------------------------------------------------------------------------
# Client


def make_client(settings: Settings) -> openai.OpenAI:
    """A synchronous OpenAI client for the files and batches endpoints."""
    import openai

    cfg = settings.openai
    key = cfg.api_key.get_secret_value() if cfg.api_key is not None else None
    register_secret(key)
    if not key and not cfg.base_url:
        raise UsageError(
            "the Batch API needs an API key (OPENAI_API_KEY) or a server URL (--base-url)"
        )
    return openai.OpenAI(
        api_key=key or "not-needed",
        base_url=cfg.base_url,
        timeout=cfg.timeout_s,
        max_retries=settings.summarize.max_retries,
    )


def _api_error(exc: BaseException, what: str) -> BackendError:
    from litdigest.summarize.backends.openai import one_line

    return BackendError(f"batch API: {what}: {one_line(f'{type(exc).__name__}: {exc}', 200)}")


# --------------------------------------------------------------------------------------------
# Submit


@dataclass
class SubmitResult:
    jobs: list[BatchJob] = field(default_factory=list)
    documents: int = 0
    requests: int = 0
    cached: int = 0  # documents already summarized (stored) or answered from the cache
    failed: int = 0  # inputs that could not be read, or documents that failed to prepare
    estimated_input_cost_usd: float = 0.0


def submit(
    items: Iterable[Document | InputError],
    settings: Settings,
    store: Store,
    client: openai.OpenAI,
    *,
    backend: OpenAIBackend | None = None,
    max_requests: int = MAX_REQUESTS_PER_FILE,
    max_bytes: int = MAX_BYTES_PER_FILE,
    on_failure: Callable[[str, str], None] | None = None,
) -> SubmitResult:
    """Prepare, record, upload and create the batch jobs for ``items`` (see the module doc)."""
    from litdigest.summarize.backends.openai import OpenAIBackend

    backend = backend or OpenAIBackend(settings)
    key = (backend.name, backend.model, backend.prompt_version, backend.settings_hash())
    result = SubmitResult()
    run_id = store.start_run(
        {
            "command": "summarize --batch-api",
            "backend": key[0],
            "model": key[1],
            "prompt_version": key[2],
            "settings_hash": key[3],
        }
    )

    def failed(source: str, reason: str, doc_id: str | None = None) -> None:
        result.failed += 1
        store.record_failure(source, "batch-submit", reason, doc_id=doc_id, run_id=run_id)
        if on_failure is not None:
            on_failure(source, reason)

    todo = _documents_to_send(items, settings, store, key, result, failed)
    collected = asyncio.run(_collect(backend, todo, store))
    for doc, reason in collected.failed:
        failed(doc.source, reason, doc.doc_id)
    _store_completed(collected.completed, todo, store, key, result)
    groups = split_requests(collected.requests, max_requests=max_requests, max_bytes=max_bytes)
    args = {
        "backend": key[0],
        "model": key[1],
        "prompt_version": key[2],
        "settings_hash": key[3],
        "prompt_versions": {k: p.version for k, p in backend.prompts.items()},
    }
    for group in groups:
        job = _send_group(group, backend, store, client, args, run_id, on_failure)
        result.requests += len(group)
        result.estimated_input_cost_usd += cost_usd(
            backend.model, sum(r.prompt_tokens for r in group), 0, batch=True
        )
        result.jobs.append(job)
    store.finish_run(run_id, "submitted" if not result.failed else "failed")
    return result


def _documents_to_send(
    items: Iterable[Document | InputError],
    settings: Settings,
    store: Store,
    key: tuple[str, str, str, str],
    result: SubmitResult,
    failed: Callable[[str, str], None],
) -> list[tuple[Document, list[Chunk]]]:
    """Store every document and its chunks; those without a stored summary are to be sent."""
    from litdigest.chunk.chunker import Chunker

    chunker = Chunker(settings.chunk)
    todo: list[tuple[Document, list[Chunk]]] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, InputError):
            failed(item.source, item.reason)
            continue
        result.documents += 1
        store.add_document(item)
        if item.doc_id in seen or store.get_summary(item.doc_id, *key) is not None:
            result.cached += 1
            seen.add(item.doc_id)
            continue
        seen.add(item.doc_id)
        chunks = chunker.chunk_document(item)
        store.add_chunks(item.doc_id, chunks)
        todo.append((item, chunks))
    return todo


def _store_completed(
    completed: Sequence[DocumentSummary],
    todo: list[tuple[Document, list[Chunk]]],
    store: Store,
    key: tuple[str, str, str, str],
    result: SubmitResult,
) -> None:
    """Summaries whose every request was cached are done already: verify and store them."""
    from litdigest.summarize.grounding import verify_summary

    for summary in completed:
        doc = next(d for d, _ in todo if d.doc_id == summary.doc_id)
        if not verify_summary(summary, doc.text):
            store.put_summary(summary.doc_id, *key, summary.model_dump_json())
            result.cached += 1


def _send_group(
    group: Sequence[PlannedRequest],
    backend: OpenAIBackend,
    store: Store,
    client: openai.OpenAI,
    args: dict[str, Any],
    run_id: int,
    on_failure: Callable[[str, str], None] | None,
) -> BatchJob:
    """Record one job, upload its JSONL file and create the provider batch."""
    rows = [(r.custom_id, r.doc_id, r.request_hash, r.kind, r.part) for r in group]
    job_id = store.add_batch_job(
        endpoint=ENDPOINT, model=backend.model, requests=rows, args=args, run_id=run_id
    )
    data = b"".join(r.line() for r in group)
    try:
        upload = client.files.create(
            file=(f"litdigest-job-{job_id}.jsonl", data, "application/jsonl"),
            purpose="batch",
        )
        store.update_batch_job(job_id, input_file_id=upload.id)
        batch = client.batches.create(
            input_file_id=upload.id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"litdigest_job": str(job_id)},
        )
        store.update_batch_job(job_id, batch_id=batch.id, status=batch.status)
    except Exception as exc:
        error = _api_error(exc, "submitting failed")
        store.update_batch_job(job_id, status="submit_failed", error=error.message)
        if on_failure is not None:
            on_failure(f"batch job {job_id}", error.message + " (resume sends it online)")
    job = store.batch_job(job_id)
    assert job is not None
    return job


# --------------------------------------------------------------------------------------------
# Resume


@dataclass
class ResumeResult:
    collected: list[BatchJob] = field(default_factory=list)
    pending: list[BatchJob] = field(default_factory=list)
    ok: int = 0  # batch results cached
    failed_items: int = 0  # batch items without a usable result (sent online instead)
    exit_code: int = 0
    summaries: int = 0


def _read_file(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if not file_id:
        return []
    try:
        content = client.files.content(file_id)
        text = content.read().decode("utf-8", errors="replace")
    except Exception as exc:
        raise _api_error(exc, f"downloading {file_id} failed") from None
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


def _reply_of(body: Any) -> tuple[Reply, int, int] | None:
    """(reply, prompt tokens, completion tokens) of a chat-completion body, or None."""
    from litdigest.summarize.backends.openai import Reply

    if not isinstance(body, dict):
        return None
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    if not isinstance(message, dict):
        return None
    text = message.get("content")
    if not text and isinstance(message.get("tool_calls"), list) and message["tool_calls"]:
        function = message["tool_calls"][0].get("function") or {}
        text = function.get("arguments")
    refusal = message.get("refusal")
    finish = choices[0].get("finish_reason")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    assert isinstance(usage, dict)
    reply = Reply(
        method="json_schema",
        text=text if isinstance(text, str) else None,
        refusal=refusal if isinstance(refusal, str) and refusal else None,
        finish_reason=finish if isinstance(finish, str) else None,
    )
    return reply, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def _error_of(item: dict[str, Any]) -> str:
    error = item.get("error")
    if isinstance(error, dict):
        return f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
    response = item.get("response")
    if isinstance(response, dict):
        body = response.get("body")
        inner = body.get("error") if isinstance(body, dict) else None
        message = inner.get("message") if isinstance(inner, dict) else None
        return f"HTTP {response.get('status_code')}: {message or 'no usable reply'}"
    return "no result"


def _apply(
    store: Store, job: BatchJob, outputs: list[dict[str, Any]], errors: list[dict[str, Any]]
) -> tuple[int, int, dict[str, Usage]]:
    """Cache usable results, log every item; return (ok, failed, batch usage per document)."""
    args = json.loads(job.args_json)
    versions: dict[str, str] = args.get("prompt_versions", {})
    requests = {r.custom_id: r for r in store.batch_requests(job.id)}
    usage: dict[str, Usage] = {}
    ok = failed = 0
    answered: set[str] = set()
    for item in [*outputs, *errors]:
        custom_id = item.get("custom_id")
        req = requests.get(custom_id) if isinstance(custom_id, str) else None
        if req is None or req.custom_id in answered:
            continue
        answered.add(req.custom_id)
        response = item.get("response")
        parsed = None
        if isinstance(response, dict) and response.get("status_code") == 200:
            parsed = _reply_of(response.get("body"))
        version = versions.get(req.kind, req.kind)
        if parsed is None:
            reason = redact(_error_of(item))
            store.log_llm_call(
                model=job.model,
                prompt_version=version,
                request_hash=req.request_hash,
                status="error",
                error=f"batch {job.batch_id}: {reason}",
                doc_id=req.doc_id,
                backend=args.get("backend", "openai"),
                run_id=job.run_id,
            )
            store.set_batch_request_status(job.id, req.custom_id, "failed", reason)
            failed += 1
            continue
        reply, prompt_tokens, completion_tokens = parsed
        cost = cost_usd(job.model, prompt_tokens, completion_tokens, batch=True)
        with store.transaction():
            store.log_llm_call(
                model=job.model,
                prompt_version=version,
                request_hash=req.request_hash,
                status="ok",
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd=cost,
                doc_id=req.doc_id,
                backend=args.get("backend", "openai"),
                run_id=job.run_id,
                response_json=reply.to_json(),
            )
            store.set_batch_request_status(job.id, req.custom_id, "ok")
        usage[req.doc_id] = usage.get(req.doc_id, Usage()) + Usage(
            calls=1,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
        )
        ok += 1
    for req in requests.values():
        if req.custom_id not in answered and req.status == "pending":
            store.set_batch_request_status(job.id, req.custom_id, "failed", "no result")
            failed += 1
    return ok, failed, usage


class _WithBatchUsage:
    """The online backend, with each summary's usage including its batch usage."""

    def __init__(self, inner: OpenAIBackend, usage: dict[str, Usage]) -> None:
        self.inner = inner
        self.usage = usage
        self.name = inner.name
        self.model = inner.model
        self.prompt_version = inner.prompt_version

    def settings_hash(self) -> str:
        return self.inner.settings_hash()

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        summary = await self.inner.summarize(doc, chunks, ctx)
        extra = self.usage.get(doc.doc_id)
        if extra is not None:
            summary = summary.model_copy(update={"usage": summary.usage + extra})
        return summary


def _poll(
    client: openai.OpenAI,
    store: Store,
    job: BatchJob,
    *,
    wait: bool,
    poll_s: float,
    deadline: float | None,
) -> Any:
    """Retrieve the batch until it is terminal (or not waiting / past the deadline)."""
    assert job.batch_id is not None
    while True:
        try:
            batch = client.batches.retrieve(job.batch_id)
        except Exception as exc:
            raise _api_error(exc, f"retrieving {job.batch_id} failed") from None
        if batch.status != job.status:
            store.update_batch_job(job.id, status=batch.status)
        if batch.status in TERMINAL or not wait:
            return batch
        if deadline is not None and time.monotonic() + poll_s > deadline:
            return batch
        time.sleep(poll_s)


def refresh_status(client: openai.OpenAI, store: Store, job: BatchJob) -> str:
    """Ask the server for the job's batch status once (stored when it changed)."""
    return str(_poll(client, store, job, wait=False, poll_s=0, deadline=None).status)


def resume(
    store: Store,
    settings: Settings,
    client: openai.OpenAI,
    *,
    keys: Sequence[str] = (),
    wait: bool = True,
    poll_s: float = 30.0,
    timeout_s: float | None = None,
    sink: Any = None,
    reporter: Any = None,
    concurrency: int | None = None,
    on_message: Callable[[str], None] | None = None,
) -> ResumeResult:
    """Poll, download, apply and finish the unfinished jobs (all, or those named in ``keys``:
    provider batch ids or job numbers)."""
    say = on_message or (lambda _m: None)
    result = ResumeResult()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    ready: list[BatchJob] = []
    usage: dict[str, Usage] = {}
    for job in select_jobs(store, keys, unfinished=True):
        if _collect_job(store, client, job, result, usage, say, wait, poll_s, deadline):
            ready.append(job)
    for model in sorted({j.model for j in ready}):
        group = [j for j in ready if j.model == model]
        _finish_group(
            store, settings, model, group, usage, result, sink, reporter, concurrency, say
        )
    if result.pending and not result.exit_code:
        result.exit_code = EXIT_PENDING
    return result


def _collect_job(
    store: Store,
    client: openai.OpenAI,
    job: BatchJob,
    result: ResumeResult,
    usage: dict[str, Usage],
    say: Callable[[str], None],
    wait: bool,
    poll_s: float,
    deadline: float | None,
) -> bool:
    """Poll one job and apply its results; True when it is ready to finish online."""
    if job.batch_id is None:
        say(f"job {job.id}: never submitted ({job.error or job.status}); sending it online")
        _, failed, _ = _apply(store, job, [], [])
        result.failed_items += failed
        return True
    batch = _poll(client, store, job, wait=wait, poll_s=poll_s, deadline=deadline)
    if batch.status not in TERMINAL:
        say(f"job {job.id} ({job.batch_id}): {batch.status}")
        result.pending.append(job)
        return False
    outputs = _read_file(client, batch.output_file_id)
    errors = _read_file(client, batch.error_file_id)
    store.update_batch_job(
        job.id,
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        status=batch.status,
    )
    ok, failed, job_usage = _apply(store, job, outputs, errors)
    result.ok += ok
    result.failed_items += failed
    for doc_id, u in job_usage.items():
        usage[doc_id] = usage.get(doc_id, Usage()) + u
    say(
        f"job {job.id} ({job.batch_id}): {batch.status}; {ok} result(s) ok, {failed} "
        "without a usable result (sent online)"
    )
    return True


def _finish_group(
    store: Store,
    settings: Settings,
    model: str,
    group: list[BatchJob],
    usage: dict[str, Usage],
    result: ResumeResult,
    sink: Any,
    reporter: Any,
    concurrency: int | None,
    say: Callable[[str], None],
) -> None:
    """Summarize the documents of ``group`` (one model) from the applied cache; mark them done."""
    from litdigest.chunk.chunker import Chunker
    from litdigest.summarize.backends.base import Budget
    from litdigest.summarize.backends.openai import OpenAIBackend
    from litdigest.summarize.runner import BatchRunner

    job_settings = settings.with_overrides(**{"openai.model": model})
    backend = OpenAIBackend(job_settings)
    for job in group:
        stored = json.loads(job.args_json).get("settings_hash")
        if stored and stored != backend.settings_hash():
            say(
                f"job {job.id}: settings changed since it was submitted; requests that "
                "no longer match are sent online"
            )
    doc_ids = list(dict.fromkeys(r.doc_id for j in group for r in store.batch_requests(j.id)))
    docs = [d for d in (store.get_document(i) for i in doc_ids) if d is not None]
    opts = job_settings.summarize
    runner = BatchRunner(
        _WithBatchUsage(backend, usage),
        store,
        sink,
        reporter,
        chunker=Chunker(job_settings.chunk),
        concurrency=concurrency or opts.concurrency,
        budget=Budget(opts.max_cost_usd, opts.max_tokens),
        run_args={"command": "batch resume", "jobs": [j.id for j in group]},
    )
    outcome = asyncio.run(runner.run(docs))
    result.summaries += outcome.emitted
    if outcome.exit_code:
        result.exit_code = max(result.exit_code, outcome.exit_code)
    if not outcome.interrupted:
        for job in group:
            store.update_batch_job(job.id, finished_at=utc_now())
            refreshed = store.batch_job(job.id)
            assert refreshed is not None
            result.collected.append(refreshed)


def select_jobs(store: Store, keys: Sequence[str], *, unfinished: bool) -> list[BatchJob]:
    jobs = store.batch_jobs(unfinished=unfinished)
    if not keys:
        return jobs
    wanted: list[BatchJob] = []
    for key in keys:
        job = store.batch_job(int(key)) if key.isdigit() else store.batch_job(key)
        if job is None:
            raise UsageError(f"no batch job {key!r} in {store.path}")
        wanted.append(job)
    return wanted


def cancel(
    store: Store, client: openai.OpenAI, keys: Sequence[str] = ()
) -> list[tuple[BatchJob, str]]:
    """Cancel running batches (all unfinished, or ``keys``); returns (job, new status)."""
    out: list[tuple[BatchJob, str]] = []
    for job in select_jobs(store, keys, unfinished=True):
        if job.batch_id is None or job.status in TERMINAL:
            out.append((job, job.status))
            continue
        try:
            batch = client.batches.cancel(job.batch_id)
        except Exception as exc:
            raise _api_error(exc, f"cancelling {job.batch_id} failed") from None
        store.update_batch_job(job.id, status=batch.status)
        out.append((job, batch.status))
    return out
