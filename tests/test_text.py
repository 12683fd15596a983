"""litdigest.text: the one Markdown escaper, one-line and hash helpers."""

from __future__ import annotations

import hashlib
import json

from litdigest.errors import BudgetExceeded, RuntimeFailure
from litdigest.summarize.schema import Claim, DocumentSummary, Quote
from litdigest.summarize.sinks import render_markdown
from litdigest.text import canonical_json, md_escape, md_escape_lines, one_line, stable_hash

LINK = "see [the trial](https://evil.example/x) and ![img](https://evil.example/p.png)"


def test_md_escape_defuses_links_html_and_emphasis() -> None:
    out = md_escape(LINK + " <script>x</script> *bold* _it_ `code`\nnext")
    assert "](" not in out.replace("\\](", "")
    assert "[the trial\\]" in out and "\\[the trial" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\\*bold\\*" in out and "\\_it\\_" in out and "\\`code\\`" in out
    assert "\n" not in out
    assert md_escape_lines("a [b](c)\nd") == ["a \\[b\\](c)", "d"]


def test_summary_markdown_cannot_carry_a_model_link() -> None:
    text = "PD-1 dampens TCR signalling. " + LINK
    quote = Quote(text=text[:28], start=0, end=28)
    summary = DocumentSummary(
        doc_id="0" * 16,
        source="a.txt",
        tldr=LINK,
        mechanism=[Claim(statement=LINK, quotes=[quote])],
        backend="x",
        model="x",
        prompt_version="x",
    )
    md = render_markdown(summary)
    assert "[the trial](" not in md and "![img](" not in md


def test_helpers() -> None:
    assert one_line("  a\n\tb  c ") == "a b c"
    payload = {"b": [1, "é"], "a": None}
    assert canonical_json(payload) == '{"a":null,"b":[1,"é"]}'
    full = hashlib.sha256(canonical_json(payload).encode()).hexdigest()
    assert stable_hash(payload) == full[:16] and stable_hash(payload, None) == full
    assert json.loads(canonical_json(payload)) == payload


def test_budget_exceeded_is_a_runtime_failure() -> None:
    from litdigest.summarize.backends.base import BudgetExceeded as FromBase

    assert FromBase is BudgetExceeded and issubclass(BudgetExceeded, RuntimeFailure)
