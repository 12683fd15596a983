"""OpenAIBackend with the real clients (langchain-openai + openai) against the loopback
server: structured output and its fallbacks, retries, repairs and re-asks, grounding,
truncation, usage, the request cache, the budget, and keeping the API key out of everything."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from pydantic import SecretStr

from litdigest.chunk.chunker import Chunker
from litdigest.config import ChunkSettings, OpenAISettings, Settings, SummarizeSettings
from litdigest.documents import Document, Format, Metadata, content_hash
from litdigest.errors import BackendError, ConfigError
from litdigest.llm.pricing import cost_usd, estimate, price_for
from litdigest.store.store import Store
from litdigest.summarize.backends.base import Budget, BudgetExceeded, CallContext
from litdigest.summarize.backends.openai import (
    ChatCaller,
    OpenAIBackend,
    Reply,
    _describe,
    _is_transient,
    _retry_after_s,
    parse_output,
)
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import DocumentSummary, ModelSummary
from tests.loopback_server import Fault, FaultPlan, LoopbackServer

pytestmark = pytest.mark.filterwarnings(
    "ignore:This model does not support OpenAI's structured output:UserWarning"
)

KEY = "sk-test-LITDIGEST-SECRET-0123456789abcdef"
INVENTED = "This invented sentence was never written in the article"

PARAGRAPHS = [
    "Tumour-resident dendritic cells sense cytosolic DNA through the STING pathway. "
    "STING activation induces type I interferon, which regulates cross-presentation of "
    "tumour antigens to CD8+ T cells.",
    "In a mouse model of melanoma, intratumoural STING agonists produced complete regression "
    "in 60% of mice (n = 10 per group). The effect was lost in Batf3-deficient mice, which "
    "lack cross-presenting dendritic cells.",
    "A phase II trial in 48 patients with checkpoint-refractory carcinoma reported an "
    "objective response rate of 21%. Combining STING agonists with anti-PD-1 therapy is a "
    "promising treatment for immunologically cold tumours.",
    "Interleukin-12 signalling activates natural killer cells and mediates interferon-gamma "
    "release in the tumour microenvironment. Regulatory T cells express high levels of CTLA-4 "
    "and bind CD80 on dendritic cells.",
    "In a cohort of 312 patients, high CD8+ infiltration was associated with a hazard ratio of "
    "0.62 for death. Targeting adenosine receptors with an inhibitor may improve clinical "
    "responses to immunotherapy.",
]


def make_doc(repeat: int = 1) -> Document:
    paragraphs = [
        p if i < len(PARAGRAPHS) else p.replace("In a", f"In study {i}, in a")
        for i, p in enumerate(PARAGRAPHS * repeat)
    ]
    text = "\n\n".join(paragraphs)
    return Document(
        doc_id=content_hash(text),
        text=text,
        metadata=Metadata(title="STING agonists in cancer immunotherapy"),
        format=Format.TEXT,
        source="review.txt",
    )


def make_backend(
    srv: LoopbackServer,
    *,
    timeout_s: float = 5.0,
    model: str = "gpt-4o-mini",
    **summarize: Any,
) -> OpenAIBackend:
    settings = Settings(
        openai=OpenAISettings(
            api_key=SecretStr(KEY), base_url=srv.base_url, model=model, timeout_s=timeout_s
        ),
        summarize=SummarizeSettings(**{"max_retries": 3, **summarize}),
        chunk=ChunkSettings(max_tokens=120, overlap_tokens=20),
    )
    return OpenAIBackend(settings, backoff_initial_s=0.01, backoff_max_s=0.05)


def summarize(
    backend: OpenAIBackend, doc: Document, ctx: CallContext | None = None, *, chunked: bool = False
) -> DocumentSummary:
    chunks = Chunker(backend.settings.chunk).chunk_document(doc) if chunked else []
    return asyncio.run(backend.summarize(doc, chunks, ctx or CallContext()))


def all_quotes(summary: DocumentSummary) -> list[str]:
    return [q.text for _, _, c in summary.iter_claims() for q in c.quotes]


def chat_requests(srv: LoopbackServer) -> list[Any]:
    return [r for r in srv.requests if r.path.endswith("/chat/completions")]


def auth_header(request: Any) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)


def last_user_text(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def approx_prompt_tokens(body: dict[str, Any]) -> int:
    text = "".join(str(m.get("content") or "") for m in body["messages"])
    return max(1, len(text) // 4) if text else 0


def assert_grounded(summary: DocumentSummary, doc: Document) -> None:
    assert verify_summary(summary, doc.text) == []
    assert all(INVENTED not in q for q in all_quotes(summary))


# ---- happy path and structured-output methods -------------------------------------------------


def test_happy_path_single_call_with_strict_json_schema() -> None:
    doc = make_doc()
    with LoopbackServer() as srv:
        backend = make_backend(srv)
        summary = summarize(backend, doc)
        requests = chat_requests(srv)
    assert len(requests) == 1
    body = requests[0].body
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "ModelSummary"
    assert fmt["json_schema"]["strict"] is True
    assert auth_header(requests[0]) == f"Bearer {KEY}"
    assert_grounded(summary, doc)
    assert summary.mechanism and summary.evidence and summary.therapeutic_implication
    assert summary.prompt_version == "summarize-v1"
    assert summary.backend == "openai" and summary.model == "gpt-4o-mini"
    assert summary.warnings == []
    assert summary.usage.calls == 1
    assert summary.usage.prompt_tokens == approx_prompt_tokens(body)
    assert summary.usage.cost_usd == pytest.approx(
        cost_usd("gpt-4o-mini", summary.usage.prompt_tokens, summary.usage.completion_tokens)
    )
    assert backend.prompt_version == "summarize-v1+map-v1+reduce-v1"


def test_long_document_map_reduce_against_the_server() -> None:
    doc = make_doc(repeat=4)
    with LoopbackServer() as srv:
        backend = make_backend(srv, single_call_max_tokens=256)
        summary = summarize(backend, doc, chunked=True)
        requests = chat_requests(srv)
    names = [r.body["response_format"]["json_schema"]["name"] for r in requests]
    n_chunks = len(Chunker(backend.settings.chunk).chunk_document(doc))
    assert names.count("MapOutput") == n_chunks > 1
    assert names.count("ReduceOutput") == 1
    assert summary.prompt_version == "map-v1+reduce-v1"
    assert_grounded(summary, doc)
    assert summary.usage.calls == n_chunks + 1


def test_falls_back_to_function_calling_when_json_schema_is_unsupported() -> None:
    doc = make_doc()
    with LoopbackServer(supports_json_schema=False) as srv:
        backend = make_backend(srv)
        summary = summarize(backend, doc)
        first = [r.status for r in chat_requests(srv)]
        summary2 = summarize(backend, make_doc(repeat=1))  # the method is remembered
        second = chat_requests(srv)[len(first) :]
    assert first == [400, 200]
    assert "tools" in chat_requests(srv)[1].body
    assert backend.caller.method == "function_calling"
    assert [r.status for r in second] == [200]
    assert "tools" in second[0].body and "response_format" not in second[0].body
    assert_grounded(summary, doc)
    assert_grounded(summary2, doc)
    assert summary.mechanism


def test_falls_back_to_json_mode_with_the_schema_in_the_prompt() -> None:
    doc = make_doc()
    with LoopbackServer(supports_json_schema=False, supports_tools=False) as srv:
        backend = make_backend(srv)
        summary = summarize(backend, doc)
        requests = chat_requests(srv)
    assert [r.status for r in requests] == [400, 400, 200]
    body = requests[-1].body
    assert body["response_format"] == {"type": "json_object"}
    assert '"therapeutic_implication"' in body["messages"][0]["content"]
    assert backend.caller.method == "json_mode"
    assert_grounded(summary, doc)
    assert summary.mechanism


def test_no_supported_method_fails_without_retrying() -> None:
    with LoopbackServer(supports_json_schema=False) as srv:
        backend = make_backend(srv)
        backend.caller.methods = ("json_schema",)
        with pytest.raises(BackendError) as info:
            summarize(backend, make_doc())
        assert len(chat_requests(srv)) == 1  # a 400 is never retried
    assert info.value.retryable is False
    assert "structured-output" in str(info.value)


# ---- retries ---------------------------------------------------------------------------------


def test_rate_limit_waits_for_retry_after() -> None:
    plan = FaultPlan(script=[Fault.RATE_LIMIT], retry_after_s=0.4)
    with LoopbackServer(faults=plan) as srv:
        summary = summarize(make_backend(srv), make_doc())
        requests = chat_requests(srv)
    assert [r.status for r in requests] == [429, 200]
    assert requests[1].received_at - requests[0].received_at >= 0.4
    assert summary.usage.calls == 2


@pytest.mark.parametrize(
    ("fault", "server_kwargs", "timeout_s"),
    [
        (Fault.SERVER_ERROR, {}, 5.0),
        (Fault.TIMEOUT, {"timeout_sleep_s": 3.0}, 0.5),
        (Fault.RESET, {}, 5.0),
    ],
)
def test_transient_failure_then_success(
    fault: Fault, server_kwargs: dict[str, Any], timeout_s: float, tmp_path: Path
) -> None:
    doc = make_doc()
    with (
        LoopbackServer(faults=FaultPlan(script=[fault]), **server_kwargs) as srv,
        Store(tmp_path / "db.sqlite") as store,
    ):
        summary = summarize(make_backend(srv, timeout_s=timeout_s), doc, CallContext(store=store))
        calls = store.llm_calls()
        assert len(chat_requests(srv)) == 2
    assert [c.status for c in calls] == ["error", "ok"]
    assert calls[0].error and "\n" not in calls[0].error
    assert calls[0].request_hash == calls[1].request_hash
    assert calls[1].prompt_version == "summarize-v1"
    assert calls[1].doc_id == doc.doc_id
    assert_grounded(summary, doc)
    assert summary.usage.calls == 2


def test_retries_are_bounded_and_the_error_is_one_line() -> None:
    plan = FaultPlan(script=[Fault.SERVER_ERROR] * 5)
    with LoopbackServer(faults=plan) as srv:
        with pytest.raises(BackendError) as info:
            summarize(make_backend(srv, max_retries=2), make_doc())
        assert len(chat_requests(srv)) == 3
    message = str(info.value)
    assert info.value.retryable is True
    assert "HTTP 500" in message and "after 3 attempts" in message
    assert "\n" not in message


# ---- repairs and re-asks -----------------------------------------------------------------------


def test_malformed_json_is_repaired_or_reasked() -> None:
    doc = make_doc()
    with LoopbackServer(faults=FaultPlan(script=[Fault.MALFORMED_JSON])) as srv:
        summary = summarize(make_backend(srv), doc)
        n = len(chat_requests(srv))
    assert n in (1, 2)
    assert_grounded(summary, doc)
    assert summary.mechanism


@pytest.mark.parametrize(
    ("fault", "reask_says"),
    [
        (Fault.SCHEMA_INVALID, "does not match the schema"),
        (Fault.INVENTED_QUOTE, "could not be found verbatim"),
        (Fault.REFUSAL, "allowed"),
    ],
)
def test_a_bad_reply_is_reasked_with_what_was_wrong_then_grounded(
    fault: Fault, reask_says: str
) -> None:
    doc = make_doc()
    with LoopbackServer(faults=FaultPlan(script=[fault])) as srv:
        summary = summarize(make_backend(srv), doc)
        requests = chat_requests(srv)
    assert len(requests) == 2
    assert reask_says in last_user_text(requests[1].body)
    assert_grounded(summary, doc)
    assert summary.usage.calls == 2
    assert summary.warnings == []


def test_invented_quotes_are_dropped_and_counted_without_reasking() -> None:
    doc = make_doc()
    with LoopbackServer(faults=FaultPlan(script=[Fault.INVENTED_QUOTE])) as srv:
        summary = summarize(make_backend(srv, reask_attempts=0), doc)
        assert len(chat_requests(srv)) == 1
    assert_grounded(summary, doc)
    dropped = [w for w in summary.warnings if "dropped claim" in w]
    assert len(dropped) == 2  # the invented quote and the altered one
    assert all("not found verbatim" in w for w in dropped)


def test_persistent_refusal_is_a_non_retryable_error() -> None:
    with (
        LoopbackServer(faults=FaultPlan(script=[Fault.REFUSAL] * 3)) as srv,
        pytest.raises(BackendError) as info,
    ):
        summarize(make_backend(srv, reask_attempts=1), make_doc())
    assert info.value.retryable is False
    assert "refused" in str(info.value)


# ---- truncation --------------------------------------------------------------------------------


def test_truncated_single_call_is_split_in_halves() -> None:
    doc = make_doc()
    with LoopbackServer(faults=FaultPlan(script=[Fault.TRUNCATED])) as srv:
        summary = summarize(make_backend(srv), doc)
        requests = chat_requests(srv)
    names = [r.body["response_format"]["json_schema"]["name"] for r in requests]
    assert names == ["ModelSummary", "MapOutput", "MapOutput", "ReduceOutput"]
    assert summary.prompt_version == "summarize-v1+map-v1+reduce-v1"
    assert any("truncated" in w for w in summary.warnings)
    assert summary.usage.calls == 4
    assert summary.usage.completion_tokens > 0
    assert_grounded(summary, doc)


def test_truncated_map_reply_splits_its_chunk() -> None:
    doc = make_doc(repeat=3)
    with LoopbackServer(faults=FaultPlan(script=[Fault.TRUNCATED])) as srv:
        backend = make_backend(srv, single_call_max_tokens=256, concurrency=1)
        n_chunks = len(Chunker(backend.settings.chunk).chunk_document(doc))
        summary = summarize(backend, doc, CallContext(limiter=asyncio.Semaphore(1)), chunked=True)
        requests = chat_requests(srv)
    names = [r.body["response_format"]["json_schema"]["name"] for r in requests]
    assert names.count("MapOutput") == n_chunks + 2
    assert names.count("ReduceOutput") == 1
    assert_grounded(summary, doc)


# ---- usage, cache, budget, limiter -------------------------------------------------------------


def test_usage_is_summed_across_retries_and_reasks() -> None:
    plan = FaultPlan(script=[Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.SCHEMA_INVALID])
    budget = Budget()
    with LoopbackServer(faults=plan) as srv:
        summary = summarize(make_backend(srv), make_doc(), CallContext(budget=budget))
        requests = chat_requests(srv)
    assert [r.status for r in requests] == [429, 500, 200, 200]
    assert summary.usage.calls == 4
    assert summary.usage.prompt_tokens == sum(
        approx_prompt_tokens(r.body) for r in requests if r.status == 200
    )
    assert budget.tokens == summary.usage.total_tokens
    assert budget.cost_usd == pytest.approx(summary.usage.cost_usd)


def test_request_cache_second_run_resends_only_unused_replies(tmp_path: Path) -> None:
    doc = make_doc(repeat=3)
    plan = FaultPlan(script=[Fault.SCHEMA_INVALID, Fault.INVENTED_QUOTE])
    with LoopbackServer(faults=plan) as srv, Store(tmp_path / "db.sqlite") as store:
        first = summarize(
            make_backend(srv, single_call_max_tokens=256),
            doc,
            CallContext(store=store),
            chunked=True,
        )
        sent = len(chat_requests(srv))
        second = summarize(
            make_backend(srv, single_call_max_tokens=256),
            doc,
            CallContext(store=store),
            chunked=True,
        )
        # the schema-invalid reply was never used, so it was not cached: that one request is
        # asked again; every used reply is replayed from the cache
        assert len(chat_requests(srv)) == sent + 1
        assert len(store.llm_calls()) == sent + 1
    assert sent > 1
    assert second.usage.calls == 1
    strip = {"usage"}
    assert second.model_dump(exclude=strip) == first.model_dump(exclude=strip)


def test_budget_exceeded_raises_before_sending() -> None:
    budget = Budget(max_cost_usd=0.01)
    budget.cost_usd = 0.02
    with LoopbackServer() as srv:
        with pytest.raises(BudgetExceeded):
            summarize(make_backend(srv), make_doc(), CallContext(budget=budget))
        assert chat_requests(srv) == []


def test_budget_is_checked_before_every_request() -> None:
    budget = Budget(max_tokens=1)  # the first request may go; none after it
    with LoopbackServer(faults=FaultPlan(script=[Fault.SCHEMA_INVALID])) as srv:
        with pytest.raises(BudgetExceeded):
            summarize(make_backend(srv), make_doc(), CallContext(budget=budget))
        assert len(chat_requests(srv)) == 1


def test_limiter_bounds_requests_in_flight() -> None:
    doc = make_doc(repeat=4)
    with LoopbackServer(latency_s=0.05) as srv:
        backend = make_backend(srv, single_call_max_tokens=256)
        summarize(backend, doc, CallContext(limiter=asyncio.Semaphore(2)), chunked=True)
        spans = [(r.received_at, r.received_at + r.duration_s) for r in chat_requests(srv)]
    assert len(spans) > 3
    peak = max(sum(1 for a, b in spans if a <= t < b) for t, _ in spans)
    assert peak <= 2


# ---- secrets -----------------------------------------------------------------------------------


def test_api_key_appears_in_no_log_db_or_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "db.sqlite"
    plan = FaultPlan(script=[Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.MALFORMED_JSON])
    with LoopbackServer(faults=plan) as srv, Store(db) as store:
        summary = summarize(make_backend(srv), make_doc(), CallContext(store=store))
        assert auth_header(srv.requests[0]) == f"Bearer {KEY}"
        errors: list[BaseException] = []
        plan2 = FaultPlan(script=[Fault.SERVER_ERROR] * 3)
        with LoopbackServer(faults=plan2) as srv2:
            try:
                other = make_doc(repeat=2)  # not in the request cache
                summarize(make_backend(srv2, max_retries=1), other, CallContext(store=store))
            except BackendError as exc:
                errors.append(exc)
        backend = make_backend(srv)
        texts = [
            summary.model_dump_json(),
            caplog.text,
            repr(backend.settings),
            backend.settings_hash(),
            *(str(e) + repr(e) for e in errors),
            *(json.dumps(dataclasses.asdict(c)) for c in store.llm_calls()),
        ]
    assert errors and errors[0].__cause__ is None and errors[0].__suppress_context__
    assert any("error" in t and "HTTP 500" in t for t in texts)  # error rows were checked
    for path in tmp_path.iterdir():
        assert KEY.encode() not in path.read_bytes(), path.name
    for text in texts:
        assert KEY not in text
        assert "LITDIGEST-SECRET" not in text


# ---- units -----------------------------------------------------------------------------------


def _status_error(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(status, headers=headers or {}, request=request)
    body = {"error": {"message": f"boom {KEY}"}}
    classes: dict[int, type[openai.APIStatusError]] = {
        400: openai.BadRequestError,
        401: openai.AuthenticationError,
        404: openai.NotFoundError,
        429: openai.RateLimitError,
        500: openai.InternalServerError,
        503: openai.InternalServerError,
    }
    return classes[status]("boom", response=response, body=body)


@pytest.mark.parametrize(
    ("status", "transient"),
    [(400, False), (401, False), (404, False), (429, True), (500, True), (503, True)],
)
def test_only_429_and_5xx_are_transient(status: int, transient: bool) -> None:
    exc = _status_error(status)
    assert _is_transient(exc) is transient
    text = _describe(exc)
    assert KEY not in text and f"HTTP {status}" in text and "\n" not in text


def test_retry_after_headers() -> None:
    assert _retry_after_s(_status_error(429, {"retry-after-ms": "1500"})) == 1.5
    assert _retry_after_s(_status_error(429, {"Retry-After": "2"})) == 2.0
    assert _retry_after_s(_status_error(429)) is None
    date = _retry_after_s(_status_error(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert date == 0.0


def test_connection_errors_are_transient() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    assert _is_transient(openai.APITimeoutError(request))
    assert _is_transient(openai.APIConnectionError(request=request))
    assert not _is_transient(ValueError("x"))


def test_parse_output_reports_short_reasons() -> None:
    with pytest.raises(ValueError, match="invalid JSON"):
        parse_output("I cannot do that", ModelSummary)
    with pytest.raises(ValueError, match="does not match the schema: tldr"):
        parse_output(
            '{"tldr": 1, "mechanism": [], "evidence": [], "therapeutic_implication": []}',
            ModelSummary,
        )
    ok = parse_output(
        '```json\n{"tldr": "t", "mechanism": [], "evidence": [], "therapeutic_implication": [],}\n```',
        ModelSummary,
    )
    assert ok.tldr_text == "t"


def test_reply_round_trips_through_the_cache_format() -> None:
    reply = Reply("json_schema", '{"a": 1}', refusal=None, finish_reason="stop")
    assert Reply.from_json(reply.to_json()) == reply
    assert Reply.from_json("not json") is None


def test_request_hash_depends_on_content_model_and_method_not_key() -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langchain_core.messages import HumanMessage

    settings = SummarizeSettings()
    a = ChatCaller(FakeListChatModel(responses=[]), model="m1", settings=settings)
    b = ChatCaller(FakeListChatModel(responses=[]), model="m2", settings=settings)
    spec = a._schema(ModelSummary)
    msgs = [HumanMessage(content="hello")]
    h = a.request_hash("json_schema", msgs, spec)
    assert h == a.request_hash("json_schema", list(msgs), spec)
    assert h != b.request_hash("json_schema", msgs, spec)
    assert h != a.request_hash("function_calling", msgs, spec)
    assert h != a.request_hash("json_schema", [HumanMessage(content="hello!")], spec)


def test_missing_key_and_url_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="API key"):
        OpenAIBackend(Settings(openai=OpenAISettings()))


def test_settings_hash_changes_with_output_settings() -> None:
    with LoopbackServer() as srv:
        a = make_backend(srv)
        b = make_backend(srv, max_claims_per_field=3)
        c = make_backend(srv, max_retries=1)  # does not change the output
    assert a.settings_hash() != b.settings_hash()
    assert a.settings_hash() == c.settings_hash()


def test_unknown_model_costs_zero_with_a_warning() -> None:
    with LoopbackServer() as srv:
        summary = summarize(make_backend(srv, model="loopback-1"), make_doc())
    assert summary.usage.cost_usd == 0
    assert summary.usage.prompt_tokens > 0
    assert any("no known price" in w for w in summary.warnings)


def test_pricing() -> None:
    assert cost_usd("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert cost_usd("gpt-4o", 1_000_000, 0) == pytest.approx(2.50)
    assert cost_usd("gpt-4.1-mini", 0, 1_000_000) == pytest.approx(1.60)
    assert cost_usd("gpt-4.1", 1_000_000, 1_000_000, batch=True) == pytest.approx(5.00)
    assert price_for("gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini")
    assert price_for("gpt-4o-2024-08-06") == price_for("gpt-4o")
    assert estimate("llama3:8b", 1000, 1000).known is False
    assert cost_usd("llama3:8b", 1000, 1000) == 0
