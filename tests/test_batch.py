"""Batch summarization core: order, cache, failures, verification, budget, cancellation,
bounded memory, output sinks, and crash safety under ``kill -9`` (in subprocesses)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from litdigest.documents import Chunk, Document, Format, Metadata, content_hash
from litdigest.errors import BackendError, InputError, LitdigestError
from litdigest.store.store import Store
from litdigest.summarize.backends.base import Budget, CallContext
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.runner import BatchResult, run_batch
from litdigest.summarize.schema import Claim, DocumentSummary, EvidenceKind, Quote, Usage
from litdigest.summarize.sinks import (
    DirectorySink,
    StreamSink,
    render_markdown,
    safe_doc_filename,
)
from tests.support import ListSink, committed_doc_ids

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------
# Helpers


def make_doc(i: int, source: str | None = None, text: str | None = None) -> Document:
    text = text or (
        f"Regulatory T cells suppress effector cells in tumour model {i}. "
        f"In a cohort of {100 + i} patients, high FOXP3 density predicted shorter survival. "
        f"Anti-CCR8 antibodies could be combined with PD-1 blockade in arm {i}."
    )
    return Document(
        doc_id=content_hash(text),
        text=text,
        metadata=Metadata(title=f"Review {i}", year=2024),
        format=Format.TEXT,
        source=source or f"doc{i:04d}.txt",
    )


def fake_summary(doc: Document, backend: str = "fake") -> DocumentSummary:
    """A grounded summary quoting the first sentence of the document."""
    end = doc.text.find(". ") + 1 or len(doc.text)
    first = doc.text[:end]
    return DocumentSummary(
        doc_id=doc.doc_id,
        source=doc.source,
        metadata=doc.metadata,
        tldr=first,
        mechanism=[Claim(statement=first, quotes=[Quote(text=first, start=0, end=end)])],
        evidence=[
            Claim(
                statement="Cohort evidence.",
                quotes=[Quote(text=first, start=0, end=end)],
                evidence_kind=EvidenceKind.PATIENT_COHORT,
            )
        ],
        backend=backend,
        model="fake-1",
        prompt_version="v1",
        usage=Usage(calls=1, prompt_tokens=60, completion_tokens=40),
    )


class FakeBackend:
    """Records calls and concurrency; can fail, lie about a quote, or be slow per document."""

    name = "fake"
    model = "fake-1"
    prompt_version = "v1"

    def __init__(
        self,
        *,
        delays: dict[str, float] | None = None,
        default_delay: float = 0.0,
        fail: dict[str, Exception] | None = None,
        tamper: set[str] | None = None,
        tokens_per_call: int = 100,
    ) -> None:
        self.delays = delays or {}
        self.default_delay = default_delay
        self.fail = fail or {}
        self.tamper = tamper or set()
        self.tokens_per_call = tokens_per_call
        self.calls: list[str] = []
        self.active = 0
        self.max_active = 0

    def settings_hash(self) -> str:
        return "fake-settings"

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        assert chunks and all(doc.text[c.start : c.end] == c.text for c in chunks)
        ctx.budget.check()
        self.calls.append(doc.source)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.delays.get(doc.source, self.default_delay))
        finally:
            self.active -= 1
        ctx.budget.add(Usage(calls=1, prompt_tokens=self.tokens_per_call))
        if doc.source in self.fail:
            raise self.fail[doc.source]
        summary = fake_summary(doc)
        if doc.source in self.tamper:
            quote = summary.mechanism[0].quotes[0]
            bad = Quote(text="X" + quote.text[1:], start=quote.start, end=quote.end)
            summary.mechanism[0] = Claim(statement="tampered", quotes=[bad])
        return summary


class ListReporter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def fail(self, err: LitdigestError) -> None:
        self.lines.append(str(err))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "batch.db") as s:
        yield s


def run(
    items: list[Document | InputError] | Iterator[Document | InputError],
    backend: FakeBackend,
    store: Store,
    **kw: object,
) -> tuple[BatchResult, ListSink, ListReporter]:
    sink, reporter = ListSink(), ListReporter()
    result = asyncio.run(run_batch(items, backend, store, sink, reporter, **kw))  # type: ignore[arg-type]
    return result, sink, reporter


# --------------------------------------------------------------------------------------------
# Core behaviour


def test_output_keeps_input_order_under_concurrency(store: Store) -> None:
    docs = [make_doc(i) for i in range(30)]
    rng = random.Random(7)
    delays = {d.source: rng.uniform(0, 0.03) for d in docs}
    delays[docs[0].source] = 0.1  # the first document finishes last
    backend = FakeBackend(delays=delays)
    result, sink, reporter = run(list(docs), backend, store, concurrency=6)
    assert [s.source for s in sink.items] == [d.source for d in docs]
    assert sink.closed and not reporter.lines
    assert result.exit_code == 0 and result.summarized == 30 and result.cached == 0
    assert 1 < backend.max_active <= 6
    for doc, summary in zip(docs, sink.items, strict=True):
        assert verify_summary(summary, doc.text) == []
    run_row = store.get_run(result.run_id or 0)
    assert run_row is not None and run_row.status == "ok"
    assert len(store.get_chunks(docs[0].doc_id)) >= 1


def test_rerun_reuses_stored_summaries_and_sends_nothing(store: Store) -> None:
    docs = [make_doc(i) for i in range(12)]
    first_backend = FakeBackend(default_delay=0.001)
    _, first, _ = run(list(docs), first_backend, store, concurrency=4)
    assert len(first_backend.calls) == 12
    again = FakeBackend()
    result, second, _ = run(list(docs), again, store, concurrency=4)
    assert again.calls == []
    assert result.cached == 12 and result.summarized == 0 and result.exit_code == 0
    assert [s.model_dump_json() for s in second.items] == [s.model_dump_json() for s in first.items]


def test_same_text_from_two_inputs_is_summarized_once_and_output_for_each(store: Store) -> None:
    pdf = make_doc(1, source="review.pdf")
    txt = make_doc(1, source="review.txt")
    backend = FakeBackend(default_delay=0.01)
    result, sink, _ = run([pdf, make_doc(2), txt], backend, store, concurrency=4)
    assert backend.calls.count("review.pdf") == 1 and "review.txt" not in backend.calls
    assert [s.source for s in sink.items] == ["review.pdf", "doc0002.txt", "review.txt"]
    assert result.exit_code == 0
    # A rerun prints exactly the same (the stored summary carries the first source only).
    _, again, _ = run([pdf, make_doc(2), txt], FakeBackend(), store, concurrency=4)
    assert [s.model_dump_json() for s in again.items] == [s.model_dump_json() for s in sink.items]
    assert store.document_sources(pdf.doc_id) == ["review.pdf", "review.txt"]


def test_one_failing_document_does_not_stop_the_others(store: Store) -> None:
    docs = [make_doc(i) for i in range(6)]
    backend = FakeBackend(
        fail={
            "doc0001.txt": BackendError("server said no (HTTP 500)", retryable=True),
            "doc0004.txt": RuntimeError("backend bug"),
        }
    )
    result, sink, reporter = run(list(docs), backend, store, concurrency=3)
    assert [s.source for s in sink.items] == [
        "doc0000.txt",
        "doc0002.txt",
        "doc0003.txt",
        "doc0005.txt",
    ]
    assert result.failed == 2 and result.exit_code == 1
    assert len(reporter.lines) == 2
    assert reporter.lines[0].startswith("doc0001.txt: ") and "HTTP 500" in reporter.lines[0]
    assert "internal error: RuntimeError: backend bug" in reporter.lines[1]
    failures = store.failures(run_id=result.run_id)
    assert {(f.source, f.stage, f.retryable) for f in failures} == {
        ("doc0001.txt", "summarize", True),
        ("doc0004.txt", "summarize", False),
    }
    assert store.get_summary(docs[1].doc_id, "fake", "fake-1", "v1", "fake-settings") is None
    run_row = store.get_run(result.run_id or 0)
    assert run_row is not None and run_row.status == "failed"
    # A rerun retries only the failed documents.
    retry = FakeBackend()
    again, sink2, _ = run(list(docs), retry, store, concurrency=3)
    assert sorted(retry.calls) == ["doc0001.txt", "doc0004.txt"]
    assert again.exit_code == 0 and len(sink2.items) == 6


def test_unverified_summary_is_rejected_never_stored_or_printed(store: Store) -> None:
    docs = [make_doc(i) for i in range(3)]
    backend = FakeBackend(tamper={"doc0001.txt"})
    result, sink, reporter = run(list(docs), backend, store)
    assert [s.source for s in sink.items] == ["doc0000.txt", "doc0002.txt"]
    assert result.exit_code == 1 and result.failed == 1
    assert "failed verification" in reporter.lines[0]
    assert store.get_summary(docs[1].doc_id, "fake", "fake-1", "v1", "fake-settings") is None
    (failure,) = store.failures(run_id=result.run_id)
    assert failure.stage == "verify" and failure.doc_id == docs[1].doc_id


def test_input_errors_are_reported_and_recorded(store: Store) -> None:
    items: list[Document | InputError] = [
        make_doc(0),
        InputError("broken.pdf", "encrypted PDF"),
        make_doc(1),
    ]
    result, sink, reporter = run(items, FakeBackend(), store)
    assert len(sink.items) == 2
    assert reporter.lines == ["broken.pdf: encrypted PDF"]
    assert result.input_errors == 1 and result.exit_code == 1
    (failure,) = store.failures(run_id=result.run_id)
    assert (failure.source, failure.stage) == ("broken.pdf", "ingest")


def test_budget_stops_the_batch_and_a_rerun_continues(store: Store) -> None:
    docs = [make_doc(i) for i in range(10)]
    backend = FakeBackend(tokens_per_call=100)
    result, sink, reporter = run(
        list(docs), backend, store, concurrency=1, budget=Budget(max_tokens=250)
    )
    # Checks at 0, 100 and 200 tokens pass; the fourth document finds the budget spent.
    assert len(backend.calls) == 3 and len(sink.items) == 3
    assert result.budget_stopped and "token budget" in (result.budget_message or "")
    assert result.remaining == 7 and result.exit_code == 1 and not reporter.lines
    run_row = store.get_run(result.run_id or 0)
    assert run_row is not None and run_row.status == "budget"
    assert store.failures(run_id=result.run_id) == []
    # Rerun without a budget: only the 7 remaining documents are sent; output is complete.
    more = FakeBackend()
    result2, sink2, _ = run(list(docs), more, store, concurrency=3)
    assert len(more.calls) == 7 and result2.cached == 3 and result2.exit_code == 0
    assert [s.source for s in sink2.items] == [d.source for d in docs]


def test_budget_stop_with_concurrency_lets_in_flight_documents_finish(store: Store) -> None:
    docs = [make_doc(i) for i in range(40)]
    backend = FakeBackend(default_delay=0.01, tokens_per_call=100)
    result, sink, _ = run(list(docs), backend, store, concurrency=4, budget=Budget(max_tokens=500))
    assert result.budget_stopped
    assert len(sink.items) + result.remaining == 40
    assert len(sink.items) >= 5  # every call that passed the check finished and was kept
    stored = list(store.iter_summaries(backend="fake"))
    assert len(stored) == len(sink.items)
    # Output is a prefix of the input: nothing after the first unsummarized document.
    assert [s.source for s in sink.items] == [d.source for d in docs[: len(sink.items)]]


def test_documents_are_streamed_not_loaded_all_at_once(store: Store) -> None:
    pulled = 0
    sink = ListSink()
    max_ahead = 0

    def docs() -> Iterator[Document | InputError]:
        nonlocal pulled, max_ahead
        for i in range(300):
            pulled += 1
            max_ahead = max(max_ahead, pulled - len(sink.items))
            yield make_doc(i)

    backend = FakeBackend(delays={"doc0000.txt": 0.3}, default_delay=0.001)
    result = asyncio.run(
        run_batch(docs(), backend, store, sink, ListReporter(), concurrency=4, window=16)
    )
    assert result.summarized == 300 and len(sink.items) == 300
    # The slow first document holds output back; reading stops at the window, not the corpus.
    assert max_ahead <= 16 + 2


def test_cancellation_marks_the_run_interrupted_and_keeps_committed_work(store: Store) -> None:
    docs = [make_doc(i) for i in range(50)]
    backend = FakeBackend(default_delay=0.02)
    sink = ListSink()

    async def main() -> BatchResult:
        task = asyncio.create_task(
            run_batch(list(docs), backend, store, sink, ListReporter(), concurrency=4)
        )
        while len(sink.items) < 8:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return BatchResult()

    asyncio.run(main())
    (run_row,) = [r for r in [store.get_run(1)] if r is not None]
    assert run_row.status == "interrupted" and run_row.finished_at is not None
    stored = {s.doc_id for s in store.iter_summaries(backend="fake")}
    assert len(stored) >= 8 and len(stored) < 50
    assert not sink.closed
    again = FakeBackend()
    result, sink2, _ = run(list(docs), again, store, concurrency=4)
    assert len(again.calls) == 50 - len(stored)
    assert not set(again.calls) & {d.source for d in docs if d.doc_id in stored}
    assert result.exit_code == 0 and len(sink2.items) == 50


# --------------------------------------------------------------------------------------------
# Output


def test_file_names_come_only_from_the_doc_id(tmp_path: Path) -> None:
    assert safe_doc_filename("0123456789abcdef", ".json") == "0123456789abcdef.json"
    for bad in ("../../etc/x", "a/b", "..", "", "x.y", "a\\b"):
        with pytest.raises(ValueError):
            safe_doc_filename(bad, ".json")
    doc = make_doc(1, source="../../etc/passwd")
    summary = fake_summary(doc).model_copy(update={"metadata": Metadata(title="../../../tmp/evil")})
    out = tmp_path / "out"
    sink = DirectorySink(out, "md")
    sink.write(summary)
    sink.close()
    assert sorted(p.name for p in out.iterdir()) == [f"{doc.doc_id}.md"]
    sink_json = DirectorySink(out, "json")
    sink_json.write(summary)
    assert DocumentSummary.model_validate_json((out / f"{doc.doc_id}.json").read_text()) == summary


def test_directory_jsonl_appears_only_when_complete(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, "jsonl")
    sink.write(fake_summary(make_doc(1)))
    assert not (tmp_path / "summaries.jsonl").exists()
    sink.close()
    lines = (tmp_path / "summaries.jsonl").read_text().splitlines()
    assert len(lines) == 1 and [p.name for p in tmp_path.iterdir()] == ["summaries.jsonl"]
    unfinished = DirectorySink(tmp_path / "b", "jsonl")
    unfinished.write(fake_summary(make_doc(2)))
    unfinished.discard()
    assert list((tmp_path / "b").iterdir()) == []


@pytest.mark.parametrize("n", [0, 1, 3])
def test_stream_sink_json_is_one_valid_array(n: int, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    with path.open("w", encoding="utf-8") as fh:
        sink = StreamSink(fh, "json")
        for i in range(n):
            sink.write(fake_summary(make_doc(i)))
        sink.close()
    data = json.loads(path.read_text())
    assert [DocumentSummary.model_validate(d).source for d in data] == [
        f"doc{i:04d}.txt" for i in range(n)
    ]


def test_markdown_digest_shows_fields_quotes_and_warnings() -> None:
    doc = make_doc(3)
    summary = fake_summary(doc).model_copy(
        update={"warnings": ["no therapeutic-implication sentence found"]}
    )
    md = render_markdown(summary)
    assert md.startswith("# Review 3\n")
    assert "**TL;DR**" in md and "## Mechanism" in md and "## Evidence" in md
    assert "## Therapeutic implication\n\n_No claims._" in md
    assert f"   > {summary.mechanism[0].quotes[0].text}" in md
    assert "*[patient cohort]*" in md
    assert "## Warnings\n\n- no therapeutic-implication sentence found" in md
    assert doc.doc_id in md and "doc0003.txt" in md
    hostile = summary.model_copy(update={"tldr": "<script>alert(1)</script>"})
    assert "<script>" not in render_markdown(hostile)


# --------------------------------------------------------------------------------------------
# kill -9 at random moments, then resume


_FAKE_CLI = textwrap.dedent(
    '''
    """litdigest CLI with a slow, call-logging fake backend (for the kill -9 test)."""
    import asyncio
    import os
    import sys

    import litdigest.summarize.backends as backends
    from litdigest.cli.app import main
    from litdigest.summarize.schema import Claim, DocumentSummary, Quote, Usage


    class LoggingFake:
        name = "fake"
        model = "fake-1"
        prompt_version = "v1"

        def settings_hash(self):
            return "fake-settings"

        async def summarize(self, doc, chunks, ctx):
            with open(os.environ["FAKE_CALL_LOG"], "a", encoding="utf-8") as log:
                log.write(doc.doc_id + "\\n")
            await asyncio.sleep(0.01)
            end = doc.text.find(". ") + 1 or len(doc.text)
            quote = Quote(text=doc.text[:end], start=0, end=end)
            return DocumentSummary(
                doc_id=doc.doc_id, source=doc.source, metadata=doc.metadata,
                tldr=doc.text[:end], mechanism=[Claim(statement="m", quotes=[quote])],
                backend=self.name, model=self.model, prompt_version=self.prompt_version,
                usage=Usage(calls=1),
            )


    backends.get_backend = lambda name, settings: LoggingFake()
    main(sys.argv[1:])
    '''
)


def _write_corpus(root: Path, n: int) -> None:
    root.mkdir()
    for i in range(n):
        (root / f"doc{i:04d}.txt").write_text(
            f"Regulatory T cells in tumour model {i}\n\n"
            f"Regulatory T cells expressing FOXP3 suppress effector T cells in tumour model {i}. "
            f"In a cohort of {100 + i} patients, high FOXP3 density predicted shorter survival "
            f"(hazard ratio 1.{i:03d}). Depleting CCR8-positive regulatory T cells restored CD8 "
            f"T-cell infiltration in mice. These findings suggest that anti-CCR8 antibodies "
            f"could be combined with PD-1 blockade in trial arm {i}.\n",
            encoding="utf-8",
        )
    # The same text under a second name: summarized once, printed for both.
    (root / "zz-copy-of-doc0007.txt").write_bytes((root / "doc0007.txt").read_bytes())


def _kill_when(proc: subprocess.Popen[bytes], db: Path, target: int, deadline_s: float) -> bool:
    """SIGKILL ``proc`` once ``target`` summaries are committed (or at the deadline)."""
    end = time.monotonic() + deadline_s
    while proc.poll() is None:
        if len(committed_doc_ids(db)) >= target or time.monotonic() > end:
            os.kill(proc.pid, signal.SIGKILL)
            return True
        time.sleep(0.002)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["extractive", "fake"])
def test_kill_9_at_random_moments_then_resume(backend: str, tmp_path: Path) -> None:
    if backend == "extractive":
        pytest.importorskip("litdigest.summarize.backends.extractive")
        command = [sys.executable, "-m", "litdigest"]
    else:
        script = tmp_path / "fake_cli.py"
        script.write_text(_FAKE_CLI, encoding="utf-8")
        command = [sys.executable, str(script)]
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 300)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env["LITDIGEST_CONFIG"] = str(tmp_path / "no-config.toml")

    def summarize(db: Path, *extra: str, log: Path) -> list[str]:
        return [
            *command, "summarize", str(corpus), "--backend", "extractive", "--db", str(db),
            "--concurrency", "8", *extra,
        ]  # fmt: skip

    # (The fake CLI replaces get_backend, so "--backend extractive" selects the fake there.)
    # Reference: one uninterrupted run into a fresh database.
    ref_log = tmp_path / "calls-ref.log"
    t0 = time.monotonic()
    ref = subprocess.run(
        summarize(tmp_path / "ref.db", log=ref_log),
        env={**env, "FAKE_CALL_LOG": str(ref_log)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    duration = time.monotonic() - t0
    assert ref.returncode == 0, ref.stderr
    assert len(ref.stdout.splitlines()) == 301

    db, out = tmp_path / "crash.db", tmp_path / "out"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    finished: set[str] = set()
    progress: list[int] = []
    for round_no in range(4):
        log = tmp_path / f"calls-{round_no}.log"
        proc = subprocess.Popen(
            summarize(db, "--out", str(out), "--format", "json", log=log),
            env={**env, "FAKE_CALL_LOG": str(log)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # A random moment of the summarizing phase: after a random number of new commits
        # (the last round: a random time, which may land in start-up or reading).
        if round_no < 3:
            killed = _kill_when(proc, db, len(finished) + rng.randint(1, 60), duration * 2)
        else:
            killed = _kill_when(proc, db, 10**9, rng.uniform(0.05, duration))
        _, stderr = proc.communicate(timeout=120)
        if not killed:
            assert proc.returncode == 0, stderr
        if backend == "fake" and log.exists():
            called = set(log.read_text().split())
            assert not called & finished, f"re-sent finished documents (seed {seed})"
        now = committed_doc_ids(db)
        assert finished <= now  # nothing committed is ever lost
        finished = now
        progress.append(len(finished))
        # Every output file present is complete (atomic writes): no torn JSON.
        for path in out.glob("*.json") if out.exists() else []:
            DocumentSummary.model_validate_json(path.read_text(encoding="utf-8"))
    assert 0 < progress[0] < 300, f"first kill did not land mid-run: {progress} (seed {seed})"

    final_log = tmp_path / "calls-final.log"
    final = subprocess.run(
        summarize(db, "--format", "jsonl", log=final_log),
        env={**env, "FAKE_CALL_LOG": str(final_log)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert final.returncode == 0, final.stderr
    assert final.stdout == ref.stdout, f"resumed output differs (seed {seed}, {progress})"
    if backend == "fake" and final_log.exists():
        assert not set(final_log.read_text().split()) & finished

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        dupes = conn.execute(
            "SELECT doc_id, COUNT(*) FROM summaries GROUP BY doc_id, backend, model,"
            " prompt_version, settings_hash HAVING COUNT(*) > 1"
        ).fetchall()
        assert dupes == []
        assert conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0] == 300
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 300
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
        assert statuses[-1] == "ok"
    finally:
        conn.close()
    # A further rerun sends nothing at all.
    if backend == "fake":
        idle_log = tmp_path / "calls-idle.log"
        idle = subprocess.run(
            summarize(db, log=idle_log),
            env={**env, "FAKE_CALL_LOG": str(idle_log)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert idle.returncode == 0 and idle.stdout == ref.stdout
        assert not idle_log.exists()
