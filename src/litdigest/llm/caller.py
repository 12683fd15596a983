"""Structured-output requests to OpenAI and OpenAI-compatible servers (``ChatCaller``).

``ChatCaller`` sends one request through a LangChain chat model (``ChatOpenAI``; any
``BaseChatModel`` in tests) and owns everything around it:

* **structured output**, falling back along ``json_schema`` → ``function_calling`` (tools) →
  ``json_mode`` → ``prompted`` (plain request, the schema in the system message) when the
  server refuses a method: HTTP 400, 422 or 500 whose body mentions response_format, tools,
  json_schema, json_object or grammar. The server's own message is shown (OpenAI
  ``error.message``, FastAPI ``detail``, TGI's string ``error``). The method that works is
  remembered per (base URL, model) in the store when it has ``llm_method``/``set_llm_method``.
* **parsing**: every reply goes through ``jsonrepair`` (reasoning blocks stripped; of several
  JSON objects, the last one that validates) and lenient pydantic validation, whose repairs
  become warnings on the ``Answer``;
* **re-asking** (``reask_attempts``) with the problem appended; a truncated reply
  (``finish_reason == "length"``) raises ``TruncatedOutput`` so the chain can split its input;
* **retries** (tenacity): 429 (honouring ``retry-after-ms`` / ``Retry-After``), 5xx and
  dropped connections, up to ``max_retries``; a timeout is retried ``llm.timeout_retries``
  times (the server may still be working); the message names the timeout and its setting;
* **fail fast**: 401, 403, 404 (unknown model or endpoint) and a refused connection or DNS
  failure raise ``ServerConfigError`` (a ``ConfigError``: exit 2) naming the base URL, the
  model and the setting to fix; it is kept on the call context so that no other request of
  the run is sent;
* **usage**: read from the reply (cached prompt tokens from
  ``usage.prompt_tokens_details.cached_tokens`` priced as cached input); when the server
  sends none, estimated with tiktoken and marked estimated, so budgets always apply;
* the **request cache**: ``stable_hash`` of (backend, model, method, messages, schema,
  temperature, max_tokens). Only replies that were *used* (they validated) are cached, and
  only when the chain commits them (``UsageMeter.commit``), so a rerun after a failure asks
  again.
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
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Protocol, TypeVar, cast

import openai
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableParallel, RunnableSequence
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from litdigest.chunk.tokens import count_tokens
from litdigest.errors import BackendError, ConfigError, LitdigestError
from litdigest.llm.jsonrepair import JSONRepairError, json_objects, parse_json_object
from litdigest.llm.pricing import estimate
from litdigest.llm.structured import compact_schema, strict_json_schema
from litdigest.llm.usage import Usage
from litdigest.redaction import redact
from litdigest.text import canonical_json, ellipsize
from litdigest.text import one_line as text_one_line

if TYPE_CHECKING:
    from litdigest.config import LLMSettings, SummarizeSettings


class CallStore(Protocol):
    """What the caller needs of the store (``litdigest.store.store.Store`` has it)."""

    def cache_get(self, request_hash: str) -> str | None: ...

    def cache_put(self, request_hash: str, response_json: str) -> bool: ...


class CallBudget(Protocol):
    def check(self) -> None: ...

    def add(self, usage: Usage) -> None: ...


class CallContext(Protocol):
    """What the caller needs of a batch's call context (``summarize.backends.base``)."""

    fatal: LitdigestError | None  # set by a run-stopping error: send nothing more

    @property
    def store(self) -> Any: ...  # a CallStore, or None

    @property
    def limiter(self) -> asyncio.Semaphore | None: ...

    @property
    def budget(self) -> CallBudget: ...

    @property
    def run_id(self) -> int | None: ...


__all__ = [
    "METHODS",
    "Answer",
    "ChatCaller",
    "InvalidOutput",
    "Method",
    "OutputError",
    "RefusedOutput",
    "Reply",
    "ServerConfigError",
    "TruncatedOutput",
    "UsageMeter",
    "one_line",
    "parse_output",
]

Method = Literal["json_schema", "function_calling", "json_mode", "prompted"]
METHODS: Final[tuple[Method, ...]] = ("json_schema", "function_calling", "json_mode", "prompted")
TEMPERATURE: Final = 0.0
ENCODING: Final = "o200k_base"
_MAX_ERROR_CHARS: Final = 300
_METHOD_WORDS: Final = (
    "response_format",
    "response format",
    "json_schema",
    "json schema",
    "json_object",
    "tools",
    "tool_choice",
    "tool calls",
    "function",
    "grammar",
)

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


