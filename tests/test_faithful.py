"""Faithful beyond the quote (issue 14): statements and the TL;DR checked against quotes in the
chains (re-ask, drop or flag), reviewers see it in the export, loopback faults never leak."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from pydantic import SecretStr

from litdigest.config import ChunkSettings, OpenAISettings, Settings, SummarizeSettings
from litdigest.digest.build import build_digest
from litdigest.digest.render_html import render_html
from litdigest.digest.render_md import render_markdown as render_digest_markdown
from litdigest.documents import Document, Format, Metadata, content_hash
from litdigest.review.decisions import Reviewer
from litdigest.review.export import export_digest
from litdigest.store.store import Store
from litdigest.summarize.backends.base import CallContext
from litdigest.summarize.backends.openai import OpenAIBackend
from litdigest.summarize.faithful import parse_claim_id
from litdigest.summarize.schema import Claim, DocumentSummary, Quote
from litdigest.summarize.sinks import render
from litdigest.summarize.support import compose_cited_tldr
from tests.loopback_faults import FAITHFULNESS_FAULTS
from tests.loopback_server import Fault, FaultPlan, LoopbackServer
from tests.test_chains import FakeChat, make_chain, run

S1 = "Anti-PD-1 therapy increased the infiltration of CD8+ T cells into tumours."
S2 = "The objective response rate was 42% in the treated cohort of 120 patients."
S3 = "Ipilimumab did not improve overall survival in the adjuvant setting."
S4 = "Tumour-associated macrophages secrete IL-10 and suppress effector T cells."
TEXT = " ".join([S1, S2, S3, S4])


def doc() -> Document:
    return Document(
        doc_id=content_hash(TEXT),
        text=TEXT,
        metadata=Metadata(title="Checkpoints"),
        format=Format.TEXT,
        source="doc.txt",
    )


def reply(
    mechanism: list[tuple[str, str]],
    evidence: list[tuple[str, str]] = (),  # type: ignore[assignment]
    tldr: list[tuple[str, list[str]]] | None = None,
) -> str:
    out: dict[str, Any] = {
        "mechanism": [{"statement": s, "quotes": [q]} for s, q in mechanism],
        "evidence": [
            {"statement": s, "quotes": [q], "evidence_kind": "patient_cohort"} for s, q in evidence
        ],
        "therapeutic_implication": [],
        "tldr": [{"text": t, "claim_ids": ids} for t, ids in (tldr or [])],
    }
    return json.dumps(out)


def last_user(messages: list[BaseMessage]) -> str:
    return str([m for m in messages if m.type == "human"][-1].content)


def scripted(*answers: str) -> FakeChat:
    queue = list(answers)

    def handler(kind: str, document: str, messages: list[BaseMessage]) -> str:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return FakeChat(handler=handler)


def test_changed_number_is_reasked_with_the_number_then_repaired() -> None:
    bad = reply([(S1, S1)], [("The response rate was 24%.", S2)], [("CD8+ T cells rose.", ["M1"])])
    good = reply([(S1, S1)], [("The response rate was 42%.", S2)], [("CD8+ T cells rose.", ["M1"])])
    llm = scripted(bad, good)
    chain, _ = make_chain(llm)
    summary = run(chain, doc())
    assert len(llm.calls) == 2
    assert "'24%'" in last_user(llm.calls[1])
    assert [c.statement for c in summary.evidence] == ["The response rate was 42%."]
    assert all(c.support == "supported" for _, _, c in summary.iter_claims())
    log = summary.support_log
    assert log is not None
    assert (log.unsupported, log.reasked, log.repaired, log.dropped) == (1, 1, 1, 0)
    assert summary.warnings == []


@pytest.mark.parametrize("mode", ["drop", "flag"])
def test_still_unsupported_after_reask_is_dropped_or_flagged(mode: str) -> None:
    flipped = reply(
        [(S1, S1), ("Ipilimumab improved overall survival.", S3)], tldr=[("CD8 rose.", ["M1"])]
    )
    llm = scripted(flipped)
    chain, settings = make_chain(llm)
    settings.support.unsupported = "drop" if mode == "drop" else "flag"
    summary = run(chain, doc())
    statements = [c.statement for c in summary.mechanism]
    log = summary.support_log
    assert log is not None and log.reasked == 1
    assert any("Ipilimumab improved overall survival" in w for w in summary.warnings)
    if mode == "drop":
        assert statements == [S1] and log.dropped == 1
    else:
        flagged = summary.mechanism[1]
        assert flagged.support == "unverified" and log.flagged == 1
        assert any("negation dropped" in t for t in flagged.unsupported_terms)


def test_invented_tldr_is_reasked_then_accepted() -> None:
    first = reply([(S1, S1), (S4, S4)], tldr=[("Interleukin-99 cures tumours.", ["M1"])])
    tldr_only = json.dumps({"tldr": [{"text": "Macrophages secrete IL-10.", "claim_ids": ["M2"]}]})
    llm = scripted(first, tldr_only)
    chain, _ = make_chain(llm)
    summary = run(chain, doc())
    assert "Interleukin-99" in last_user(llm.calls[1]) and "[M2]" in last_user(llm.calls[1])
    assert summary.tldr == "Macrophages secrete IL-10."
    assert summary.tldr_citations[0].claims == ["mechanism[1]"]
    assert summary.support_log is not None and summary.support_log.tldr_reasked == 1


def test_tldr_failing_twice_is_composed_from_claims_with_a_warning() -> None:
    first = reply([(S1, S1)], tldr=[("Interleukin-99 cures tumours.", ["M1"])])
    again = json.dumps({"tldr": [{"text": "IL-99 cures 99% of tumours.", "claim_ids": ["M1"]}]})
    llm = scripted(first, again)
    chain, _ = make_chain(llm)
    summary = run(chain, doc())
    assert "99" not in summary.tldr and summary.tldr == S1
    assert summary.tldr_citations[0].claims == ["mechanism[0]"]
    assert summary.support_log is not None and summary.support_log.tldr_composed == 1
    assert any("composed it from the top claims" in w for w in summary.warnings)


def test_a_supported_cited_tldr_is_kept_without_extra_calls() -> None:
    ok = reply([(S1, S1)], [(S2, S2)], tldr=[("A 42% response rate in 120 patients.", ["E1"])])
    llm = scripted(ok)
    chain, _ = make_chain(llm)
    summary = run(chain, doc())
    assert len(llm.calls) == 1
    assert summary.tldr == "A 42% response rate in 120 patients."
    assert summary.tldr_citations[0].claims == ["evidence[0]"]


def test_claim_ids_and_composition() -> None:
    assert parse_claim_id("M1") == ("mechanism", 0)
    assert parse_claim_id("[E2]") == ("evidence", 1)
    assert parse_claim_id("t3") == ("therapeutic_implication", 2)
    assert parse_claim_id("X1") is None and parse_claim_id("M0") is None
    claim = Claim(statement="a claim", quotes=[Quote(text="a claim", start=0, end=7)])
    text, cites = compose_cited_tldr(
        {"mechanism": [claim], "evidence": [], "therapeutic_implication": []}
    )
    assert text == "A claim." and cites[0].claims == ["mechanism[0]"]


# ---- the loopback server's faults, end to end ---------------------------------------------


def _backend(srv: LoopbackServer) -> OpenAIBackend:
    settings = Settings(
        openai=OpenAISettings(api_key=SecretStr("sk-test"), base_url=srv.base_url),
        summarize=SummarizeSettings(max_retries=0),
        chunk=ChunkSettings(max_tokens=120, overlap_tokens=20),
    )
    return OpenAIBackend(settings, backoff_initial_s=0.01, backoff_max_s=0.02)


def _texts(summary: DocumentSummary) -> list[str]:
    return [summary.tldr, *(c.statement for _, _, c in summary.iter_claims())]


@pytest.mark.parametrize("fault", FAITHFULNESS_FAULTS)
def test_loopback_fault_never_reaches_the_output(fault: str) -> None:
    with LoopbackServer(faults=FaultPlan(script=[Fault(fault)])) as srv:
        summary = asyncio.run(_backend(srv).summarize(doc(), [], CallContext()))
        injections = list(srv.injections)
    assert len(injections) == 1
    injected = injections[0]
    texts = _texts(summary)
    assert all(injected.altered.rstrip(".") not in t for t in texts)
    if injected.token is not None:
        assert all(injected.token not in t for t in texts)
    log = summary.support_log
    assert log is not None
    if fault == "invented_tldr":
        assert log.tldr_reasked == 1
    else:
        assert log.unsupported >= 1 and log.reasked >= 1
        assert log.repaired + log.dropped + log.flagged >= 1


def test_loopback_clean_reply_is_fully_supported() -> None:
    with LoopbackServer() as srv:
        summary = asyncio.run(_backend(srv).summarize(doc(), [], CallContext()))
        calls = len(srv.requests)
    assert calls == 1
    assert summary.support_log is not None and summary.support_log.unsupported == 0
    assert summary.tldr and summary.tldr_citations


# ---- reviewers see it ------------------------------------------------------------------------


def _unverified_claim() -> Claim:
    """S3 restated without its negation, flagged by the support check."""
    at = TEXT.index(S3)
    return Claim(
        statement="Ipilimumab improved overall survival.",
        quotes=[Quote(text=S3, start=at, end=at + len(S3))],
        support="unverified",
        unsupported_terms=["negation dropped: the quote says 'not'"],
    )


def _stored_summary(store: Store, mechanism: list[Claim]) -> DocumentSummary:
    """An openai summary of ``doc()`` with these mechanism claims, added to ``store``."""
    d = doc()
    summary = DocumentSummary(
        doc_id=d.doc_id,
        source=d.source,
        tldr="t",
        mechanism=mechanism,
        backend="openai",
        model="m",
        prompt_version="v",
    )
    store.add_document(d)
    store.put_summary(d.doc_id, "openai", "m", "v", "h", summary.model_dump_json())
    return summary


def test_export_marks_unverified_claims(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        summary = _stored_summary(store, [_unverified_claim()])
        Reviewer(store).accept(summary.doc_id, "mechanism", 0)
        md = export_digest(store, "md")
        data = json.loads(export_digest(store, "json"))
        csv_text = export_digest(store, "csv")
        digest = build_digest(store)
    digest_md, digest_html = render_digest_markdown(digest), render_html(digest)
    assert "unverified: negation dropped" in digest_md
    assert "unverified: negation dropped" in digest_html
    assert "**Unverified:** not supported by its quotes: negation dropped" in render(summary, "md")
    assert "*[unverified]* Ipilimumab improved overall survival." in md
    assert "Not supported by its quotes: negation dropped" in md
    assert data["claims"][0]["support"] == "unverified"
    assert data["claims"][0]["unsupported_terms"] == ["negation dropped: the quote says 'not'"]
    assert "unverified" in csv_text.splitlines()[1]


def test_review_app_shows_support_state_and_missing_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import OptionList

    from litdigest.tui.app import ReviewApp, ReviewScreen
    from tests.test_tui_support import isolate_env, make_settings

    isolate_env(monkeypatch, tmp_path)
    supported = Claim(
        statement=S1, quotes=[Quote(text=S1, start=0, end=len(S1))], support="supported"
    )
    db = tmp_path / "tui.db"
    with Store(db) as store:
        _stored_summary(store, [supported, _unverified_claim()])
    app = ReviewApp(db, settings=make_settings(), state_dir=tmp_path / "s", export_dir=tmp_path)

    async def run() -> list[str]:
        async with app.run_test(size=(110, 32)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            claims = screen.query_one("#claims", OptionList)
            return [str(claims.get_option_at_index(i).prompt) for i in range(claims.option_count)]

    prompts = "\n".join(asyncio.run(run()))
    assert "? unverified Ipilimumab improved overall survival." in prompts
    assert "not in its quotes: negation dropped: the quote says 'not'" in prompts
    assert "✓q" in prompts
