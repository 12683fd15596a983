"""Issue 15 units: reasoning output, lenient parsing, request sizes, prices, SSE, folds."""

from __future__ import annotations

import json

import pytest

from litdigest.config import Settings
from litdigest.llm.caller import parse_output
from litdigest.llm.jsonrepair import json_objects, parse_json_object, strip_reasoning
from litdigest.llm.limits import (
    context_window,
    map_chunk_tokens,
    output_tokens,
    single_call_tokens,
)
from litdigest.llm.pricing import estimate
from litdigest.summarize.backends.openai import join_sse
from litdigest.summarize.grounding import GroundingIndex
from litdigest.summarize.schema import EvidenceKind, ModelSummary


def test_think_block_is_not_the_answer() -> None:
    text = '<think>e.g. {"tldr": "x"}</think>{"tldr":"REAL"}'
    assert parse_json_object(text) == {"tldr": "REAL"}
    assert strip_reasoning('draft {"a": 1}</think>\n{"b": 2}').strip() == '{"b": 2}'
    assert json_objects('{"a": 1} then {"b": {"c": 2}}') == [{"a": 1}, {"b": {"c": 2}}]


def test_last_object_that_validates_wins() -> None:
    good = {"tldr": "t", "mechanism": [], "evidence": [], "therapeutic_implication": []}
    text = '{"tldr": 1, "mechanism": 5}\nFinal:\n' + json.dumps(good)
    assert parse_output(text, ModelSummary).tldr_text == "t"
    text = json.dumps(good) + '\n{"note": "not a summary"}'
    assert parse_output(text, ModelSummary).tldr_text == "t"


def test_lenient_coercion_reports_warnings() -> None:
    found: list[str] = []
    reply = {
        "tldr": "t",
        "mechanism": None,
        "evidence": [
            {"statement": "a", "quotes": ["q q q"], "evidence_kind": "RCT", "x": 1},
            {"statement": "b", "quotes": ["q q q"], "evidence_kind": "mouse model"},
            {"statement": "c", "quotes": ["q q q"], "evidence_kind": "anecdote"},
            {"statement": "  ", "quotes": ["q q q"], "evidence_kind": "review"},
        ],
        "therapeutic_implication": [{"statement": "d", "quotes": None}],
        "extra": True,
    }
    value = parse_output(json.dumps(reply), ModelSummary, found)
    assert value.mechanism == []
    assert [c.evidence_kind for c in value.evidence] == [
        EvidenceKind.CLINICAL_TRIAL,
        EvidenceKind.ANIMAL_MODEL,
        EvidenceKind.UNSPECIFIED,
    ]
    assert value.therapeutic_implication[0].quotes == []
    assert any("extra" in w for w in found) and any("without a statement" in w for w in found)


def test_request_sizes_follow_the_context_window() -> None:
    settings = Settings()
    settings.openai.model = "gpt-4o-mini"
    assert context_window(settings) == 128_000
    assert single_call_tokens(settings) >= 24_000
    assert settings.chunk.max_tokens <= map_chunk_tokens(settings) <= 8_000
    settings.openai.model = "my-local-model"
    assert context_window(settings) == 32_768
    settings.llm.context_windows = {"my-local": 8192}
    assert context_window(settings) == 8192
    assert single_call_tokens(settings) == 2048
    settings.summarize.single_call_max_tokens = 1000
    assert single_call_tokens(settings) == 1000
    assert output_tokens(15) > output_tokens(15, reduced=True) > 0


def test_cached_input_is_priced_lower() -> None:
    full = estimate("gpt-4o-mini", 1000, 100)
    cached = estimate("gpt-4o-mini", 1000, 100, cached=800)
    assert cached.usd < full.usd
    assert cached.usd == pytest.approx((200 * 0.15 + 800 * 0.075 + 100 * 0.60) / 1e6)


def test_sse_events_are_joined_into_one_completion() -> None:
    events = [
        {
            "id": "c1",
            "model": "m",
            "choices": [{"delta": {"role": "assistant", "content": '{"a"'}}],
        },
        {"id": "c1", "choices": [{"delta": {"content": ": 1}", "reasoning_content": "hmm"}}]},
        {"id": "c1", "choices": [{"delta": {}, "finish_reason": "stop"}]},
    ]
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    body = join_sse(text)
    assert body["choices"][0]["message"]["content"] == '{"a": 1}'
    assert body["choices"][0]["finish_reason"] == "stop"
    with pytest.raises(ValueError):
        join_sse("event: ping\n\n")


def test_grounding_folds_ligatures_soft_hyphens_and_emphasis() -> None:
    text = "The \ufb01broblast acti\u00advation via **PD-1** blockade restores _in vivo_ \ufb02ow."
    index = GroundingIndex(text)
    for quote in (
        "fibroblast activation via PD-1 blockade",
        "PD-1 blockade restores in vivo flow",
        "**fibroblast activation** via PD-1",
    ):
        found = index.locate(quote)
        assert found is not None, quote
        assert text[found[0] : found[1]]  # an exact slice of the text
    assert index.locate("fibroblast inactivation via PD-1") is None