class ServerConfigError(ConfigError):
    """The server cannot be used as configured (bad key, unknown model, wrong URL): the
    whole run stops at the first occurrence (exit 2)."""


class _MethodUnsupported(Exception):
    """The server refused the structured-output method."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class UsageMeter:
    """Usage of one document, summed over every request sent (retries and re-asks too),
    and the used replies waiting to be cached (``commit``)."""

    usage: Usage = field(default_factory=Usage)
    unpriced: bool = False  # some call used a model without a known price
    cache_hits: int = 0
    pending: dict[str, str] = field(default_factory=dict)  # request hash -> reply JSON

    def add(self, usage: Usage) -> None:
        self.usage = self.usage + usage

    def commit(self, store: Any) -> None:
        """Cache the replies that were used (call once the document's outcome is known)."""
        if store is not None:
            for key, blob in self.pending.items():
                with contextlib.suppress(Exception):
                    store.cache_put(key, blob)
        self.pending.clear()


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


_canonical = canonical_json  # JSON as ``stable_hash`` serializes it


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """A validated answer, with the conversation that produced it (for follow-ups) and the
    repairs lenient validation made (``warnings``)."""

    value: T
    text: str
    messages: list[BaseMessage]
    warnings: list[str] = field(default_factory=list)

    def followup(self, message: str) -> list[BaseMessage]:
        """The conversation with this answer and a new user message appended."""
        return [*self.messages, AIMessage(content=self.text), HumanMessage(content=message)]


def one_line(text: str, limit: int = _MAX_ERROR_CHARS) -> str:
    """``text`` redacted, on one line, at most ``limit`` characters."""
    return ellipsize(text_one_line(redact(text)), limit)


@dataclass(frozen=True, slots=True)
class _Request:
    """One request as sent (after method choice): what a try and its log line need."""

    method: Method
    messages: list[BaseMessage]
    spec: dict[str, Any]
    request_hash: str
    prompt_version: str
    ctx: CallContext
    meter: UsageMeter
    doc_id: str | None


@dataclass(frozen=True, slots=True)
class _Sent:
    reply: Reply
    request_hash: str
    cached: bool


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
        base_url: str | None = None,
        timeout_s: float | None = None,
        llm_settings: LLMSettings | None = None,
    ) -> None:
        if not methods:
            raise ValueError("at least one structured-output method is needed")
        self._llm = llm
        self._per_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[BaseChatModel, dict[tuple[Any, ...], Any]]
        ] = weakref.WeakKeyDictionary()
        self.model = model
        self.settings = settings
        self.backend = backend
        self.methods: tuple[Method, ...] = tuple(methods)
        self.method: Method = self.methods[0]
        self.max_retry_after_s = max_retry_after_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.timeout_retries = llm_settings.timeout_retries if llm_settings is not None else 1
        self._schemas: dict[type[BaseModel], dict[str, Any]] = {}
        self._schema_blobs: dict[int, tuple[dict[str, Any], str]] = {}
        self._method_lock = asyncio.Lock()
        self._method_loaded = False

    @property
    def where(self) -> str:
        """``openai gpt-4o-mini at https://…``: what every error line starts with."""
        url = self.base_url or "https://api.openai.com/v1"
        return f"{self.backend} model {self.model!r} at {url}"

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
        max_tokens: int | None = None,
    ) -> Answer[T]:
        """Ask until the reply validates as ``output`` (1 + ``reask_attempts`` requests).

        Raises ``TruncatedOutput`` at once on a truncated reply, ``RefusedOutput`` /
        ``InvalidOutput`` when re-asking did not help, ``BackendError`` when the request
        itself failed, ``BudgetExceeded`` before sending once the budget is spent.
        """
        history = list(messages)
        problem = ""
        refused = False
        use_cache = True
        attempt = 0
        while attempt < 1 + self.settings.reask_attempts:
            sent = await self._send(
                history, output, prompt_version, ctx, meter, doc_id, max_tokens, use_cache
            )
            reply = sent.reply
            if reply.finish_reason == "length":
                if sent.cached:  # never expected (unused replies are not cached): ask again
                    use_cache = False
                    continue
                raise TruncatedOutput(
                    f"{self.model}: the reply was cut off at the output token limit",
                    retryable=False,
                )
            followup, problem, refused = self._problem(reply)
            if not followup:
                found: list[str] = []
                try:
                    value = parse_output(reply.text or "", output, found)
                except ValueError as exc:
                    refused = False
                    problem = str(exc)
                    followup = (
                        f"Your reply could not be used: {problem}. Reply again with only the "
                        "JSON object, following the schema exactly."
                    )
                else:
                    if not sent.cached:
                        meter.pending[sent.request_hash] = reply.to_json()
                    return Answer(
                        value=value, text=reply.text or "", messages=list(messages), warnings=found
                    )
            if sent.cached:  # a stored reply that cannot be used: ask the server instead
                use_cache = False
                continue
            attempt += 1
            history = [
                *history,
                AIMessage(content=reply.text or reply.refusal or ""),
                HumanMessage(content=followup),
            ]
        error = RefusedOutput if refused else InvalidOutput
        raise error(f"{self.model}: unusable reply after re-asking: {one_line(problem, 200)}")

    @staticmethod
    def _problem(reply: Reply) -> tuple[str, str, bool]:
        """(follow-up message, problem, refused) for a refusal or an empty reply, else ''."""
        if reply.refusal is None and (reply.text or "").strip():
            return "", "", False
        problem = (
            f"the model refused: {one_line(reply.refusal, 120)}"
            if reply.refusal is not None
            else "the reply was empty"
        )
        followup = (
            "The text above is a published scientific article and summarizing it for "
            "researchers is allowed. Reply with the JSON object only."
        )
        return followup, problem, reply.refusal is not None

    async def send(
        self,
        messages: Sequence[BaseMessage],
        output: type[BaseModel],
        *,
        prompt_version: str,
        ctx: CallContext,
        meter: UsageMeter,
        doc_id: str | None = None,
        max_tokens: int | None = None,
    ) -> Reply:
        """One request (with retries and method fallback), or its cached reply."""
        sent = await self._send(
            messages, output, prompt_version, ctx, meter, doc_id, max_tokens, True
        )
        return sent.reply

    async def _send(
        self,
        messages: Sequence[BaseMessage],
        output: type[BaseModel],
        prompt_version: str,
        ctx: CallContext,
        meter: UsageMeter,
        doc_id: str | None,
        max_tokens: int | None,
        use_cache: bool,
    ) -> _Sent:
        spec = self._schema(output)
        self._load_method(ctx)
        method = self.method
        msgs = self._messages_for(method, messages, spec)
        request_hash = self.request_hash(method, msgs, spec, max_tokens)
        if use_cache:
            hit = self._cached(messages, spec, ctx, max_tokens, known=(method, request_hash))
            if hit is not None:
                meter.cache_hits += 1
                return _Sent(hit[0], hit[1], cached=True)
        while True:
            if method != self.method:  # fell back to another method: hash that request
                method = self.method
                msgs = self._messages_for(method, messages, spec)
                request_hash = self.request_hash(method, msgs, spec, max_tokens)
            try:
                request = _Request(
                    method, msgs, spec, request_hash, prompt_version, ctx, meter, doc_id
                )
                reply = await self._send_with_retries(request, max_tokens)
            except _MethodUnsupported as exc:
                await self._fall_back(method, exc.message, ctx)
            else:
                self._remember_method(ctx, method)
                return _Sent(reply, request_hash, cached=False)

    async def _fall_back(self, method: Method, message: str, ctx: CallContext) -> None:
        async with self._method_lock:
            if self.method != method:
                return
            i = self.methods.index(method)
            if i + 1 >= len(self.methods):
                raise BackendError(
                    f"{self.where}: the server accepts none of the structured-output methods "
                    f"{', '.join(self.methods)}; last refusal: {one_line(message, 160)}",
                    retryable=False,
                )
            self.method = self.methods[i + 1]

    def _load_method(self, ctx: CallContext) -> None:
        """Start from the method remembered for (base URL, model), once per caller."""
        if self._method_loaded or ctx.store is None:
            return
        self._method_loaded = True
        getter = getattr(ctx.store, "llm_method", None)
        if getter is None:
            return
        with contextlib.suppress(Exception):
            known = getter(self.base_url or "", self.model)
            if known in self.methods and self.methods.index(known) > self.methods.index(
                self.method
            ):
                self.method = known

    def _remember_method(self, ctx: CallContext, method: Method) -> None:
        if method == self.methods[0] or ctx.store is None:
            return
        setter = getattr(ctx.store, "set_llm_method", None)
        if setter is not None:
            with contextlib.suppress(Exception):
                setter(self.base_url or "", self.model, method)

    def request_hash(
        self,
        method: Method,
        messages: Sequence[BaseMessage],
        spec: dict[str, Any],
        max_tokens: int | None = None,
    ) -> str:
        """Cache key: everything that changes the answer, never the API key.

        ``stable_hash`` of ``{"backend", "max_tokens", "messages": [{"role", "content"}...],
        "method", "model", "schema", "temperature"}`` (``max_tokens`` only when set), built
        from pieces so that the schema is serialized once per caller, not per request.
        """
        limit = "" if max_tokens is None else f'"max_tokens":{max_tokens},'
        blob = (
            f'{{"backend":{_canonical(self.backend)},{limit}'
            f'"messages":{_canonical([{"content": m.content, "role": m.type} for m in messages])},'
            f'"method":{_canonical(method)},"model":{_canonical(self.model)},'
            f'"schema":{self._schema_json(spec)},"temperature":{_canonical(TEMPERATURE)}}}'
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    # Public names for callers that plan requests without sending them (the Batch API path).

    def spec_for(self, output: type[BaseModel]) -> dict[str, Any]:
        """The structured-output spec (name, description, compact strict schema) of ``output``."""
        return self._schema(output)

    def cached_reply(
        self,
        messages: Sequence[BaseMessage],
        spec: dict[str, Any],
        ctx: CallContext,
        max_tokens: int | None = None,
    ) -> tuple[Reply, str] | None:
        """A stored reply to this request (any method) and its cache key, or None."""
        return self._cached(messages, spec, ctx, max_tokens)

    def messages_for(
        self, method: Method, messages: Sequence[BaseMessage], spec: dict[str, Any]
    ) -> list[BaseMessage]:
        """The messages ``method`` sends (JSON mode and prompting carry the schema)."""
        return self._messages_for(method, messages, spec)

    @property
    def chat_model(self) -> BaseChatModel | Callable[[], BaseChatModel]:
        """The chat model, or the factory that makes one per event loop."""
        return self._llm

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
                "schema": compact_schema(strict_json_schema(output)),
            }
            self._schemas[output] = spec
        return spec

    def _cached(
        self,
        messages: Sequence[BaseMessage],
        spec: dict[str, Any],
        ctx: CallContext,
        max_tokens: int | None = None,
        known: tuple[Method, str] | None = None,
    ) -> tuple[Reply, str] | None:
        """A stored reply to this request under any method (the current one first), with
        its key; ``known`` is a (method, request hash) pair already computed."""
        if ctx.store is None:
            return None
        order = [self.method, *(m for m in self.methods if m != self.method)]
        for method in order:
            if known is not None and method == known[0]:
                key = known[1]
            else:
                msgs = self._messages_for(method, messages, spec)
                key = self.request_hash(method, msgs, spec, max_tokens)
            blob = ctx.store.cache_get(key)
            if blob is not None and (reply := Reply.from_json(blob)) is not None:
                return reply, key
        return None

    @staticmethod
    def _messages_for(
        method: Method, messages: Sequence[BaseMessage], spec: dict[str, Any]
    ) -> list[BaseMessage]:
        """JSON mode and plain prompting carry no schema: it ends the system message (a
        stable prefix: the same for every request of a step)."""
        if method not in ("json_mode", "prompted"):
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

    def _loop_state(self) -> tuple[BaseChatModel, dict[tuple[Any, ...], Any]]:
        """The chat model for the running event loop (a factory makes one per loop, since
        HTTP connection pools are bound to the loop that opened them)."""
        loop = asyncio.get_running_loop()
        state = self._per_loop.get(loop)
        if state is None:
            llm = self._llm if isinstance(self._llm, BaseChatModel) else self._llm()
            state = (llm, {})
            self._per_loop[loop] = state
        return state

    def _runnable(
        self, method: Method, spec: dict[str, Any], max_tokens: int | None
    ) -> Runnable[Any, Any]:
        llm, runnables = self._loop_state()
        key = (method, spec["name"], max_tokens)
        runnable = runnables.get(key)
        if runnable is not None:
            return cast("Runnable[Any, Any]", runnable)
        runnable = _raw_step(self._structured(llm, method, spec))
        if max_tokens is not None and hasattr(runnable, "bind"):
            runnable = runnable.bind(**self._limit_kwargs(max_tokens))
        runnables[key] = runnable
        return runnable

    @staticmethod
    def _structured(llm: BaseChatModel, method: Method, spec: dict[str, Any]) -> Runnable[Any, Any]:
        try:
            if method == "json_schema":
                return llm.with_structured_output(
                    {**spec, "strict": True}, method="json_schema", strict=True, include_raw=True
                )
            if method == "function_calling":
                tool = {
                    "name": spec["name"],
                    "description": spec["description"],
                    "parameters": spec["schema"],
                }
                return llm.with_structured_output(
                    tool, method="function_calling", strict=True, include_raw=True
                )
            if method == "json_mode":
                return llm.with_structured_output(
                    spec["schema"], method="json_mode", include_raw=True
                )
        except NotImplementedError:  # a chat model without structured output: parse the text
            pass
        return RunnableParallel(raw=llm)

    @property
    def limit_field(self) -> str:
        """The request field that carries the output limit for this server."""
        openai_api = self.base_url is None or "api.openai.com" in self.base_url
        return "max_completion_tokens" if openai_api else "max_tokens"

    def _limit_kwargs(self, max_tokens: int) -> dict[str, Any]:
        """OpenAI takes ``max_completion_tokens`` (ChatOpenAI renames ``max_tokens``);
        compatible servers (llama.cpp, Ollama, vLLM, TGI, LM Studio) all read ``max_tokens``."""
        if self.base_url is None or "api.openai.com" in self.base_url:
            return {"max_tokens": max_tokens}
        return {"extra_body": {"max_tokens": max_tokens}}

    async def _send_with_retries(self, request: _Request, max_tokens: int | None) -> Reply:
        runnable = self._runnable(request.method, request.spec, max_tokens)
        attempts = self.settings.max_retries + 1
        timeouts = 0

        def stop(state: RetryCallState) -> bool:
            nonlocal timeouts
            exc = state.outcome.exception() if state.outcome is not None else None
            if isinstance(exc, openai.APITimeoutError):
                timeouts += 1
                if timeouts > self.timeout_retries:
                    return True
            return state.attempt_number >= attempts

        retrying = AsyncRetrying(
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(runnable, request)
        except (openai.APIError, openai.OpenAIError) as exc:
            if isinstance(exc, openai.APIStatusError):
                rejected = _method_rejection(exc)
                if rejected is not None:
                    raise _MethodUnsupported(rejected) from None
            fatal = self._fatal(exc)
            if fatal is not None:
                ctx_fail(request.ctx, fatal)
                raise fatal from None
            raise self._error(exc, retrying.statistics.get("attempt_number", 1)) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, runnable: Runnable[Any, Any], request: _Request) -> Reply:
        method, messages, ctx = request.method, request.messages, request.ctx
        if ctx.fatal is not None:
            raise ctx.fatal
        ctx.budget.check()
        limiter = ctx.limiter if ctx.limiter is not None else contextlib.nullcontext()
        async with limiter:
            if ctx.fatal is not None:
                raise ctx.fatal
            ctx.budget.check()  # spent while this request waited for a slot
            if method != self.method:  # another request fell back meanwhile: use its method
                raise _MethodUnsupported("")
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
                self._log_failure(request, _ms_since(started), exc)
                raise
            except Exception as exc:  # the reply could not even be read (odd server output)
                self._log_failure(request, _ms_since(started), exc)
                raise BackendError(
                    f"{self.where}: unreadable reply: {one_line(str(exc), 200)}",
                    retryable=False,
                ) from None
            else:
                raw = result.get("raw") if isinstance(result, dict) else result
                if not isinstance(raw, AIMessage):
                    raise BackendError(f"{self.where}: no message in the reply")
                reply, usage = self._from_message(method, raw)
            latency = _ms_since(started)
        usage = self._priced(usage, messages, request.spec, method, reply, request.meter)
        request.meter.add(usage)
        ctx.budget.add(usage)
        self._log(request, usage, latency, None)
        return reply

    def _log_failure(self, request: _Request, latency_ms: int, error: BaseException) -> None:
        """Count and log a request that got no usable reply."""
        request.meter.add(Usage(calls=1))
        self._log(request, Usage(), latency_ms, error)

    def _priced(
        self,
        usage: Usage,
        messages: Sequence[BaseMessage],
        spec: dict[str, Any],
        method: Method,
        reply: Reply,
        meter: UsageMeter,
    ) -> Usage:
        """``usage`` with its cost; estimated with tiktoken when the server sent none."""
        if usage.prompt_tokens == 0 and usage.completion_tokens == 0:
            prompt = sum(count_tokens(_text_of(m), ENCODING) for m in messages)
            if method in ("json_schema", "function_calling"):
                prompt += count_tokens(self._schema_json(spec), ENCODING)
            completion = count_tokens((reply.text or "") + (reply.refusal or ""), ENCODING)
            usage = Usage(prompt_tokens=prompt, completion_tokens=completion, estimated_calls=1)
        cost = estimate(
            self.model, usage.prompt_tokens, usage.completion_tokens, cached=usage.cached_tokens
        )
        if not cost.known:
            meter.unpriced = True
        return usage.model_copy(update={"calls": 1, "cost_usd": cost.usd})

    def _from_message(self, method: Method, raw: AIMessage) -> tuple[Reply, Usage]:
        usage = Usage()
        meta = raw.usage_metadata
        if meta:
            details = meta.get("input_token_details") or {}
            usage = Usage(
                prompt_tokens=max(0, int(meta.get("input_tokens", 0) or 0)),
                completion_tokens=max(0, int(meta.get("output_tokens", 0) or 0)),
                cached_tokens=max(0, int(details.get("cache_read", 0) or 0)),
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
        self, request: _Request, usage: Usage, latency_ms: int, error: BaseException | None
    ) -> None:
        ctx = request.ctx
        if ctx.store is None:
            return
        ctx.store.log_llm_call(
            model=self.model,
            prompt_version=request.prompt_version,
            request_hash=request.request_hash,
            status="error" if error is not None else "ok",
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            latency_ms=latency_ms,
            cost_usd=usage.cost_usd,
            error=None if error is None else _describe(error),
            doc_id=request.doc_id,
            backend=self.backend,
            run_id=ctx.run_id,
        )

    def _error(self, exc: BaseException, attempts: int) -> BackendError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if isinstance(exc, openai.APITimeoutError):
            limit = f"{self.timeout_s:g} s" if self.timeout_s is not None else "the timeout"
            return BackendError(
                f"{self.where}: no reply within {limit}{tries}; raise it with --timeout "
                "(setting openai.timeout_s, LITDIGEST_OPENAI__TIMEOUT_S)",
                retryable=True,
            )
        return BackendError(f"{self.where}: {_describe(exc)}{tries}", retryable=_is_transient(exc))

    def _fatal(self, exc: BaseException) -> ServerConfigError | None:
        """A ``ServerConfigError`` for errors no other request can escape, else None."""
        if isinstance(exc, openai.APIStatusError):
            message = one_line(_server_message(exc), 160)
            if exc.status_code == 401:
                fix = "check the API key (OPENAI_API_KEY or LITDIGEST_OPENAI__API_KEY)"
            elif exc.status_code == 403:
                fix = "the key may not use this model; check the API key or --model"
            elif exc.status_code == 404:
                fix = "check --model (setting openai.model) and --base-url (openai.base_url)"
                url = (self.base_url or "").rstrip("/")
                if url and not url.endswith("/v1"):
                    fix += f"; OpenAI-compatible servers usually serve under /v1: try {url}/v1"
            else:
                return None
            return ServerConfigError(
                f"{self.where}: HTTP {exc.status_code}: {message}; {fix}", retryable=False
            )
        timed_out = isinstance(exc, openai.APITimeoutError)
        if isinstance(exc, openai.APIConnectionError) and not timed_out and _refused(exc):
            return ServerConfigError(
                f"{self.where}: cannot connect ({_cause(exc)}); is the server running? "
                "check --base-url (setting openai.base_url, OPENAI_BASE_URL)",
                retryable=False,
            )
        return None


