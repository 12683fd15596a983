"""OpenAI (or any OpenAI-compatible server) summarizer backend.

Two layers:

* ``ChatCaller`` sends one structured-output request through a LangChain chat model
  (``ChatOpenAI`` here; any ``BaseChatModel`` in tests) and owns everything around it:

  - **structured output** with ``with_structured_output(schema, method=..., strict=True,
    include_raw=True)``: ``json_schema`` first, then ``function_calling``, then ``json_mode``
    when the server refuses the previous one (HTTP 400 naming response_format / json_schema
    / tools); the working method is remembered per caller. The raw reply is always parsed by
    us (``jsonrepair``) and validated with the pydantic model, so malformed JSON is repaired
    when possible;
  - **re-asking** (``reask_attempts``) with the parse/validation error or the refusal
    appended to the conversation; a truncated reply (``finish_reason == "length"``) raises
    ``TruncatedOutput`` so the chain can split its input;
  - **retries** (tenacity): 429 (honouring ``retry-after-ms`` / ``Retry-After``), 5xx,
    timeouts and connection errors, up to ``max_retries`` with exponential backoff and
    jitter; any other 4xx fails at once with a one-line, key-free ``BackendError``;
  - per request: ``ctx.budget.check()`` before sending, ``ctx.limiter`` around the request,
    usage and cost added to the document's ``UsageMeter`` (across retries and re-asks) and to
    ``ctx.budget``, one ``llm_calls`` row per attempt (errors redacted);
  - the **request cache**: ``stable_hash`` of (backend, model, method, messages, schema,
    temperature); a cached reply is replayed and nothing is sent.

* ``OpenAIBackend`` implements the ``Backend`` protocol on top of it; the summarization
  logic (single call vs map-reduce, grounding) lives in ``litdigest.summarize.chains``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import json
import random
import time
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar, cast

import httpx2
import openai
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableParallel, RunnableSequence
from pydantic import BaseModel, SecretStr, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from litdigest.errors import BackendError, ConfigError
from litdigest.llm.jsonrepair import JSONRepairError, parse_json_object
from litdigest.llm.pricing import estimate
from litdigest.llm.prompts import Prompt, combine_versions, load_prompt
from litdigest.redaction import redact, register_secret
from litdigest.summarize.backends.base import BudgetExceeded, CallContext, stable_hash
from litdigest.summarize.schema import Usage, strict_json_schema

if TYPE_CHECKING:
    from litdigest.config import Settings, SummarizeSettings
    from litdigest.documents import Chunk, Document
    from litdigest.summarize.chains import SummaryChain
    from litdigest.summarize.schema import DocumentSummary

__all__ = [
    "METHODS",
    "Answer",
    "ChatCaller",
    "InvalidOutput",
    "Method",
    "OpenAIBackend",
    "OutputError",
    "RefusedOutput",
    "Reply",
    "TruncatedOutput",
    "UsageMeter",
]

Method = Literal["json_schema", "function_calling", "json_mode"]
METHODS: Final[tuple[Method, ...]] = ("json_schema", "function_calling", "json_mode")
TEMPERATURE: Final = 0.0
_MAX_ERROR_CHARS: Final = 300

T = TypeVar("T", bound=BaseModel)

# langchain-openai warns when a server refuses json_schema; we fall back on our own.
warnings.filterwarnings(
    "ignore", message="This model does not support OpenAI's structured output", category=UserWarning
)


class OutputError(BackendError):
    """The model answered, but the answer cannot be used."""


class InvalidOutput(OutputError):
    """Invalid JSON or schema violations, still after re-asking."""


class RefusedOutput(OutputError):
    """The model refused to answer, still after re-asking."""


class TruncatedOutput(OutputError):
    """The reply hit the output token limit (``finish_reason == "length"``)."""


class _MethodUnsupported(Exception):
    """The server refused the structured-output method (HTTP 400)."""


@dataclass
class UsageMeter:
    """Usage of one document, summed over every request sent (retries and re-asks too)."""

    usage: Usage = field(default_factory=Usage)
    unpriced: bool = False  # some call used a model without a known price
    cache_hits: int = 0

    def add(self, usage: Usage) -> None:
        self.usage = self.usage + usage


@dataclass(frozen=True, slots=True)
class Reply:
    """What a request returned (and what the request cache stores)."""

    method: str
    text: str | None  # message content, or the tool call's arguments
    refusal: str | None = None
    finish_reason: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "method": self.method,
                "text": self.text,
                "refusal": self.refusal,
                "finish_reason": self.finish_reason,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, blob: str) -> Reply | None:
        try:
            data = json.loads(blob)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("method"), str):
            return None
        return cls(
            method=data["method"],
            text=_str_or_none(data.get("text")),
            refusal=_str_or_none(data.get("refusal")),
            finish_reason=_str_or_none(data.get("finish_reason")),
        )


def _canonical(value: Any) -> str:
    """JSON as ``stable_hash`` serializes it (sorted keys, compact, UTF-8)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """A validated answer, with the conversation that produced it (for follow-ups)."""

    value: T
    text: str
    messages: list[BaseMessage]

    def followup(self, message: str) -> list[BaseMessage]:
        """The conversation with this answer and a new user message appended."""
        return [*self.messages, AIMessage(content=self.text), HumanMessage(content=message)]


