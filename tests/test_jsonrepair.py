from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litdigest.llm.jsonrepair import JSONRepairError, parse_json, parse_json_object, repair_json

# ---- valid JSON round-trips ----------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
containers = st.one_of(
    st.lists(json_values, max_size=5),
    st.dictionaries(st.text(max_size=10), json_values, max_size=5),
)


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 2]), st.booleans())
def test_valid_json_round_trips_unchanged(value: Any, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert parse_json(text) == value


@settings(max_examples=150, deadline=None)
@given(containers, st.sampled_from([None, 2]), st.booleans())
def test_the_repairing_scanner_leaves_valid_json_equal(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    # repair_json always rescans, so this exercises the scanner itself on valid input
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert json.loads(repair_json(text)) == value


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, min_size=1, max_size=5))
def test_fenced_and_prose_wrapped_objects_are_found(value: dict[str, Any]) -> None:
    text = (
        f"Sure! Here is the JSON you asked for:\n```json\n{json.dumps(value)}\n```\nAnything else?"
    )
    assert parse_json(text) == value


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, min_size=1, max_size=5), st.data())
def test_truncated_objects_never_crash(value: dict[str, Any], data: st.DataObject) -> None:
    text = json.dumps(value)
    cut = data.draw(st.integers(min_value=1, max_value=len(text)))
    try:
        out = parse_json(text[:cut])
    except JSONRepairError:
        return
    assert isinstance(out, dict)


# ---- repairs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1,}', {"a": 1}),
        ('{"a": [1, 2,],}', {"a": [1, 2]}),
        ("[1,,2]", [1, 2]),
        ("{'a': 'b'}", {"a": "b"}),
        ("{'a': 'it\\'s'}", {"a": "it's"}),
        ("{'a': 'He said \"hi\"'}", {"a": 'He said "hi"'}),
        ('{a: 1, b_2: "x"}', {"a": 1, "b_2": "x"}),
        ('{"a": True, "b": False, "c": None}', {"a": True, "b": False, "c": None}),
        ('{"a": "line1\nline2\ttab"}', {"a": "line1\nline2\ttab"}),
        ("{“tldr”: “smart quotes”}", {"tldr": "smart quotes"}),
        ("{‘a’: ‘b’}", {"a": "b"}),
        ('{"a": "He said "no" loudly"}', {"a": 'He said "no" loudly'}),
        ('{"a": 1 "b": 2}', {"a": 1, "b": 2}),
        ('{"a": "x"\n "b": "y"}', {"a": "x", "b": "y"}),
        ('{"a": [1, 2}', {"a": [1, 2]}),
        ('{"a": .5, "b": +1, "c": 1., "d": 007}', {"a": 0.5, "b": 1, "c": 1.0, "d": 7}),
        ('// comment\n{"a": 1 /* inline */}', {"a": 1}),
        ('{"a": "x\\q"}', {"a": "x\\q"}),
        ('{"a": "\\u00e9"}', {"a": "é"}),
        ('{"a": NaN, "b": -Infinity}', {"a": None, "b": None}),
    ],
)
def test_repairs(text: str, expected: Any) -> None:
    assert parse_json(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": "abc', {"a": "abc"}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": 1, "b":', {"a": 1}),
        ('{"a": 1, "b": -', {"a": 1}),
        ('{"a": {"b": [{"c": "d', {"a": {"b": [{"c": "d"}]}}),
        ("[1, 2, tr", [1, 2, True]),
        ('{"a": "x\\', {"a": "x"}),
        ('{"a": "\\u00', {"a": ""}),
        ('{"a": 1,', {"a": 1}),
    ],
)
def test_truncated_json_is_closed(text: str, expected: Any) -> None:
    assert parse_json(text) == expected


def test_code_fence_without_closing_fence() -> None:
    assert parse_json('```json\n{"a": [1, 2]') == {"a": [1, 2]}


def test_leading_prose_with_brackets_prefers_the_object() -> None:
    text = 'As noted [1], the answer is: {"tldr": "x", "n": [1]} — done.'
    assert parse_json(text) == {"tldr": "x", "n": [1]}


def test_trailing_text_after_the_value_is_ignored() -> None:
    assert parse_json('{"a": 1}\n```\nHope this helps! {"b": 2}') == {"a": 1}


def test_malformed_loopback_style_output_is_repaired() -> None:
    good = json.dumps({"tldr": "t", "mechanism": [{"statement": "s", "quotes": ["q q q"]}]})
    broken = good[: len(good) // 2].rstrip("}] ") + ', "oops": '
    out = parse_json(broken)
    assert isinstance(out, dict)
    assert out["tldr"] == "t"
    assert "oops" not in out


@pytest.mark.parametrize(
    "text",
    ["", "   ", "no json here", "I'm sorry, I can't help with that.", "{ foo bar }", "[1, 2, x y]"],
)
def test_unrepairable_text_raises_value_error_with_a_short_reason(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_json(text)
    assert isinstance(info.value, JSONRepairError)
    assert 0 < len(str(info.value)) < 120
    assert "\n" not in str(info.value)


def test_parse_json_object_unwraps_double_encoding_and_singleton_lists() -> None:
    assert parse_json_object(json.dumps(json.dumps({"a": 1}))) == {"a": 1}
    assert parse_json_object('[{"a": 1}]') == {"a": 1}
    with pytest.raises(JSONRepairError, match="expected a JSON object"):
        parse_json_object("[1, 2]")