def ctx_fail(ctx: CallContext, error: ServerConfigError) -> None:
    """Remember a run-stopping error on the call context (no further request is sent)."""
    if ctx.fatal is None:
        ctx.fatal = error


# ---- helpers -------------------------------------------------------------------------------


def parse_output(text: str, output: type[T], warnings: list[str] | None = None) -> T:
    """Parse (repairing if needed) and validate a reply; ``ValueError`` with a short reason.

    Reasoning blocks are ignored; when the reply holds several JSON objects, the last one
    that validates wins. Lenient repairs are appended to ``warnings``.
    """
    candidates: list[dict[str, Any]] = list(reversed(json_objects(text)))
    try:
        repaired = parse_json_object(text)
    except JSONRepairError as exc:
        if not candidates:
            raise ValueError(f"invalid JSON ({exc})") from None
    else:
        if all(repaired != c for c in candidates):
            candidates.append(repaired)
    first: ValidationError | None = None
    for data in candidates:
        found: list[str] = []
        try:
            value = output.model_validate(data, context={"warnings": found})
        except ValidationError as exc:
            first = first or exc
            continue
        if warnings is not None:
            warnings.extend(found)
        return value
    assert first is not None
    problems = [
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in first.errors()[:5]
    ]
    more = f" (+{first.error_count() - 5} more)" if first.error_count() > 5 else ""
    raise ValueError("the JSON does not match the schema: " + "; ".join(problems) + more)


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)


