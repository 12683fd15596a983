"""SQLite store: migrations, round-trips, crash safety (kill -9), concurrency, redaction."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from litdigest.documents import Chunk, CleanStats, Document, Format, Metadata, content_hash
from litdigest.errors import StoreError
from litdigest.redaction import REDACTED, redact, register_secret
from litdigest.store.store import MIGRATIONS, Store, execute_script, request_hash

FAKE_KEY = "sk-test-LITDIGEST-SECRET-0123456789"
KEY = ("doc", "openai", "gpt-4o-mini", "v1", "settings-1")


def make_doc(
    text: str = "Tumour cells evade T cells. PD-1 blockade restores them.", **kw: object
) -> Document:
    fields: dict[str, object] = {
        "doc_id": content_hash(text),
        "text": text,
        "metadata": Metadata(title="A review", authors=["Doe, J"], year=2024),
        "format": Format.TEXT,
        "source": "a.txt",
        "stats": CleanStats(chars_in=100, chars_out=len(text)),
    }
    fields.update(kw)
    return Document.model_validate(fields)


def user_tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "sub" / "dir" / "litdigest.db") as s:
        yield s


# --------------------------------------------------------------------------- migrations


def test_open_creates_parents_and_sets_pragmas(store: Store) -> None:
    assert store.path.is_file()
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("synchronous") == 1  # NORMAL
    assert store.pragma("foreign_keys") == 1
    assert store.pragma("busy_timeout") == 30_000
    assert store.integrity_check() == "ok"


def test_migrations_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store(path) as s:
        assert s.applied_migrations == MIGRATIONS.names
        recorded = s.migrations_applied()
    assert [name for name, _ in recorded] == MIGRATIONS.names
    assert {
        "documents",
        "document_sources",
        "chunks",
        "summaries",
        "llm_calls",
        "llm_cache",
        "failures",
        "review_decisions",
        "runs",
        "_migrations",
    } <= user_tables(path)
    with Store(path) as s:
        assert s.applied_migrations == []
        assert s.migrations_applied() == recorded  # same rows, same timestamps


def test_new_migration_applies_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    registry = MIGRATIONS.copy()
    with Store(path, migrations=registry) as s:
        s.add_document(make_doc())
    calls: list[str] = []

    @registry.register
    def m900_test_tags(conn: sqlite3.Connection) -> None:
        calls.append("m900")
        execute_script(
            conn,
            """
            CREATE TABLE tags (doc_id TEXT REFERENCES documents(doc_id), tag TEXT);
            CREATE INDEX tags_doc ON tags(doc_id);
            """,
        )

    assert "m900_test_tags" not in MIGRATIONS.names  # the global registry is untouched
    with Store(path, migrations=registry) as s:
        assert s.applied_migrations == ["m900_test_tags"]
        assert s.get_document(make_doc().doc_id) is not None  # data kept
    with Store(path, migrations=registry) as s:
        assert s.applied_migrations == []
        assert [n for n, _ in s.migrations_applied()][-1] == "m900_test_tags"
    assert calls == ["m900"]
    assert "tags" in user_tables(path)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(m900_test_tags)


def test_failing_migration_rolls_back_and_is_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    registry = MIGRATIONS.copy()

    @registry.register
    def m901_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(StoreError, match="migration m901_broken failed: boom"):
        Store(path, migrations=registry)
    assert "half_done" not in user_tables(path)
    with Store(path) as s:  # the earlier migrations were committed and are kept
        assert [n for n, _ in s.migrations_applied()] == MIGRATIONS.names


def test_concurrent_openers_apply_migrations_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    code = "import sys; from litdigest.store.store import Store; Store(sys.argv[1]).close(); print('ok')"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert out.strip() == "ok"
    with Store(path) as s:
        assert [n for n, _ in s.migrations_applied()] == MIGRATIONS.names
        assert s.integrity_check() == "ok"


# --------------------------------------------------------------------------- round trips


def test_documents_upsert_sources_and_metadata_merge(store: Store) -> None:
    doc = make_doc()
    assert store.add_document(doc) is True
    assert store.get_document(doc.doc_id) == doc
    again = make_doc(source="b.ris#2", metadata=Metadata(title="Other", doi="10.5555/x"))
    assert store.add_document(again) is False
    assert store.add_document(again) is False
    got = store.get_document(doc.doc_id)
    assert got is not None
    assert got.source == "a.txt"  # first source kept
    assert got.metadata.title == "A review"  # first wins…
    assert got.metadata.doi == "10.5555/x"  # …empty fields filled
    assert store.document_sources(doc.doc_id) == ["a.txt", "b.ris#2"]
    assert store.get_document("nope") is None
    with pytest.raises(StoreError, match="different text"):
        store.add_document(make_doc("other text", doc_id=doc.doc_id))


def test_chunks_store_spans_only(store: Store) -> None:
    doc = make_doc()
    store.add_document(doc)
    chunks = [
        Chunk(doc_id=doc.doc_id, index=0, start=0, end=27, n_tokens=6, text=doc.text[0:27]),
        Chunk(
            doc_id=doc.doc_id, index=1, start=28, end=len(doc.text), n_tokens=7, text=doc.text[28:]
        ),
    ]
    store.add_chunks(doc.doc_id, chunks)
    assert store.get_chunks(doc.doc_id) == chunks
    store.add_chunks(doc.doc_id, chunks[:1])  # replaces
    assert store.get_chunks(doc.doc_id) == chunks[:1]
    bad = chunks[0].model_copy(update={"text": "not the span"})
    with pytest.raises(ValueError, match="start:end"):
        store.add_chunks(doc.doc_id, [bad])
    assert store.get_chunks(doc.doc_id) == chunks[:1]  # nothing half-written
    with pytest.raises(StoreError, match="unknown document"):
        store.add_chunks("missing", [])


def test_summaries_unique_per_key(store: Store) -> None:
    doc = make_doc()
    store.add_document(doc)
    key = (doc.doc_id, *KEY[1:])
    assert not store.has_summary(*key)
    assert store.get_summary(*key) is None
    assert store.put_summary(*key, '{"mechanism": []}') is True
    assert store.put_summary(*key, '{"mechanism": ["second"]}') is False  # no-op
    assert store.has_summary(*key)
    assert store.get_summary(*key) == '{"mechanism": []}'
    other = (doc.doc_id, "openai", "gpt-4o-mini", "v2", "settings-1")
    assert store.put_summary(*other, "{}") is True
    rows = list(store.iter_summaries(doc_id=doc.doc_id))
    assert [(r.prompt_version, r.summary_json) for r in rows] == [
        ("v1", '{"mechanism": []}'),
        ("v2", "{}"),
    ]
    assert [r.prompt_version for r in store.iter_summaries(prompt_version="v2")] == ["v2"]
    with pytest.raises(ValueError, match="not valid JSON"):
        store.put_summary(*other, "{truncated")
    with pytest.raises(StoreError, match="unknown document"):
        store.put_summary("missing", *KEY[1:], "{}")


def test_iter_summaries_pages(store: Store) -> None:
    doc = make_doc()
    store.add_document(doc)
    for i in range(7):
        store.put_summary(doc.doc_id, "b", "m", "v1", f"s{i}", json.dumps({"i": i}))
    got = [json.loads(r.summary_json)["i"] for r in store.iter_summaries(page_size=3)]
    assert got == list(range(7))


def test_transaction_groups_writes_atomically(store: Store) -> None:
    doc = make_doc()
    store.add_document(doc)
    run_id = store.start_run({"cmd": "summarize"})
    with pytest.raises(RuntimeError), store.transaction():
        store.put_summary(doc.doc_id, *KEY[1:], "{}")
        store.finish_run(run_id, "ok")
        raise RuntimeError("crash before commit")
    assert not store.has_summary(doc.doc_id, *KEY[1:])
    run = store.get_run(run_id)
    assert run is not None and run.status == "running" and run.finished_at is None
    with store.transaction():
        store.put_summary(doc.doc_id, *KEY[1:], "{}")
        store.finish_run(run_id, "ok")
    assert store.has_summary(doc.doc_id, *KEY[1:])
    assert store.unfinished_runs() == []


def test_llm_calls_and_cache(store: Store) -> None:
    h = request_hash({"model": "m", "prompt": "p", "content": "c", "temperature": 0})
    assert h == request_hash({"temperature": 0, "content": "c", "prompt": "p", "model": "m"})
    assert store.cache_get(h) is None  # miss
    assert store.cache_put(h, '{"answer": 1}') is True
    assert store.cache_put(h, '{"answer": 2}') is False
    assert store.cache_get(h) == '{"answer": 1}'  # hit
    h2 = request_hash({"model": "m", "prompt": "p2"})
    call_id = store.log_llm_call(
        model="m",
        prompt_version="v1",
        request_hash=h2,
        status="ok",
        prompt_tokens=100,
        completion_tokens=20,
        latency_ms=350,
        cost_usd=0.0012,
        doc_id="d1",
        backend="openai",
        response_json='{"answer": 3}',
    )
    assert store.cache_get(h2) == '{"answer": 3}'  # cached in the same transaction
    store.log_llm_call(
        model="m", prompt_version="v1", request_hash=h2, status="error", error="HTTP 500"
    )
    calls = store.llm_calls()
    assert [c.status for c in calls] == ["ok", "error"]
    assert calls[0].id == call_id and calls[0].cost_usd == pytest.approx(0.0012)
    assert calls[1].error == "HTTP 500"
    assert [c.id for c in store.llm_calls(doc_id="d1")] == [call_id]
    with pytest.raises(ValueError):
        store.log_llm_call(model="m", prompt_version="v1", request_hash=h2, status="maybe")  # type: ignore[arg-type]


def test_failures(store: Store) -> None:
    run_id = store.start_run({})
    store.record_failure("a.pdf", "ingest", "encrypted PDF", run_id=run_id)
    store.record_failure("b.txt", "summarize", "timeout", doc_id="d", retryable=True)
    failures = store.failures()
    assert [(f.source, f.stage, f.retryable, f.doc_id) for f in failures] == [
        ("a.pdf", "ingest", False, None),
        ("b.txt", "summarize", True, "d"),
    ]
    assert [f.source for f in store.failures(run_id=run_id)] == ["a.pdf"]


def test_review_decisions_current_state(store: Store) -> None:
    d = "doc1"
    store.record_decision(d, "mechanism", 0, "accept")
    store.record_decision(d, "mechanism", 1, "edit", statement_before="old", statement_after="new")
    store.record_decision(d, "mechanism", 1, "flag", note="check figure 2")
    store.record_decision(d, "mechanism", 1, "reject")
    store.record_decision(d, "mechanism", 1, "undo")  # undoes the reject
    store.record_decision(d, "evidence", 0, "reject")
    store.record_decision(d, "evidence", 0, "undo")
    store.record_decision(d, "evidence", 0, "undo")  # nothing left to undo: harmless
    state = store.current_decisions(d)
    assert state[("mechanism", 0)].status == "accepted"
    m1 = state[("mechanism", 1)]
    assert (m1.status, m1.statement, m1.flagged, m1.note) == (
        "pending",
        "new",
        True,
        "check figure 2",
    )
    assert [x.action for x in m1.decisions] == ["edit", "flag"]
    assert state[("evidence", 0)].status == "pending"
    assert len(store.decisions(d)) == 8  # append-only
    with pytest.raises(ValueError):
        store.record_decision(d, "mechanism", 0, "delete")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.record_decision(d, "mechanism", 0, "edit")


def test_runs(store: Store) -> None:
    run_id = store.start_run({"paths": ["a", "b"], "model": "m"})
    run = store.get_run(run_id)
    assert run is not None and run.status == "running"
    assert json.loads(run.args_json) == {"model": "m", "paths": ["a", "b"]}
    assert [r.id for r in store.unfinished_runs()] == [run_id]
    store.finish_run(run_id, "ok")
    run = store.get_run(run_id)
    assert run is not None and run.status == "ok" and run.finished_at is not None
    with pytest.raises(StoreError, match="unknown run"):
        store.finish_run(999, "ok")


# --------------------------------------------------------------------------- errors


def test_non_database_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is a plain text file, not SQLite\n" * 200)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert str(info.value) == f"file is not a database: {path}"
    assert "\n" not in str(info.value)
    assert path.read_text().startswith("this is a plain text file")  # untouched


def test_directory_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        Store(tmp_path)


def test_locked_database_is_retryable_store_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    Store(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with Store(path, busy_timeout_s=0.05) as s, pytest.raises(StoreError) as info:
            s.start_run({})
        assert str(info.value) == f"database is locked: {path}"
        assert info.value.retryable
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_closed_store_refuses(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite")
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        s.get_document("x")


# --------------------------------------------------------------------------- redaction


def test_redact_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("LITDIGEST_OPENAI__API_KEY", raising=False)
    assert (
        redact(f"Incorrect API key provided: {FAKE_KEY}.")
        == f"Incorrect API key provided: {REDACTED}."
    )
    assert FAKE_KEY not in redact(f'{{"key": "{FAKE_KEY}"}}')
    assert json.loads(redact(json.dumps({"error": f"bad key {FAKE_KEY}"}))) == {
        "error": f"bad key {REDACTED}"
    }
    proj = "sk-proj-" + "Ab1" * 20
    assert redact(proj) == REDACTED
    assert (
        redact("Authorization: Bearer abc.def-123_456.ghi7") == f"Authorization: Bearer {REDACTED}"
    )
    assert redact("api_key=hunter2hunter2 rest") == f"api_key={REDACTED} rest"
    # Ordinary prose survives.
    prose = (
        "risk-stratification-based-approaches-2024 and sk-short and task-oriented skills;"
        " the bearer populations of KRAS-G12C-mutant tumours"
    )
    assert redact(prose) == prose
    assert redact(REDACTED) == REDACTED


def test_redact_env_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "custom-local-token-XYZ")
    monkeypatch.setenv("LITDIGEST_OPENAI__API_KEY", "another_secret_value")
    text = "sent custom-local-token-XYZ and another_secret_value"
    assert redact(text) == f"sent {REDACTED} and {REDACTED}"
    monkeypatch.setenv("OPENAI_API_KEY", "x")  # too short to redact safely
    assert redact("x marks") == "x marks"
    register_secret("registered-secret-from-config")
    assert redact("registered-secret-from-config") == REDACTED


def test_secret_never_reaches_database_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_secret = "env-only-secret-value-42"
    monkeypatch.setenv("OPENAI_API_KEY", env_secret)
    path = tmp_path / "db.sqlite"
    marker = "VISIBLE-MARKER-7731"  # control: proves the columns really are written to the file
    doc = make_doc()
    with Store(path) as s:
        s.add_document(doc)
        run_id = s.start_run({"api_key": FAKE_KEY, "note": marker, "headers": f"Bearer {FAKE_KEY}"})
        s.log_llm_call(
            model="m",
            prompt_version="v1",
            request_hash="h",
            status="error",
            error=f"401 {marker}: Incorrect API key provided: {FAKE_KEY} / {env_secret}",
            run_id=run_id,
        )
        s.log_llm_call(
            model="m",
            prompt_version="v1",
            request_hash="h2",
            status="ok",
            response_json=json.dumps({"echo": FAKE_KEY, "m": marker}),
        )
        s.cache_put("h3", json.dumps({"echo": env_secret}))
        s.record_failure(
            "a.txt", "summarize", f"{marker} auth failed with {FAKE_KEY}", run_id=run_id
        )
        s.record_decision(doc.doc_id, "mechanism", 0, "flag", note=f"{marker} pasted {FAKE_KEY}")
        s.put_summary(doc.doc_id, *KEY[1:], json.dumps({"x": FAKE_KEY}))
        wal = path.with_name(path.name + "-wal")
        live = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        assert marker.encode() in live
        assert FAKE_KEY.encode() not in live
        assert env_secret.encode() not in live
        assert json.loads(s.get_summary(doc.doc_id, *KEY[1:]) or "") == {"x": REDACTED}
    files = [p for p in tmp_path.iterdir() if p.name.startswith(path.name)]
    blob = b"".join(p.read_bytes() for p in files)
    assert marker.encode() in blob
    assert FAKE_KEY.encode() not in blob
    assert env_secret.encode() not in blob


# --------------------------------------------------------------------------- processes

WRITER = r"""
import json, sys
from litdigest.documents import Document, Format, Metadata
from litdigest.store.store import Store

