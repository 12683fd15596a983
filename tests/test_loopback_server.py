"""The loopback OpenAI-compatible server, exercised with the real ``openai`` clients."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageParam,
)
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ConfigDict

from litdigest.summarize.schema import ModelSummary, strict_json_schema
from tests.loopback_server import (
    Fault,
    FaultPlan,
    LoopbackServer,
    build_answer,
    extract_document,
    split_sentences,
)

REPO = Path(__file__).resolve().parents[1]
API_KEY = "sk-test-loopback-0123456789"

DOC = (
    "Tumour necrosis factor signals via the NF-kB pathway and induces IL-6 expression in "
    "macrophages.\n"
    "In a cohort of 1,200 patients, high IL-6 was associated with a hazard ratio of 1.8 for "
    "death.\n"
    "Mice lacking IL-6 developed 40% fewer tumours than wild-type controls.\n\n"
    "Anti-IL-6 therapy with tocilizumab is a promising treatment target in clinical practice. "
    "A phase II trial of the inhibitor showed responses in 30% of participants."
)


def _messages(doc: str = DOC, fence: str = "lines") -> list[ChatCompletionMessageParam]:
    if fence == "lines":
        user = f"Summarise this article.\n<<<DOCUMENT\n{doc}\nDOCUMENT>>>\nAnswer in JSON."
    elif fence == "tags":
        user = f"Summarise this article.\n<document>\n{doc}\n</document>\nAnswer in JSON."
    else:
        user = doc
    return [
        {
            "role": "system",
            "content": "You summarise the article between <<<DOCUMENT and DOCUMENT>>> "
            "(or <document> tags). Quote verbatim.",
        },
        {"role": "user", "content": user},
    ]


def _schema_format(name: str, model: type[BaseModel]) -> ResponseFormatJSONSchema:
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": strict_json_schema(model), "strict": True},
    }


def _summary_format() -> ResponseFormatJSONSchema:
    return _schema_format("ModelSummary", ModelSummary)


def _quotes(summary: ModelSummary) -> list[str]:
    claims = [*summary.mechanism, *summary.evidence, *summary.therapeutic_implication]
    return [q for c in claims for q in c.quotes]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


def _client(srv: LoopbackServer, timeout: float = 5.0) -> OpenAI:
    return OpenAI(base_url=srv.base_url, api_key=API_KEY, max_retries=0, timeout=timeout)


def _tool(name: str, parameters: dict[str, Any]) -> ChatCompletionFunctionToolParam:
    return {
        "type": "function",
        "function": {"name": name, "description": "Record it.", "parameters": parameters},
    }


def _summary_request(client: OpenAI) -> ChatCompletion:
    return client.chat.completions.create(
        model="gpt-test", messages=_messages(), response_format=_summary_format()
    )


# --- answers built from the prompt -----------------------------------------------------------


@pytest.mark.parametrize("fence", ["lines", "tags", "none"])
def test_json_schema_summary_is_valid_and_grounded(server: LoopbackServer, fence: str) -> None:
    completion = _client(server).chat.completions.create(
        model="gpt-test",
        messages=_messages(fence=fence),
        response_format=_summary_format(),
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert completion.object == "chat.completion"
    assert completion.model == "loopback-1"
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert choice.message.content is not None
    summary = ModelSummary.model_validate_json(choice.message.content)
    quotes = _quotes(summary)
    assert quotes and all(q in DOC for q in quotes)
    assert summary.tldr and summary.tldr[0].claim_ids == ["M1"]
    assert summary.tldr[0].text == summary.mechanism[0].statement
    assert summary.mechanism and "pathway" in summary.mechanism[0].quotes[0]
    kinds = {c.evidence_kind.value for c in summary.evidence}
    assert {"patient_cohort", "animal_model"} <= kinds
    assert summary.therapeutic_implication


def test_answer_is_deterministic(server: LoopbackServer) -> None:
    client = _client(server)
    first = _summary_request(client).choices[0].message.content
    second = _summary_request(client).choices[0].message.content
    assert first == second


def test_parse_helper_accepts_the_answer(server: LoopbackServer) -> None:
    completion = _client(server).chat.completions.parse(
        model="gpt-test",
        messages=_messages(),
        response_format=ModelSummary,
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, ModelSummary)
    assert all(q in DOC for q in _quotes(parsed))


class _Section(StrEnum):
    MECHANISM = "mechanism"
    EVIDENCE = "evidence"
    THERAPEUTIC = "therapeutic_implication"


class _MapClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    section: _Section
    statement: str
    quotes: list[str]


class _MapStep(BaseModel):
    """A map-step schema: claims from one chunk and how relevant the chunk is."""

    model_config = ConfigDict(extra="forbid")
    claims: list[_MapClaim]
    relevance: float


def test_generic_schema_walker_fills_a_map_step_schema(server: LoopbackServer) -> None:
    completion = _client(server).chat.completions.create(
        model="gpt-test",
        messages=_messages(),
        response_format=_schema_format("map", _MapStep),
    )
    content = completion.choices[0].message.content
    assert content is not None
    step = _MapStep.model_validate_json(content)
    assert 1 <= len(step.claims) <= 3
    assert step.relevance == 0.5
    assert all(q in DOC for c in step.claims for q in c.quotes)
    assert step.claims[0].section is _Section.MECHANISM


class _ReduceClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int]
    statement: str


class _ReduceStep(BaseModel):
    """A reduce-step schema: claims refer to indexed candidate lines."""

    model_config = ConfigDict(extra="forbid")
    tldr: str
    mechanism: list[_ReduceClaim]
    evidence: list[_ReduceClaim]
    therapeutic_implication: list[_ReduceClaim]


def test_generic_schema_walker_fills_a_reduce_step_schema(server: LoopbackServer) -> None:
    candidates = (
        "[0] mechanism (0.90) TNF signals via NF-kB | TNF signals via NF-kB in macrophages\n"
        "[1] evidence (0.80) IL-6 predicts death | high IL-6 was associated with death\n"
        "[2] mechanism (0.70) IL-6 is induced | induces IL-6 expression\n"
        "[3] evidence (0.60) Knockout mice have fewer tumours | Mice lacking IL-6"
    )
    completion = _client(server).chat.completions.create(
        model="gpt-test",
        messages=_messages(doc=candidates),
        response_format=_schema_format("reduce", _ReduceStep),
    )
    content = completion.choices[0].message.content
    assert content is not None
    step = _ReduceStep.model_validate_json(content)
    assert [c.ids for c in step.mechanism] == [[0], [2]]
    assert [c.ids for c in step.evidence] == [[1], [3]]
    assert step.therapeutic_implication == []  # no candidate of that section: none invented


def test_json_object_mode_answers_the_summary_schema(server: LoopbackServer) -> None:
    completion = _client(server).chat.completions.create(
        model="gpt-test",
        messages=_messages(),
        response_format={"type": "json_object"},
    )
    content = completion.choices[0].message.content
    assert content is not None
    assert all(q in DOC for q in _quotes(ModelSummary.model_validate_json(content)))


def test_tools_mode_returns_a_tool_call(server: LoopbackServer) -> None:
    tool = _tool("record_summary", strict_json_schema(ModelSummary))
    completion = _client(server).chat.completions.create(
        model="gpt-test",
        messages=_messages(),
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "record_summary"}},
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    call = calls[0]
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "record_summary"
    summary = ModelSummary.model_validate_json(call.function.arguments)
    assert all(q in DOC for q in _quotes(summary))


def test_streaming(server: LoopbackServer) -> None:
    stream = _client(server).chat.completions.create(
        model="gpt-test",
        messages=_messages(),
        response_format=_summary_format(),
        stream=True,
        stream_options={"include_usage": True},
    )
    parts: list[str] = []
    finish: list[str] = []
    usage = None
    for chunk in stream:
        for choice in chunk.choices:
            parts.append(choice.delta.content or "")
            if choice.finish_reason:
                finish.append(choice.finish_reason)
        usage = chunk.usage or usage
    ModelSummary.model_validate_json("".join(parts))
    assert finish == ["stop"]
    assert usage is not None and usage.completion_tokens > 0


def test_models_endpoint(server: LoopbackServer) -> None:
    models = _client(server).models.list()
    assert [m.id for m in models.data] == ["loopback-1"]


def test_extraction_helpers() -> None:
    assert extract_document(_messages(fence="tags")).strip() == DOC
    assert extract_document(_messages(fence="lines")) == DOC
    assert extract_document(_messages(fence="none")) == DOC
    parts = [{"role": "user", "content": [{"type": "text", "text": "<document>x y</document>"}]}]
    assert extract_document(parts) == "x y"
    two = [
        {
            "role": "user",
            "content": "<document>First block here.</document> and <document>B</document>",
        }
    ]
    assert extract_document(two) == "First block here.\n\nB"
    sentences = split_sentences(DOC)
    assert len(sentences) == 5 and all(s in DOC for s in sentences)
    assert build_answer("", strict_json_schema(ModelSummary))["mechanism"] == []


# --- capabilities ------------------------------------------------------------------------------


def test_json_schema_unsupported_is_a_bad_request() -> None:
    with LoopbackServer(supports_json_schema=False) as srv:
        client = _client(srv)
        with pytest.raises(openai.BadRequestError) as info:
            _summary_request(client)
        assert info.value.status_code == 400
        assert info.value.param == "response_format"
        assert "json_schema is not supported" in info.value.message
        # json_object still works, so a client can fall back
        completion = client.chat.completions.create(
            model="gpt-test",
            messages=_messages(),
            response_format={"type": "json_object"},
        )
        assert completion.choices[0].message.content
        assert srv.stats()["error"] == 1 and srv.stats()["ok"] == 1


def test_tools_unsupported_is_a_bad_request() -> None:
    tool = _tool("f", {"type": "object"})
    with LoopbackServer(supports_tools=False) as srv, pytest.raises(openai.BadRequestError) as info:
        _client(srv).chat.completions.create(
            model="gpt-test",
            messages=_messages(),
            tools=[tool],
        )
    assert info.value.param == "tools"


# --- faults ------------------------------------------------------------------------------------


def _one_fault(fault: Fault, **kwargs: Any) -> LoopbackServer:
    return LoopbackServer(faults=FaultPlan(script=[fault], **kwargs))


def test_rate_limit() -> None:
    with _one_fault(Fault.RATE_LIMIT, retry_after_s=0.25) as srv:
        client = _client(srv)
        with pytest.raises(openai.RateLimitError) as info:
            _summary_request(client)
        headers = info.value.response.headers
        assert float(headers["retry-after"]) == 0.25
        assert headers["retry-after-ms"] == "250"
        assert info.value.code == "rate_limit_exceeded"
        assert _summary_request(client).choices[0].message.content  # script consumed
        assert srv.stats()["rate_limit"] == 1 and srv.stats()["ok"] == 1
        assert [r.status for r in srv.requests] == [429, 200]


def test_rate_limit_is_retried_by_the_client() -> None:
    with _one_fault(Fault.RATE_LIMIT) as srv:
        client = OpenAI(base_url=srv.base_url, api_key=API_KEY, max_retries=2, timeout=5)
        assert _summary_request(client).choices[0].message.content
        assert [r.fault for r in srv.requests] == [Fault.RATE_LIMIT, None]


def test_server_error() -> None:
    with _one_fault(Fault.SERVER_ERROR) as srv, pytest.raises(openai.InternalServerError):
        _summary_request(_client(srv))


def test_timeout() -> None:
    with LoopbackServer(faults=FaultPlan(script=[Fault.TIMEOUT]), timeout_sleep_s=3.0) as srv:
        client = _client(srv, timeout=0.3)
        start = time.perf_counter()
        with pytest.raises(openai.APITimeoutError):
            _summary_request(client)
        assert time.perf_counter() - start < 2.0
        # the sleeping handler does not block other requests
        assert _summary_request(client).choices[0].message.content


def test_reset() -> None:
    with _one_fault(Fault.RESET) as srv:
        client = _client(srv)
        with pytest.raises(openai.APIConnectionError) as info:
            _summary_request(client)
        assert not isinstance(info.value, openai.APITimeoutError)
        assert _summary_request(client).choices[0].message.content
        assert srv.requests[0].status == 0


def test_malformed_json() -> None:
    with _one_fault(Fault.MALFORMED_JSON) as srv:
        content = _summary_request(_client(srv)).choices[0].message.content
    assert content
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


def test_schema_invalid() -> None:
    with _one_fault(Fault.SCHEMA_INVALID) as srv:
        content = _summary_request(_client(srv)).choices[0].message.content
    assert content
    assert isinstance(json.loads(content), dict)
    with pytest.raises(ValueError):
        ModelSummary.model_validate_json(content)


def test_invented_quote() -> None:
    with _one_fault(Fault.INVENTED_QUOTE) as srv:
        content = _summary_request(_client(srv)).choices[0].message.content
    assert content
    quotes = _quotes(ModelSummary.model_validate_json(content))
    missing = [q for q in quotes if q not in DOC]
    assert len(missing) >= 1
    assert len(missing) < len(quotes)  # the rest stay grounded


def test_truncated() -> None:
    with _one_fault(Fault.TRUNCATED) as srv:
        completion = _client(srv).chat.completions.create(
            model="gpt-test",
            messages=_messages(),
            response_format=_summary_format(),
            max_completion_tokens=50,
        )
    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    assert choice.message.content
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content)
    assert completion.usage is not None and completion.usage.completion_tokens == 50


def test_truncated_parse_raises_length_error() -> None:
    with _one_fault(Fault.TRUNCATED) as srv, pytest.raises(openai.LengthFinishReasonError):
        _client(srv).chat.completions.parse(
            model="gpt-test",
            messages=_messages(),
            response_format=ModelSummary,
        )


def test_refusal() -> None:
    with _one_fault(Fault.REFUSAL) as srv:
        choice = _summary_request(_client(srv)).choices[0]
    assert choice.message.content is None
    assert choice.message.refusal
    assert choice.finish_reason == "stop"


def test_tools_mode_faults_apply_to_the_arguments() -> None:
    tool = _tool("rec", strict_json_schema(ModelSummary))
    with _one_fault(Fault.MALFORMED_JSON) as srv:
        completion = _client(srv).chat.completions.create(
            model="gpt-test",
            messages=_messages(),
            tools=[tool],
            tool_choice="required",
        )
    calls = completion.choices[0].message.tool_calls
    assert calls is not None and calls[0].type == "function"
    with pytest.raises(json.JSONDecodeError):
        json.loads(calls[0].function.arguments)


# --- fault plans -------------------------------------------------------------------------------


def _fault_sequence(plan: FaultPlan, prompts: int, rounds: int) -> list[Fault | None]:
    with LoopbackServer(faults=plan) as srv:
        client = httpx.Client(timeout=5)
        for _ in range(rounds):
            for i in range(prompts):
                body = {"model": "m", "messages": _messages(doc=f"{DOC} Document number {i}.")}
                client.post(f"{srv.base_url}/chat/completions", json=body)
        client.close()
        return [r.fault for r in srv.requests]


def test_rates_are_deterministic_for_a_seed() -> None:
    rates = {Fault.RATE_LIMIT: 0.3, Fault.SERVER_ERROR: 0.2, Fault.MALFORMED_JSON: 0.1}
    first = _fault_sequence(FaultPlan(rates=rates, seed=7), prompts=10, rounds=3)
    again = _fault_sequence(FaultPlan(rates=rates, seed=7), prompts=10, rounds=3)
    other = _fault_sequence(FaultPlan(rates=rates, seed=8), prompts=10, rounds=3)
    assert first == again
    assert first != other
    assert 3 <= sum(f is not None for f in first) <= 28


def test_max_faults_per_prompt_lets_retries_succeed() -> None:
    plan = FaultPlan(rates={Fault.SERVER_ERROR: 1.0}, max_faults_per_prompt=2)
    faults = _fault_sequence(plan, prompts=2, rounds=4)
    per_prompt = [faults[i::2] for i in range(2)]
    assert per_prompt == [[Fault.SERVER_ERROR, Fault.SERVER_ERROR, None, None]] * 2


def test_script_is_consumed_first_then_rates() -> None:
    plan = FaultPlan(script=[None, Fault.REFUSAL], rates={Fault.SERVER_ERROR: 1.0})
    assert _fault_sequence(plan, prompts=1, rounds=4) == [
        None,
        Fault.REFUSAL,
        Fault.SERVER_ERROR,
        Fault.SERVER_ERROR,
    ]


def test_invalid_plans_are_refused() -> None:
    with pytest.raises(ValueError):
        FaultPlan(rates={Fault.RESET: 0.7, Fault.TIMEOUT: 0.7})
    with pytest.raises(ValueError):
        FaultPlan(rates={Fault.RESET: -0.1})


# --- concurrency, lifecycle, recording -----------------------------------------------------------


def test_64_concurrent_requests_do_not_queue() -> None:
    async def run(srv: LoopbackServer) -> float:
        client = AsyncOpenAI(base_url=srv.base_url, api_key=API_KEY, max_retries=0, timeout=10)

        async def one(i: int) -> str | None:
            completion = await client.chat.completions.create(
                model="gpt-test",
                messages=_messages(doc=f"{DOC} Chunk {i}."),
                response_format=_summary_format(),
            )
            return completion.choices[0].message.content

        start = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(64)))
        elapsed = time.perf_counter() - start
        await client.close()
        assert all(results)
        return elapsed

    with LoopbackServer(latency_s=0.2) as srv:
        elapsed = asyncio.run(run(srv))
        assert srv.stats()["ok"] == 64
    assert elapsed < 1.5, f"64 requests at 0.2 s latency took {elapsed:.2f} s"


def test_stop_is_prompt_with_a_request_sleeping_in_timeout() -> None:
    srv = LoopbackServer(faults=FaultPlan(script=[Fault.TIMEOUT]), timeout_sleep_s=30.0).start()
    client = _client(srv, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        _summary_request(client)
    # and one whose client is still waiting on the sleeping handler
    srv2 = LoopbackServer(faults=FaultPlan(script=[Fault.TIMEOUT]), timeout_sleep_s=30.0).start()
    errors: list[BaseException] = []

    def waiting() -> None:
        try:
            _summary_request(_client(srv2, timeout=20))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=waiting)
    thread.start()
    deadline = time.monotonic() + 5
    while not srv2.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.perf_counter()
    srv.stop()
    srv2.stop()
    assert time.perf_counter() - start < 1.0
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert errors and isinstance(errors[0], openai.APIConnectionError)
    srv.stop()  # idempotent


def test_requests_are_recorded_without_leaking_the_key(server: LoopbackServer) -> None:
    _summary_request(_client(server))
    (record,) = server.requests
    assert record.method == "POST" and record.path == "/v1/chat/completions"
    assert record.headers["authorization"] == f"Bearer {API_KEY}"
    assert record.status == 200 and record.fault is None
    assert record.body["model"] == "gpt-test"
    assert API_KEY not in repr(record)
    assert API_KEY not in str(record.safe_headers())
    assert server.stats()["total"] == 1


def test_unknown_path_is_404(server: LoopbackServer) -> None:
    response = httpx.post(f"{server.base_url}/embeddings", json={})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_runs_as_a_script() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.loopback_server", "--port", "0", "--latency", "0.01"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        response = httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {API_KEY}"})
        assert response.json()["data"][0]["id"] == "loopback-1"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert API_KEY not in err
    assert json.loads(err.strip().splitlines()[-1])["total"] == 1
