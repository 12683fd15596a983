"""The quirk matrix (issue 15): ``litdigest summarize`` against each quirk of a real server.

Each test runs the CLI in-process against ``tests.loopback_server`` in one quirk mode and
asserts the exit code, the number of chat requests the server received, the claims kept,
and that every output quote is an exact slice of the cleaned text.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from litdigest.cli.app import main
from litdigest.config import Settings
from litdigest.documents import Document
from litdigest.prepare import iter_documents
from litdigest.summarize.schema import DocumentSummary, EvidenceKind
from tests.loopback_server import Fault, FaultPlan, LoopbackServer, Quirk

KEY = "sk-test-quirks-0123456789"

# Our own synthetic text (no third-party sentences); words with "fi"/"fl" for ligature tests.
_SENTENCES = [
    "Tumour-associated fibroblasts activate the TGF-beta pathway and exclude cytotoxic T cells "
    "from the tumour core in study {n}.",
    "In mice bearing colon tumours, blocking PD-1 reduced tumour volume by 45% in cohort {n}.",
    "A randomised phase {n} trial in 312 patients showed longer survival with the combination.",
    "Inflammatory signalling through NF-kB induces PD-L1 expression on myeloid cells in model {n}.",
    "These results suggest that targeting fibroblast activation could improve immunotherapy "
    "response in setting {n}.",
    "Cultured tumour cells treated in vitro with interferon gamma upregulated MHC class I in "
    "assay {n}.",
    "Regulatory T cells mediate suppression of effector responses via IL-10 in tissue {n}.",
    "Combining checkpoint inhibitors with stromal therapy is a promising treatment strategy "
    "for cohort {n}.",
]


def make_text(parts: int) -> str:
    paragraphs = []
    for n in range(1, parts + 1):
        paragraphs.append(" ".join(s.format(n=n) for s in _SENTENCES))
    return "Stromal control of antitumour immunity\n\n" + "\n\n".join(paragraphs) + "\n"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    requests: int
    summaries: list[DocumentSummary]
    texts: dict[str, str]
    elapsed_s: float

    @property
    def claims(self) -> int:
        return sum(1 for s in self.summaries for _ in s.iter_claims())

    def assert_exact_slices(self) -> None:
        for summary in self.summaries:
            text = self.texts[summary.doc_id]
            for _, _, claim in summary.iter_claims():
                assert claim.statement.strip()
                for q in claim.quotes:
                    assert text[q.start : q.end] == q.text


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(os.environ):
        if key.startswith(("OPENAI_", "LITDIGEST_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LITDIGEST_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return tmp_path


def write_docs(tmp: Path, n: int = 1, *, long: bool = False) -> list[Path]:
    folder = tmp / ("long" if long else "short")
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"doc{i}.txt"
        body = make_text(6 if long else 1)
        p.write_text(body.replace("Stromal", f"Stromal ({i + 1})"), encoding="utf-8")
        paths.append(p)
    return paths


def chat_count(srv: LoopbackServer) -> int:
    return sum(1 for r in srv.requests if r.path.endswith("/chat/completions"))


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    srv: LoopbackServer | None,
    paths: list[Path],
    db: Path,
    *extra: str,
    long: bool = False,
    base_url: str | None = None,
) -> Run:
    if long:  # map-reduce on a small document: a small single-call window and map chunks
        monkeypatch.setenv("LITDIGEST_SUMMARIZE__SINGLE_CALL_MAX_TOKENS", "256")
        monkeypatch.setenv("LITDIGEST_LLM__MAP_CHUNK_TOKENS", "200")
    url = base_url or (srv.base_url if srv is not None else "")
    before = chat_count(srv) if srv is not None else 0
    started = time.perf_counter()
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "summarize",
                "--backend",
                "openai",
                "--base-url",
                url,
                "--model",
                "gpt-4o-mini",
                "--db",
                str(db),
                *extra,
                *(str(p) for p in paths),
            ]
        )
    elapsed = time.perf_counter() - started
    out, err = capsys.readouterr()
    docs = [d for d in iter_documents(paths, Settings()) if isinstance(d, Document)]
    return Run(
        code=int(exc.value.code or 0),
        stdout=out,
        stderr=err,
        requests=(chat_count(srv) - before) if srv is not None else 0,
        summaries=[DocumentSummary.model_validate_json(x) for x in out.splitlines() if x],
        texts={d.doc_id: d.text for d in docs},
        elapsed_s=elapsed,
    )


@pytest.fixture
def cli(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    def go(srv: LoopbackServer | None, paths: list[Path], *extra: str, **kw: Any) -> Run:
        return run_cli(capsys, monkeypatch, srv, paths, env / "db.sqlite", *extra, **kw)

    yield go


def failures(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT stage, reason FROM failures"))


# ---- reasoning output, lenient coercion ------------------------------------------------------


@pytest.mark.parametrize("long", [False, True], ids=["one-call", "map-reduce"])
@pytest.mark.parametrize(
    "quirk",
    [
        Quirk.THINK,
        Quirk.REASONING_FIELD,
        Quirk.TWO_OBJECTS,
        Quirk.EMPTY_STATEMENT,
        Quirk.LENIENT,
        Quirk.SSE_ONLY,
        Quirk.MARKDOWN_QUOTES,
    ],
)
def test_reply_quirks_are_read(cli: Any, env: Path, quirk: Quirk, long: bool) -> None:
    docs = write_docs(env, long=long)
    with LoopbackServer(quirks={quirk}) as srv:
        run = cli(srv, docs, "--concurrency", "1", long=long)
    assert run.code == 0, run.stderr
    assert len(run.summaries) == 1 and run.claims >= 2
    if long:
        assert run.requests >= 3  # the map calls and the reduce call, nothing more...
        assert run.requests == run.summaries[0].usage.calls  # ...and no re-ask or retry
    else:
        # the dropped claim was the one the tldr cited: one re-ask for the tldr (issue 14)
        assert run.requests == (2 if quirk is Quirk.EMPTY_STATEMENT else 1)
    run.assert_exact_slices()
    if quirk is Quirk.THINK:
        assert "draft" not in run.summaries[0].tldr
    if quirk is Quirk.LENIENT:
        kinds = {c.evidence_kind for _, _, c in run.summaries[0].iter_claims()}
        assert kinds & {EvidenceKind.CLINICAL_TRIAL, EvidenceKind.ANIMAL_MODEL}
        assert any("read as" in w for w in run.summaries[0].warnings)
    if quirk is Quirk.EMPTY_STATEMENT:
        assert any("without a statement" in w for w in run.summaries[0].warnings)


def test_blank_tldr_and_spaces_only_statement_are_not_stored(cli: Any, env: Path) -> None:
    docs = write_docs(env)
    with LoopbackServer(quirks={Quirk.BLANK_FIELDS}) as srv:
        run = cli(srv, docs)
    assert run.code == 0, run.stderr
    assert run.requests == 1
    summary = run.summaries[0]
    assert summary.tldr.strip()
    assert run.claims >= 2
    run.assert_exact_slices()


# ---- structured-output fallback --------------------------------------------------------------


@pytest.mark.parametrize(
    ("quirk", "first_doc"),
    [
        (Quirk.LLAMACPP_500, 3),  # json_schema 500, tools 500, json_object ok
        (Quirk.FASTAPI_422, 4),  # 422 for each structured method, then plain prompting
        (Quirk.TGI_422, 4),
        (Quirk.TEXT_ONLY, 4),
    ],
)
def test_fallback_chain_reaches_a_working_method(
    cli: Any, env: Path, quirk: Quirk, first_doc: int
) -> None:
    docs = write_docs(env, 2)
    with LoopbackServer(quirks={quirk}) as srv:
        run = cli(srv, docs, "--concurrency", "1")
    assert run.code == 0, run.stderr
    assert run.requests == first_doc + 1  # the second document uses the method that worked
    assert len(run.summaries) == 2 and run.claims >= 4
    run.assert_exact_slices()


def test_working_method_is_remembered_per_base_url_and_model(cli: Any, env: Path) -> None:
    docs = write_docs(env, 2)
    with LoopbackServer(quirks={Quirk.FASTAPI_422}) as srv:
        first = cli(srv, docs[:1])
        second = cli(srv, docs[1:])  # same store: starts with the method that worked
    assert first.code == 0 and first.requests == 4
    assert second.code == 0 and second.requests == 1
    second.assert_exact_slices()
    with sqlite3.connect(env / "db.sqlite") as conn:
        rows = list(conn.execute("SELECT model, method FROM llm_methods"))
    assert rows == [("gpt-4o-mini", "prompted")]


def test_server_messages_are_read_from_fastapi_and_tgi_bodies() -> None:
    import httpx2
    import openai

    from litdigest.llm.caller import _method_rejection, _server_message

    def error(status: int, body: Any) -> openai.APIStatusError:
        request = httpx2.Request("POST", "http://x/v1/chat/completions")
        response = httpx2.Response(status, json=body, request=request)
        return openai.APIStatusError("boom", response=response, body=body)

    fastapi = error(422, {"detail": [{"loc": ["body", "response_format"], "msg": "Extra no"}]})
    assert _server_message(fastapi) == "response_format: Extra no"
    assert _method_rejection(fastapi) is not None
    tgi = error(422, {"error": "Input validation error: grammar is not supported"})
    assert "grammar" in _server_message(tgi)
    llama = error(500, {"error": {"message": "response_format type must be one of text"}})
    assert _method_rejection(llama) is not None
    plain = error(500, {"error": {"message": "out of memory"}})
    assert _method_rejection(plain) is None


# ---- usage and budgets -----------------------------------------------------------------------


def test_missing_usage_is_estimated_and_budgets_hold(cli: Any, env: Path) -> None:
    docs = write_docs(env, 3)
    with LoopbackServer(quirks={Quirk.NO_USAGE}) as srv:
        run = cli(srv, docs[:1])
        assert run.code == 0, run.stderr
        assert run.requests == 1
        usage = run.summaries[0].usage
        assert usage.prompt_tokens > 0 and usage.estimated_calls == 1
        assert usage.cost_usd > 0
        run.assert_exact_slices()
        stopped = cli(srv, docs[1:], "--concurrency", "1", "--max-tokens", "10")
    assert stopped.code == 1
    assert stopped.requests == 1  # the budget is spent after the first request
    assert "token budget reached" in stopped.stderr


def test_cached_prompt_tokens_are_priced_as_cached_input(cli: Any, env: Path) -> None:
    docs = write_docs(env)
    with LoopbackServer(quirks={Quirk.CACHED_USAGE}) as srv:
        run = cli(srv, docs)
    assert run.code == 0 and run.requests == 1
    usage = run.summaries[0].usage
    assert 0 < usage.cached_tokens < usage.prompt_tokens
    full = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.60) / 1e6
    assert usage.cost_usd < full
    run.assert_exact_slices()


def test_budget_message_never_reads_zero_of_zero() -> None:
    from litdigest.summarize.backends.base import Budget, BudgetExceeded
    from litdigest.summarize.schema import Usage

    budget = Budget(max_cost_usd=0.00004)
    budget.add(Usage(cost_usd=0.00005))
    with pytest.raises(BudgetExceeded) as exc:
        budget.check()
    assert "$0.0000 of $0.0000" not in exc.value.message
    assert "0.00004" in exc.value.message


# ---- fail fast -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quirk", "hint"),
    [
        (Quirk.UNAUTHORIZED, "API key"),
        (Quirk.FORBIDDEN, "API key"),
        (Quirk.UNKNOWN_MODEL, "--model"),
    ],
)
def test_fatal_answers_stop_the_run_at_once(cli: Any, env: Path, quirk: Quirk, hint: str) -> None:
    docs = write_docs(env, 4, long=True)
    with LoopbackServer(quirks={quirk}) as srv:
        run = cli(srv, docs, "--concurrency", "1", long=True)
        base_url = srv.base_url
    assert run.code == 2
    assert run.requests == 1
    assert run.summaries == []
    lines = [line for line in run.stderr.splitlines() if "error" in line]
    assert len(lines) == 1, run.stderr
    assert base_url in lines[0] and "gpt-4o-mini" in lines[0] and hint in lines[0]


def test_base_url_without_v1_gets_a_hint(cli: Any, env: Path) -> None:
    docs = write_docs(env, 2)
    with LoopbackServer(quirks={Quirk.V1_ONLY}) as srv:
        root = srv.base_url.removesuffix("/v1")
        run = cli(srv, docs, "--concurrency", "1", base_url=root)
    assert run.code == 2
    assert run.requests == 1  # POST /chat/completions at the root: 404
    assert f"{root}/v1" in run.stderr


def test_refused_connection_fails_fast(cli: Any, env: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    docs = write_docs(env, 3)
    url = f"http://127.0.0.1:{port}/v1"
    run = cli(None, docs, base_url=url)
    assert run.code == 2
    assert run.elapsed_s < 30  # no retries with backoff (was 23-48 s)
    assert url in run.stderr and "--base-url" in run.stderr
    assert len([line for line in run.stderr.splitlines() if "error" in line]) == 1


# ---- timeouts and max_tokens -----------------------------------------------------------------


def test_timeout_is_retried_once_and_names_the_setting(cli: Any, env: Path) -> None:
    docs = write_docs(env)
    with LoopbackServer(quirks={Quirk.SLOW}, timeout_sleep_s=3.0) as srv:
        run = cli(srv, docs, "--timeout", "0.4")
    assert run.code == 1
    assert run.requests == 2  # the first try and one retry
    assert "0.4 s" in run.stderr and "--timeout" in run.stderr
    assert run.elapsed_s < 30


def test_max_tokens_is_sent_so_a_low_server_default_does_not_truncate(cli: Any, env: Path) -> None:
    docs = write_docs(env)
    with LoopbackServer(quirks={Quirk.LOW_DEFAULT_MAX_TOKENS}) as srv:
        run = cli(srv, docs)
        body = next(r.body for r in srv.requests if r.path.endswith("/chat/completions"))
    assert run.code == 0 and run.requests == 1
    assert isinstance(body.get("max_tokens"), int) and body["max_tokens"] >= 1000
    run.assert_exact_slices()


# ---- zero claims, and never caching unused replies -------------------------------------------


@pytest.mark.parametrize("long", [False, True], ids=["one-call", "map-reduce"])
@pytest.mark.parametrize("mode", [Quirk.PARAPHRASE, Fault.TRUNCATED, Fault.SCHEMA_INVALID])
def test_zero_verified_claims_is_a_failure_on_both_paths(
    cli: Any, env: Path, mode: Quirk | Fault, long: bool
) -> None:
    docs = write_docs(env, long=long)
    server = (
        LoopbackServer(quirks={mode})
        if isinstance(mode, Quirk)
        else LoopbackServer(faults=FaultPlan(rates={mode: 1.0}))
    )
    with server as srv:
        run = cli(srv, docs, "--concurrency", "1", long=long)
        assert run.code == 1
        assert run.summaries == []
        assert run.requests >= 1
        assert failures(env / "db.sqlite")
        # a rerun asks the server again: nothing unusable was cached
        again = cli(srv, docs, "--concurrency", "1", long=long)
    assert again.code == 1
    assert again.requests == run.requests


def test_rerun_after_the_server_is_fixed_recovers(cli: Any, env: Path) -> None:
    docs = write_docs(env)
    with LoopbackServer(faults=FaultPlan(rates={Fault.SCHEMA_INVALID: 1.0})) as bad:
        first = cli(bad, docs)
    assert first.code == 1 and first.requests == 3  # the first try and two re-asks
    with LoopbackServer() as good:
        second = cli(good, docs)
    assert second.code == 0
    assert second.requests == 1
    second.assert_exact_slices()


def test_quirk_table_covers_every_mode() -> None:
    from tests.loopback_server import QUIRKS

    assert set(QUIRKS) == set(Quirk)
    json.dumps(sorted(q.value for q in Quirk))