path, prefix, count, wait = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "wait"
doc = Document(doc_id="crashdoc", text="t", metadata=Metadata(), format=Format.TEXT, source="s")
payload = json.dumps({"claims": ["x" * 200] * 20})  # several pages per summary
with Store(path) as store:
    store.add_document(doc)
    print("ready", flush=True)
    if wait:
        sys.stdin.readline()  # start line: lets the parent release several writers at once
    for i in range(count):
        key = f"{prefix}-{i}"
        store.log_llm_call(model="m", prompt_version="v1", request_hash=key, status="ok",
                           response_json=payload)
        store.put_summary("crashdoc", "b", "m", "v1", key, payload)
        print(key, flush=True)
print("done", flush=True)
"""


def spawn_writer(path: Path, prefix: str, count: int, wait: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), prefix, str(count), "wait" if wait else "go"],
        stdin=subprocess.PIPE if wait else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def count_keys(path: Path) -> dict[str, int]:
    with Store(path) as s:
        assert s.integrity_check() == "ok"
        counts: dict[str, int] = {}
        for row in s.iter_summaries(doc_id="crashdoc"):
            counts[row.settings_hash] = counts.get(row.settings_hash, 0) + 1
        return counts


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    reported: list[str] = []
    for round_no in range(3):
        proc = spawn_writer(path, f"r{round_no}", 1_000_000)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.02, 0.4))
        proc.send_signal(signal.SIGKILL)
        out = proc.stdout.read()  # through the same buffer readline() used: no line lost
        assert proc.wait(timeout=30) == -signal.SIGKILL
        # Lines printed before the kill are committed keys (a torn last line is not).
        lines = out.split("\n")
        reported += [line for line in lines[:-1] if line.startswith(f"r{round_no}-")]
        counts = count_keys(path)
        missing = [k for k in reported if counts.get(k) != 1]
        assert not missing, f"seed={seed}: committed keys lost or duplicated: {missing[:5]}"
        assert all(n == 1 for n in counts.values())
    assert len(reported) > 0, f"seed={seed}: the writer never committed anything"


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"  # fresh: the writers also race on creating it
    procs = [spawn_writer(path, prefix, 200, wait=True) for prefix in ("a", "b")]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.splitlines()[-1] == "done"
    counts = count_keys(path)
    expected = {f"{p}-{i}" for p in ("a", "b") for i in range(200)}
    assert set(counts) == expected
    assert all(n == 1 for n in counts.values())
    with Store(path) as s:
        assert len(s.llm_calls()) == 400
        assert s.integrity_check() == "ok"
    # Whether the two writers' transactions interleaved depends on the scheduler, so it is
    # not asserted: the property is that running them at once loses and corrupts nothing.