def one_line(text: str, limit: int = _MAX_ERROR_CHARS) -> str:
    """``text`` redacted, on one line, at most ``limit`` characters."""
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ChatCaller:
    """Structured-output requests through a LangChain chat model (see the module docstring)."""

    def __init__(
        self,
        llm: BaseChatModel | Callable[[], BaseChatModel],
        *,
        model: str,
        settings: SummarizeSettings,
        backend: str = "openai",
        methods: Sequence[Method] = METHODS,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 20.0,
        max_retry_after_s: float = 120.0,
    ) -> None:
        if not methods:
            raise ValueError("at least one structured-output method is needed")
        self._llm = llm
        self._per_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[BaseChatModel, dict[tuple[Method, str], Any]]
        ] = weakref.WeakKeyDictionary()
        self.model = model
        self.settings = settings
        self.backend = backend
        self.methods: tuple[Method, ...] = tuple(methods)
        self.method: Method = self.methods[0]
        self.max_retry_after_s = max_retry_after_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self._schemas: dict[type[BaseModel], dict[str, Any]] = {}
        self._schema_blobs: dict[int, tuple[dict[str, Any], str]] = {}
        self._method_lock = asyncio.Lock()

    # ---- public ----------------------------------------------------------------------------

    async def ask(
        self,
        messages: Sequence[BaseMessage],
        output: type[T],
        *,
        prompt_version: str,
        ctx: CallContext,
        meter: UsageMeter,
        doc_id: str | None = None,
    ) -> Answer[T]:
        """Ask until the reply validates as ``output`` (1 + ``reask_attempts`` requests).

        Raises ``TruncatedOutput`` at once on a truncated reply, ``RefusedOutput`` /
        ``InvalidOutput`` when re-asking did not help, ``BackendError`` when the request
        itself failed, ``BudgetExceeded`` before sending once the budget is spent.
        """
        history = list(messages)
        problem = ""
        refused = False
        for _ in range(1 + self.settings.reask_attempts):
            reply = await self.send(
                history, output, prompt_version=prompt_version, ctx=ctx, meter=meter, doc_id=doc_id
            )
            if reply.finish_reason == "length":
                raise TruncatedOutput(
                    f"{self.model}: the reply was cut off at the output token limit",
                    retryable=False,
                )
            if reply.refusal is not None or not (reply.text or "").strip():
                refused = reply.refusal is not None
                problem = (
                    f"the model refused: {one_line(reply.refusal, 120)}"
                    if reply.refusal is not None
                    else "the reply was empty"
                )
                followup = (
                    "The text above is a published scientific article and summarizing it for "
                    "researchers is allowed. Reply with the JSON object only."
                )
            else:
                try:
                    value = parse_output(reply.text or "", output)
                except ValueError as exc:
                    refused = False
                    problem = str(exc)
                    followup = (
                        f"Your reply could not be used: {problem}. Reply again with only the "
                        "JSON object, following the schema exactly."
                    )
                else:
                    return Answer(value=value, text=reply.text or "", messages=list(messages))
            history = [
                *history,
                AIMessage(content=reply.text or reply.refusal or ""),
                HumanMessage(content=followup),
            ]
        error = RefusedOutput if refused else InvalidOutput
        raise error(f"{self.model}: unusable reply after re-asking: {one_line(problem, 200)}")

    async def send(
        self,
        messages: Sequence[BaseMessage],
        output: type[BaseModel],
        *,
        prompt_version: str,
        ctx: CallContext,
        meter: UsageMeter,
        doc_id: str | None = None,
    ) -> Reply:
        """One request (with retries and method fallback), or its cached reply."""
        spec = self._schema(output)
        method = self.method
        msgs = self._messages_for(method, messages, spec)
        request_hash = self.request_hash(method, msgs, spec)
        hit = self._cached(messages, spec, ctx, known=(method, request_hash))
        if hit is not None:
            meter.cache_hits += 1
            return hit
        while True:
            if method != self.method:  # fell back to another method: hash that request
                method = self.method
                msgs = self._messages_for(method, messages, spec)
                request_hash = self.request_hash(method, msgs, spec)
            try:
                return await self._send_with_retries(
                    method, msgs, spec, request_hash, prompt_version, ctx, meter, doc_id
                )
            except _MethodUnsupported:
                async with self._method_lock:
                    if self.method == method:
                        i = self.methods.index(method)
                        if i + 1 >= len(self.methods):
                            raise BackendError(
                                f"{self.backend} {self.model}: the server supports none of the "
                                f"structured-output methods {', '.join(self.methods)}",
                                retryable=False,
                            ) from None
                        self.method = self.methods[i + 1]

    def request_hash(
        self, method: Method, messages: Sequence[BaseMessage], spec: dict[str, Any]
    ) -> str:
        """Cache key: everything that changes the answer, never the API key.

        ``stable_hash`` of ``{"backend", "model", "method", "temperature", "schema",
        "messages": [{"role", "content"}...]}``, built from pieces so that the schema (the
        same for every request of a step) is serialized once per caller, not per request.
        The bytes hashed are exactly ``stable_hash``'s canonical JSON.
        """
        blob = (
            f'{{"backend":{_canonical(self.backend)},'
            f'"messages":{_canonical([{"content": m.content, "role": m.type} for m in messages])},'
            f'"method":{_canonical(method)},"model":{_canonical(self.model)},'
            f'"schema":{self._schema_json(spec)},"temperature":{_canonical(TEMPERATURE)}}}'
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def _schema_json(self, spec: dict[str, Any]) -> str:
        cached = self._schema_blobs.get(id(spec))
        if cached is not None and cached[0] is spec:
            return cached[1]
        blob = _canonical(spec)
        if any(s is spec for s in self._schemas.values()):  # only specs we keep alive
            self._schema_blobs[id(spec)] = (spec, blob)
        return blob

    # ---- internals -------------------------------------------------------------------------

    def _schema(self, output: type[BaseModel]) -> dict[str, Any]:
        spec = self._schemas.get(output)
        if spec is None:
            spec = {
                "name": output.__name__,
                "description": " ".join((output.__doc__ or output.__name__).split()),
                "schema": strict_json_schema(output),
            }
            self._schemas[output] = spec
        return spec

    def _cached(
        self,
        messages: Sequence[BaseMessage],
        spec: dict[str, Any],
        ctx: CallContext,
        known: tuple[Method, str] | None = None,
    ) -> Reply | None:
        """A stored reply to this request under any method (the current one first);
        ``known`` is a (method, request hash) pair already computed."""
        if ctx.store is None:
            return None
        order = [self.method, *(m for m in self.methods if m != self.method)]
        for method in order:
            if known is not None and method == known[0]:
                key = known[1]
            else:
                key = self.request_hash(method, self._messages_for(method, messages, spec), spec)
            blob = ctx.store.cache_get(key)
            if blob is not None and (reply := Reply.from_json(blob)) is not None:
                return reply
        return None

    @staticmethod
    def _messages_for(
        method: Method, messages: Sequence[BaseMessage], spec: dict[str, Any]
    ) -> list[BaseMessage]:
        """JSON mode carries no schema: it is given in the system message instead."""
        if method != "json_mode":
            return list(messages)
        note = (
            "\n\nReply with one JSON object, and nothing else, that matches this JSON Schema:\n"
            + json.dumps(spec["schema"], ensure_ascii=False, separators=(",", ":"))
        )
        out = list(messages)
        for i, m in enumerate(out):
            if isinstance(m, SystemMessage):
                out[i] = SystemMessage(content=f"{m.text}{note}")
                return out
        return [SystemMessage(content=note.strip()), *out]

    def _loop_state(self) -> tuple[BaseChatModel, dict[tuple[Method, str], Any]]:
        """The chat model for the running event loop (a factory makes one per loop, since
        HTTP connection pools are bound to the loop that opened them)."""
        loop = asyncio.get_running_loop()
        state = self._per_loop.get(loop)
        if state is None:
            llm = self._llm if isinstance(self._llm, BaseChatModel) else self._llm()
            state = (llm, {})
            self._per_loop[loop] = state
        return state

    def _runnable(self, method: Method, spec: dict[str, Any]) -> Runnable[Any, Any]:
        llm, runnables = self._loop_state()
        key = (method, spec["name"])
        runnable = runnables.get(key)
        if runnable is not None:
            return cast("Runnable[Any, Any]", runnable)
        try:
            if method == "json_schema":
                runnable = llm.with_structured_output(
                    {**spec, "strict": True}, method="json_schema", strict=True, include_raw=True
                )
            elif method == "function_calling":
                tool = {
                    "name": spec["name"],
                    "description": spec["description"],
                    "parameters": spec["schema"],
                }
                runnable = llm.with_structured_output(
                    tool, method="function_calling", strict=True, include_raw=True
                )
            else:
                runnable = llm.with_structured_output(
                    spec["schema"], method="json_mode", include_raw=True
                )
        except NotImplementedError:  # a chat model without structured output: parse the text
            runnable = RunnableParallel(raw=llm)
        runnable = _raw_step(runnable)
        runnables[key] = runnable
        return runnable

    async def _send_with_retries(
        self,
        method: Method,
        messages: list[BaseMessage],
        spec: dict[str, Any],
        request_hash: str,
        prompt_version: str,
        ctx: CallContext,
        meter: UsageMeter,
        doc_id: str | None,
    ) -> Reply:
        runnable = self._runnable(method, spec)
        attempts = self.settings.max_retries + 1
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(
                        runnable, method, messages, request_hash, prompt_version, ctx, meter, doc_id
                    )
        except BudgetExceeded:
            raise
        except openai.BadRequestError as exc:
            if _rejects_method(exc, method):
                raise _MethodUnsupported from None
            raise self._error(exc, 1) from None
        except (openai.APIError, openai.OpenAIError) as exc:
            raise self._error(exc, attempts if _is_transient(exc) else 1) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        runnable: Runnable[Any, Any],
        method: Method,
        messages: list[BaseMessage],
        request_hash: str,
        prompt_version: str,
        ctx: CallContext,
        meter: UsageMeter,
        doc_id: str | None,
    ) -> Reply:
        ctx.budget.check()
        limiter = ctx.limiter if ctx.limiter is not None else contextlib.nullcontext()
        async with limiter:
            started = time.perf_counter()
            try:
                result = await runnable.ainvoke(messages)
            except openai.LengthFinishReasonError as exc:
                reply, usage = self._from_completion(method, exc.completion, "length")
            except openai.ContentFilterFinishReasonError as exc:
                reply, usage = (
                    Reply(method, None, refusal="content filter", finish_reason="content_filter"),
                    _usage_of_completion(exc.completion),
                )
            except openai.APIError as exc:
                latency = _ms_since(started)
                meter.add(Usage(calls=1))
                self._log(ctx, prompt_version, request_hash, doc_id, Usage(), latency, exc)
                raise
            except Exception as exc:  # the reply could not even be read (odd server output)
                latency = _ms_since(started)
                meter.add(Usage(calls=1))
                self._log(ctx, prompt_version, request_hash, doc_id, Usage(), latency, exc)
                raise BackendError(
                    f"{self.backend} {self.model}: unreadable reply: {one_line(str(exc), 200)}",
                    retryable=False,
                ) from None
            else:
                raw = result.get("raw") if isinstance(result, dict) else result
                if not isinstance(raw, AIMessage):
                    raise BackendError(f"{self.backend} {self.model}: no message in the reply")
                reply, usage = self._from_message(method, raw)
            latency = _ms_since(started)
        cost = estimate(self.model, usage.prompt_tokens, usage.completion_tokens)
        if not cost.known:
            meter.unpriced = True
        usage = usage.model_copy(update={"calls": 1, "cost_usd": cost.usd})
        meter.add(usage)
        ctx.budget.add(usage)
        self._log(ctx, prompt_version, request_hash, doc_id, usage, latency, None, reply)
        return reply

    def _from_message(self, method: Method, raw: AIMessage) -> tuple[Reply, Usage]:
        usage = Usage()
        if raw.usage_metadata:
            usage = Usage(
                prompt_tokens=max(0, int(raw.usage_metadata.get("input_tokens", 0))),
                completion_tokens=max(0, int(raw.usage_metadata.get("output_tokens", 0))),
            )
        refusal = raw.additional_kwargs.get("refusal")
        finish = raw.response_metadata.get("finish_reason")
        text = _tool_arguments(raw) if method == "function_calling" else None
        if text is None:
            text = raw.text
        return (
            Reply(
                method=method,
                text=text,
                refusal=refusal if isinstance(refusal, str) and refusal else None,
                finish_reason=finish if isinstance(finish, str) else None,
            ),
            usage,
        )

    @staticmethod
    def _from_completion(method: Method, completion: Any, finish: str) -> tuple[Reply, Usage]:
        text: str | None = None
        with contextlib.suppress(AttributeError, IndexError, TypeError):
            message = completion.choices[0].message
            text = message.content
            if not text and message.tool_calls:
                text = message.tool_calls[0].function.arguments
        return Reply(method, text, finish_reason=finish), _usage_of_completion(completion)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = _retry_after_s(exc)
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s)
        # exponential backoff with full jitter on top: initial * 2^(n-1) + U(0, initial)
        base: float = self.backoff_initial_s * 2.0 ** (state.attempt_number - 1)
        return min(self.backoff_max_s, base) + random.uniform(0, self.backoff_initial_s)

    def _log(
        self,
        ctx: CallContext,
        prompt_version: str,
        request_hash: str,
        doc_id: str | None,
        usage: Usage,
        latency_ms: int,
        error: BaseException | None,
        reply: Reply | None = None,
    ) -> None:
        if ctx.store is None:
            return
        ctx.store.log_llm_call(
            model=self.model,
            prompt_version=prompt_version,
            request_hash=request_hash,
            status="error" if error is not None else "ok",
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            latency_ms=latency_ms,
            cost_usd=usage.cost_usd,
            error=None if error is None else _describe(error),
            doc_id=doc_id,
            backend=self.backend,
            run_id=ctx.run_id,
            response_json=None if reply is None else reply.to_json(),
        )

    def _error(self, exc: BaseException, attempts: int) -> BackendError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return BackendError(
            f"{self.backend} {self.model}: {_describe(exc)}{tries}",
            retryable=_is_transient(exc),
        )