def _raw_step(runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """The chat-model step of a ``with_structured_output(..., include_raw=True)`` runnable.

    That runnable is ``RunnableParallel(raw=bound_model) | parse-with-fallback``: the bound
    model makes the request; the second step only parses the reply, which ``ChatCaller``
    does itself. Invoking the bound model alone sends the same request without that
    overhead. Any other shape is returned unchanged.
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
    details = getattr(usage, "prompt_tokens_details", None)
    return Usage(
        prompt_tokens=max(0, int(getattr(usage, "prompt_tokens", 0) or 0)),
        completion_tokens=max(0, int(getattr(usage, "completion_tokens", 0) or 0)),
        cached_tokens=max(0, int(getattr(details, "cached_tokens", 0) or 0)),
    )


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and dropped connections; never any other 4xx, never a refusal of
    the structured-output method, never a refused connection."""
    if isinstance(exc, openai.APIStatusError):
        if _method_rejection(exc) is not None:
            return False
        return exc.status_code == 429 or exc.status_code >= 500
    if isinstance(exc, openai.APITimeoutError):
        return True
    return isinstance(exc, openai.APIConnectionError) and not _refused(exc)


def _cause(exc: BaseException) -> str:
    seen = exc.__cause__ or exc.__context__
    while seen is not None and (seen.__cause__ or seen.__context__) is not None:
        if "Errno" in str(seen) or "Name or service" in str(seen):
            break
        seen = seen.__cause__ or seen.__context__
    return one_line(str(seen) if seen is not None else str(exc), 120) or "connection failed"


def _refused(exc: BaseException) -> bool:
    """A connection that could not be opened (refused, DNS), not one that dropped."""
    seen: BaseException | None = exc
    depth = 0
    while seen is not None and depth < 8:
        name = type(seen).__name__
        if name == "ConnectError" or isinstance(seen, (ConnectionRefusedError,)):
            return True
        if "Name or service not known" in str(seen) or "nodename nor servname" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
        depth += 1
    return False


def _server_message(exc: openai.APIStatusError) -> str:
    """The server's own reason: OpenAI ``error.message``, FastAPI ``detail``, TGI's string
    ``error``, a top-level ``message``, else the response text."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):
            parts = []
            for d in detail[:3]:
                if isinstance(d, dict):
                    loc = ".".join(str(x) for x in d.get("loc", []) if x != "body")
                    parts.append(f"{loc}: {d.get('msg', '')}".strip(": "))
                else:
                    parts.append(str(d))
            return "; ".join(parts)
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body.strip():
        return body
    with contextlib.suppress(Exception):
        text = exc.response.text
        if text.strip():
            return text
    return exc.message


def _method_rejection(exc: openai.APIStatusError) -> str | None:
    """The server's message when a 400, 422 or 500 refuses the structured-output method."""
    if exc.status_code not in (400, 422, 500, 501):
        return None
    message = _server_message(exc)
    param = getattr(exc, "param", None) or ""
    haystack = f"{message} {param} {exc.body if not isinstance(exc.body, str) else ''}".lower()
    if any(word in haystack for word in _METHOD_WORDS):
        return message
    return None


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
        return one_line(f"{kind} (HTTP {exc.status_code}): {_server_message(exc)}")
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, BackendError):
        return exc.message
    return one_line(f"{type(exc).__name__}: {exc}")
