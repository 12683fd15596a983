"""OpenAI (or any OpenAI-compatible server) summarizer backend.

The request layer (structured output, fallbacks, retries, usage, the request cache) is
``litdigest.llm.caller.ChatCaller``; the summarization logic (single call vs map-reduce,
grounding) lives in ``litdigest.summarize.chains``. This module wires them to the settings
and to an HTTP client whose transport also reads server-sent-event replies (``SSEJoin``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx2
import openai
from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import SecretStr

from litdigest.errors import ConfigError
from litdigest.llm.caller import (
    METHODS,
    TEMPERATURE,
    Answer,
    ChatCaller,
    InvalidOutput,
    Method,
    OutputError,
    RefusedOutput,
    Reply,
    ServerConfigError,
    TruncatedOutput,
    UsageMeter,
    _describe,
    _is_transient,
    _retry_after_s,
    one_line,
    parse_output,
)
from litdigest.llm.limits import map_chunk_tokens, single_call_tokens
from litdigest.llm.prompts import Prompt, combine_versions, load_prompt
from litdigest.redaction import register_secret
from litdigest.summarize.backends.base import CallContext, stable_hash

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.documents import Chunk, Document
    from litdigest.summarize.chains import SummaryChain
    from litdigest.summarize.schema import DocumentSummary

__all__ = [
    "METHODS",
    "TEMPERATURE",
    "Answer",
    "ChatCaller",
    "InvalidOutput",
    "Method",
    "OpenAIBackend",
    "OutputError",
    "RefusedOutput",
    "Reply",
    "SSEJoin",
    "ServerConfigError",
    "TruncatedOutput",
    "UsageMeter",
    "_describe",
    "_is_transient",
    "_retry_after_s",
    "one_line",
    "parse_output",
]


class SSEJoin(httpx2.AsyncBaseTransport):
    """Passes requests on; a ``text/event-stream`` reply to a request that did not ask to
    stream (some servers always stream) is joined into one chat-completion JSON body."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        ctype = response.headers.get("content-type", "")
        if "text/event-stream" not in ctype or not request.url.path.endswith("/chat/completions"):
            return response
        with_stream = b'"stream":true' in request.content.replace(b" ", b"")
        if with_stream:
            return response
        data = await response.aread()
        body = join_sse(data.decode("utf-8", errors="replace"))
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP}
        headers["content-type"] = "application/json"
        return httpx2.Response(
            response.status_code,
            headers=headers,
            content=json.dumps(body).encode(),
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


_HOP = frozenset({"content-length", "content-type", "transfer-encoding", "content-encoding"})


def join_sse(text: str) -> dict[str, Any]:
    """One chat-completion body from the ``data:`` events of a streamed reply (content,
    refusal and tool-call deltas concatenated; ``reasoning_content`` left out)."""
    content: list[str] = []
    refusal: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    usage: Any = None
    base: dict[str, Any] = {}
    events = 0
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if not payload or payload == "[DONE]":
            continue
        try:
            event = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        events += 1
        base = base or {k: event[k] for k in ("id", "created", "model") if k in event}
        usage = event.get("usage") or usage
        for choice in event.get("choices") or []:
            delta = choice.get("delta") or choice.get("message") or {}
            content.append(delta.get("content") or "")
            refusal.append(delta.get("refusal") or "")
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(int(call.get("index", 0)), {"arguments": "", "name": ""})
                slot["id"] = call.get("id") or slot.get("id") or f"call_{len(calls)}"
                fn = call.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    if not events:
        raise ValueError("the server answered with an empty event stream")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content) or None}
    if "".join(refusal):
        message["refusal"] = "".join(refusal)
    if calls:
        message["tool_calls"] = [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for _, c in sorted(calls.items())
        ]
    body: dict[str, Any] = {
        "id": base.get("id", "chatcmpl-sse"),
        "object": "chat.completion",
        "created": base.get("created", 0),
        "model": base.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": finish or "stop"}],
    }
    if isinstance(usage, dict):
        body["usage"] = usage
    return body


class OpenAIBackend:
    """``Backend`` for OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp...).

    ``prompt_version`` names every prompt the backend may use
    (``summarize-v1+map-v1+reduce-v1``); each summary records the ones it actually used
    (``summarize-v1`` for one call, ``map-v1+reduce-v1`` for map-reduce).
    """

    name = "openai"
    # every request waits for `ctx.limiter`: the batch runner may start more documents
    bounds_requests = True

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
            base_url=settings.openai.base_url,
            timeout_s=settings.openai.timeout_s,
            llm_settings=settings.llm,
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
                transport=SSEJoin(
                    self._transport()
                    if self._transport is not None
                    else httpx2.AsyncHTTPTransport(
                        limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
                    )
                )
            ),
        )

    def settings_hash(self) -> str:
        s = self.settings
        return stable_hash(
            {
                "model": self.model,
                "temperature": TEMPERATURE,
                "prompts": {name: p.digest for name, p in self.prompts.items()},
                "single_call_max_tokens": single_call_tokens(s),
                "map_chunk_tokens": map_chunk_tokens(s),
                "max_output_tokens": s.llm.max_output_tokens,
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