# ---- helpers -------------------------------------------------------------------------------


def parse_output(text: str, output: type[T]) -> T:
    """Parse (repairing if needed) and validate a reply; ``ValueError`` with a short reason."""
    try:
        data = parse_json_object(text)
    except JSONRepairError as exc:
        raise ValueError(f"invalid JSON ({exc})") from None
    try:
        return output.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()[:5]
        ]
        more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise ValueError(
            "the JSON does not match the schema: " + "; ".join(problems) + more
        ) from None


def _raw_step(runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """The chat-model step of a ``with_structured_output(..., include_raw=True)`` runnable.

    That runnable is ``RunnableParallel(raw=bound_model) | parse-with-fallback``: the bound
    model makes the request (with the response format or strict tool bound to it); the second
    step only parses the reply, which ``ChatCaller`` does itself (``jsonrepair`` + pydantic)
    and which cannot raise (``include_raw`` catches parse errors). Invoking the bound model
    alone sends the same request and returns the same ``AIMessage`` without that per-call
    parsing and runnable overhead (about 2 ms of CPU per call). Any other shape is returned
    unchanged.
    """
    first = runnable.first if isinstance(runnable, RunnableSequence) else runnable
    if isinstance(first, RunnableParallel) and set(first.steps__) == {"raw"}:
        return first.steps__["raw"]
    return runnable


def _tool_arguments(raw: AIMessage) -> str | None:
    calls = raw.additional_kwargs.get("tool_calls")
    if isinstance(calls, list) and calls:
        function = calls[0].get("function") if isinstance(calls[0], dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            return str(function["arguments"])
    if raw.tool_calls:
        return json.dumps(raw.tool_calls[0]["args"], ensure_ascii=False)
    if raw.invalid_tool_calls:
        args = raw.invalid_tool_calls[0].get("args")
        if isinstance(args, str):
            return args
    return None


def _usage_of_completion(completion: Any) -> Usage:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return Usage()
    return Usage(
        prompt_tokens=max(0, int(getattr(usage, "prompt_tokens", 0) or 0)),
        completion_tokens=max(0, int(getattr(usage, "completion_tokens", 0) or 0)),
    )


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and connection errors; never any other 4xx."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)  # includes APITimeoutError


def _rejects_method(exc: openai.BadRequestError, method: Method) -> bool:
    text = f"{exc.message} {getattr(exc, 'param', '') or ''}".lower()
    if method in ("json_schema", "json_mode"):
        return "response_format" in text or "json_schema" in text or "json_object" in text
    return "tool" in text or "function" in text


def _retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        with contextlib.suppress(ValueError):
            return max(0.0, float(ms) / 1000)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return None


def _describe(exc: BaseException) -> str:
    """One line, key-free: what went wrong with a request."""
    if isinstance(exc, openai.APIStatusError):
        kind = {
            400: "bad request",
            401: "authentication failed",
            403: "permission denied",
            404: "model or endpoint not found",
            409: "conflict",
            422: "unprocessable request",
            429: "rate limited",
        }.get(exc.status_code, "server error" if exc.status_code >= 500 else "request refused")
        message = exc.message
        body = exc.body
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict) and isinstance(inner.get("message"), str):
                message = inner["message"]
        return one_line(f"{kind} (HTTP {exc.status_code}): {message}")
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, BackendError):
        return exc.message
    return one_line(f"{type(exc).__name__}: {exc}")


# ---- the backend ---------------------------------------------------------------------------


class OpenAIBackend:
    """``Backend`` for OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp...).

    ``prompt_version`` names every prompt the backend may use
    (``summarize-v1+map-v1+reduce-v1``); each summary records the ones it actually used
    (``summarize-v1`` for one call, ``map-v1+reduce-v1`` for map-reduce).
    """

    name = "openai"

    def __init__(
        self,
        settings: Settings,
        *,
        llm: BaseChatModel | None = None,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 20.0,
        transport: Callable[[], httpx2.AsyncBaseTransport] | None = None,
    ) -> None:
        """``transport`` (a factory, called once per HTTP client) lets the HTTP exchanges be
        recorded or replayed, e.g. by the eval harness; None uses the network as configured."""
        self.settings = settings
        self.model = settings.openai.model
        self._transport = transport
        self.prompts: dict[str, Prompt] = {
            "summarize": load_prompt("summarize.v1"),
            "map": load_prompt("map.v1"),
            "reduce": load_prompt("reduce.v1"),
        }
        self.prompt_version = combine_versions(*(p.version for p in self.prompts.values()))
        if llm is None:
            self._check_credentials()
        self.caller = ChatCaller(
            llm if llm is not None else self._chat_model,
            model=self.model,
            settings=settings.summarize,
            backend=self.name,
            backoff_initial_s=backoff_initial_s,
            backoff_max_s=backoff_max_s,
        )
        self._chain: SummaryChain | None = None

    def _check_credentials(self) -> None:
        cfg = self.settings.openai
        key = cfg.api_key.get_secret_value() if cfg.api_key is not None else None
        register_secret(key)
        if not key and not cfg.base_url:
            raise ConfigError(
                "the openai backend needs an API key (OPENAI_API_KEY or "
                "LITDIGEST_OPENAI__API_KEY) or a base URL of a local server"
            )

    def _chat_model(self) -> BaseChatModel:
        """A ``ChatOpenAI`` with its own HTTP client (one per event loop, see ChatCaller)."""
        from langchain_openai import ChatOpenAI

        cfg = self.settings.openai
        key = cfg.api_key.get_secret_value() if cfg.api_key is not None else None
        return ChatOpenAI(
            model=cfg.model,
            # local OpenAI-compatible servers accept any key
            api_key=SecretStr(key or "not-needed"),
            base_url=cfg.base_url,
            timeout=cfg.timeout_s,
            max_retries=0,  # we retry ourselves
            temperature=TEMPERATURE,
            use_responses_api=False,
            http_async_client=openai.DefaultAsyncHttpxClient(
                transport=self._transport() if self._transport is not None else None
            ),
        )

    def settings_hash(self) -> str:
        s = self.settings
        return stable_hash(
            {
                "model": self.model,
                "temperature": TEMPERATURE,
                "prompts": {name: p.digest for name, p in self.prompts.items()},
                "single_call_max_tokens": s.summarize.single_call_max_tokens,
                "reduce_budget_tokens": s.summarize.reduce_budget_tokens,
                "max_claims_per_field": s.summarize.max_claims_per_field,
                "reask_attempts": s.summarize.reask_attempts,
                "encoding": s.chunk.encoding,
                "chunk_max_tokens": s.chunk.max_tokens,  # chunks shape map-reduce output
                "chunk_overlap_tokens": s.chunk.overlap_tokens,
                "support": s.support.model_dump(),  # drop or flag unsupported claims
            }
        )

    @property
    def chain(self) -> SummaryChain:
        if self._chain is None:
            from litdigest.summarize.chains import SummaryChain

            self._chain = SummaryChain(
                self.caller,
                summarize=self.prompts["summarize"],
                map_prompt=self.prompts["map"],
                reduce=self.prompts["reduce"],
                settings=self.settings,
                backend=self.name,
            )
        return self._chain

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        return await self.chain.summarize(doc, chunks, ctx)
