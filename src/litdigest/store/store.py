"""SQLite store: documents, chunks, summaries, LLM call log and cache, failures, review log, runs.

Design (after simonw/llm's logs database):

- stdlib ``sqlite3``, no ORM. The connection is in autocommit mode and every write method runs
  in its own short ``BEGIN IMMEDIATE … COMMIT`` transaction that is committed before the
  method returns, so a process killed with ``kill -9`` right after a call returned loses
  nothing. ``Store.transaction()`` groups several writes into one transaction when needed.
- ``journal_mode=WAL`` with ``synchronous=NORMAL``: in WAL mode a commit is appended to the
  ``-wal`` file before it returns, so it survives a *process* crash (``kill -9``, OOM kill);
  only an OS crash or power loss can roll back the last few commits (the database is never
  corrupted either way). Pass ``synchronous="FULL"`` to fsync on every commit for power-loss
  durability at a throughput cost.
- ``busy_timeout`` (30 s by default): a second process on the same database waits for the
  write lock instead of failing. Writes take the lock up front (``BEGIN IMMEDIATE``), which
  avoids the WAL "cannot upgrade read transaction" ``SQLITE_BUSY`` that the busy handler
  cannot resolve.
- Schema changes are migrations: functions registered in order with ``@migration``, each
  applied in its own transaction and recorded by name in ``_migrations``. Concurrent openers
  serialise on ``BEGIN IMMEDIATE`` and re-check, so nothing is applied twice.
- Secrets: every free-text column that may carry backend output or error text (errors,
  reasons, notes, statements, ``args_json``, ``response_json``, ``summary_json``) goes through
  ``litdigest.redaction.redact``. Document text and metadata are stored verbatim: they are
  content-addressed (``doc_id`` is the hash of the text) and chunk offsets index into them.
- Every ``sqlite3.Error`` surfaces as a one-line ``StoreError`` (``retryable`` when the
  database was locked/busy).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from litdigest.documents import Chunk, CleanStats, Document, Format, Metadata
from litdigest.errors import StoreError
from litdigest.redaction import redact
from litdigest.store.db import (
    DEFAULT_BUSY_TIMEOUT_S,
    Synchronous,
    configure,
    connect,
    store_error,
    utc_now,
)
from litdigest.store.migrations import MIGRATIONS, Migrations, execute_script, migration
from litdigest.store.rows import (
    REVIEW_ACTIONS,
    BatchJob,
    BatchRequest,
    CallStatus,
    ClaimState,
    Decision,
    Failure,
    LlmCall,
    ReviewAction,
    Run,
    StoredSummary,
    claim_state,
)
from litdigest.text import stable_hash

__all__ = [  # the row types live in litdigest.store.rows (import them from there)
    "DEFAULT_BUSY_TIMEOUT_S",
    "MIGRATIONS",
    "Migrations",
    "Store",
    "Synchronous",
    "execute_script",
    "migration",
    "request_hash",
    "utc_now",
]


def request_hash(payload: Mapping[str, Any]) -> str:
    """Cache key for an LLM request: SHA-256 of its canonical JSON.

    Put everything that changes the answer in ``payload`` (backend, model, prompt version,
    messages/content, temperature and other settings); never the API key.
    """
    return stable_hash(payload, None)


_BATCH_JOB_COLUMNS = (
    "id, batch_id, input_file_id, output_file_id, error_file_id, endpoint, model, status,"
    " request_count, run_id, args_json, error, created_at, finished_at"
)
_BATCH_JOB_UPDATABLE = frozenset(
    {
        "batch_id",
        "input_file_id",
        "output_file_id",
        "error_file_id",
        "status",
        "error",
        "finished_at",
    }
)


# --------------------------------------------------------------------------------------------
# Store


class Store:
    """The litdigest SQLite database. Use as a context manager, or call ``close()``.

    One ``Store`` per thread (sqlite3 connections are not shared across threads); any number of
    processes may open the same file.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        migrations: Migrations | None = None,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        synchronous: Synchronous = "NORMAL",
    ) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._depth = 0  # nesting of transaction() / write blocks
        self._closed = False
        self._conn = connect(self.path, busy_timeout_s)
        try:
            configure(self._conn, self.path, synchronous, busy_timeout_s)
            self.applied_migrations = self._migrate(
                MIGRATIONS if migrations is None else migrations
            )
        except BaseException:
            self._conn.close()
            self._closed = True
            raise

    # ---- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent). The last closer checkpoints and removes -wal."""
        if not self._closed:
            self._closed = True
            try:
                self._conn.close()
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    # ---- plumbing ------------------------------------------------------------------------

    def _error(self, exc: BaseException, context: str = "") -> StoreError:
        return store_error(exc, self.path, context)

    def _migrate(self, migrations: Migrations) -> list[str]:
        """Apply the migrations not yet recorded, each in its own transaction; return their names."""
        done = self._applied_names()
        if all(name in done for name in migrations.names):
            return []  # the common case: no write lock needed just to open
        with self._write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations "
                "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
        applied_now: list[str] = []
        for name, fn in migrations:
            if name in done:
                continue
            with self._write() as conn:
                # Another process may have applied it since we looked: re-check under the lock.
                if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                    continue
                try:
                    fn(conn)
                except Exception as exc:
                    raise self._error(exc, f"migration {name} failed") from None
                conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, utc_now())
                )
            applied_now.append(name)
        return applied_now

    def _applied_names(self) -> set[str]:
        with self._read() as conn:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
            ).fetchone()
            if exists is None:
                return set()
            return {row[0] for row in conn.execute("SELECT name FROM _migrations")}

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE … COMMIT`` transaction, or join the caller's ``transaction()``."""
        if self._closed:
            raise StoreError(f"store is closed: {self.path}")
        conn = self._conn
        if self._depth:
            self._depth += 1
            try:
                yield conn
            except sqlite3.Error as exc:
                raise self._error(exc) from None
            finally:
                self._depth -= 1
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        self._depth = 1
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from None
            raise
        finally:
            self._depth = 0

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreError(f"store is closed: {self.path}")
        try:
            yield self._conn
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one transaction: all of them are committed, or none.

        ``with store.transaction(): store.put_summary(...); store.finish_run(...)``
        """
        with self._write():
            yield

    # ---- meta ----------------------------------------------------------------------------

    def migrations_applied(self) -> list[tuple[str, str]]:
        """``(name, applied_at)`` of every recorded migration, in application order."""
        with self._read() as conn:
            rows = conn.execute("SELECT name, applied_at FROM _migrations ORDER BY rowid")
            return [(row[0], row[1]) for row in rows]

    def pragma(self, name: str) -> Any:
        """Value of a read-only PRAGMA (``journal_mode``, ``synchronous``, …)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"invalid pragma name: {name!r}")
        with self._read() as conn:
            row = conn.execute(f"PRAGMA {name}").fetchone()
            return None if row is None else row[0]

    def integrity_check(self) -> str:
        """``'ok'``, or the problems found by ``PRAGMA integrity_check`` and foreign key checks."""
        with self._read() as conn:
            problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
            if problems == ["ok"]:
                problems = []
            problems += [
                f"foreign key violation in {row[0]} rowid {row[1]} -> {row[2]}"
                for row in conn.execute("PRAGMA foreign_key_check")
            ]
        return "; ".join(problems) if problems else "ok"

    # ---- documents and chunks ------------------------------------------------------------

    def add_document(self, doc: Document) -> bool:
        """Store ``doc``; True if it is new.

        The same ``doc_id`` again keeps the first row (and first ``source``), records the new
        source in ``document_sources`` and fills metadata fields that were still empty. A
        different text under an existing ``doc_id`` is refused.
        """
        now = utc_now()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO documents (doc_id, source, format, title, metadata_json, text,"
                " stats_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (doc_id) DO NOTHING",
                (
                    doc.doc_id,
                    doc.source,
                    str(doc.format),
                    doc.metadata.title,
                    doc.metadata.model_dump_json(),
                    doc.text,
                    doc.stats.model_dump_json(),
                    now,
                ),
            )
            is_new = cur.rowcount == 1
            if not is_new:
                row = conn.execute(
                    "SELECT text = ? AS same, metadata_json FROM documents WHERE doc_id = ?",
                    (doc.text, doc.doc_id),
                ).fetchone()
                if not row["same"]:
                    raise StoreError(
                        f"doc_id {doc.doc_id} is already stored with a different text: {self.path}"
                    )
                stored = Metadata.model_validate_json(row["metadata_json"])
                merged = stored.merged(doc.metadata)
                if merged != stored:
                    conn.execute(
                        "UPDATE documents SET metadata_json = ?, title = ? WHERE doc_id = ?",
                        (merged.model_dump_json(), merged.title, doc.doc_id),
                    )
            conn.execute(
                "INSERT OR IGNORE INTO document_sources (doc_id, source, created_at)"
                " VALUES (?, ?, ?)",
                (doc.doc_id, doc.source, now),
            )
        return is_new

    def get_document(self, doc_id: str) -> Document | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT doc_id, source, format, metadata_json, text, stats_json"
                " FROM documents WHERE doc_id = ?",
                (doc_id,),
            ).fetchone()
        if row is None:
            return None
        return Document(
            doc_id=row["doc_id"],
            text=row["text"],
            metadata=Metadata.model_validate_json(row["metadata_json"]),
            format=Format(row["format"]),
            source=row["source"],
            stats=CleanStats.model_validate_json(row["stats_json"]),
        )

    def has_document(self, doc_id: str) -> bool:
        with self._read() as conn:
            row = conn.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return row is not None

    def document_sources(self, doc_id: str) -> list[str]:
        """Every source the document was seen in, first one first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT source FROM document_sources WHERE doc_id = ? ORDER BY created_at, rowid",
                (doc_id,),
            )
            return [row[0] for row in rows]

    def add_chunks(self, doc_id: str, chunks: Sequence[Chunk]) -> None:
        """Replace the document's chunks with ``chunks`` (spans only; text is not copied).

        Raises ``StoreError`` for an unknown document and ``ValueError`` when a chunk does not
        belong to it or its text is not ``document.text[start:end]``.
        """
        with self._write() as conn:
            row = conn.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
            if row is None:
                raise StoreError(f"unknown document {doc_id}: {self.path}")
            text: str = row["text"]
            for chunk in chunks:
                if chunk.doc_id != doc_id:
                    raise ValueError(f"chunk {chunk.index} belongs to {chunk.doc_id}, not {doc_id}")
                if text[chunk.start : chunk.end] != chunk.text:
                    raise ValueError(
                        f"chunk {chunk.index} of {doc_id}: text is not document.text[start:end]"
                    )
            conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            conn.executemany(
                'INSERT INTO chunks (doc_id, idx, start, "end", n_tokens) VALUES (?, ?, ?, ?, ?)',
                [(doc_id, c.index, c.start, c.end, c.n_tokens) for c in chunks],
            )

    def get_chunks(self, doc_id: str) -> list[Chunk]:
        """The document's chunks in order, text sliced from the stored document text."""
        with self._read() as conn:
            row = conn.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
            if row is None:
                return []
            text: str = row["text"]
            rows = conn.execute(
                'SELECT idx, start, "end", n_tokens FROM chunks WHERE doc_id = ? ORDER BY idx',
                (doc_id,),
            ).fetchall()
        return [
            Chunk(
                doc_id=doc_id,
                index=r["idx"],
                start=r["start"],
                end=r["end"],
                n_tokens=r["n_tokens"],
                text=text[r["start"] : r["end"]],
            )
            for r in rows
        ]

    # ---- summaries -----------------------------------------------------------------------

    def has_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, settings_hash: str
    ) -> bool:
        return self.get_summary(doc_id, backend, model, prompt_version, settings_hash) is not None

    def get_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, settings_hash: str
    ) -> str | None:
        """The stored summary JSON for this cache key, or None."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT summary_json FROM summaries WHERE doc_id = ? AND backend = ?"
                " AND model = ? AND prompt_version = ? AND settings_hash = ?",
                (doc_id, backend, model, prompt_version, settings_hash),
            ).fetchone()
        return None if row is None else str(row[0])

    def put_summary(
        self,
        doc_id: str,
        backend: str,
        model: str,
        prompt_version: str,
        settings_hash: str,
        summary_json: str,
    ) -> bool:
        """Store a summary once per key; True if inserted, False if the key already existed.

        ``summary_json`` must be valid JSON (checked before anything is written). The document
        must be stored first. Use ``transaction()`` to commit related rows atomically with it.
        """
        try:
            json.loads(summary_json)
        except ValueError as exc:
            raise ValueError(f"summary_json for {doc_id} is not valid JSON: {exc}") from None
        with self._write() as conn:
            if (
                conn.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
                is None
            ):
                raise StoreError(f"unknown document {doc_id}: {self.path}")
            cur = conn.execute(
                "INSERT INTO summaries (doc_id, backend, model, prompt_version, settings_hash,"
                " summary_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (doc_id, backend, model, prompt_version, settings_hash) DO NOTHING",
                (
                    doc_id,
                    backend,
                    model,
                    prompt_version,
                    settings_hash,
                    redact(summary_json),
                    utc_now(),
                ),
            )
            return cur.rowcount == 1

    def iter_summaries(
        self,
        *,
        doc_id: str | None = None,
        backend: str | None = None,
        model: str | None = None,
        prompt_version: str | None = None,
        settings_hash: str | None = None,
        page_size: int = 500,
    ) -> Iterator[StoredSummary]:
        """Stored summaries matching the given key fields, oldest first.

        Reads in pages (keyset on ``id``) so no read transaction stays open while the caller
        works between items.
        """
        filters = {
            "doc_id": doc_id,
            "backend": backend,
            "model": model,
            "prompt_version": prompt_version,
            "settings_hash": settings_hash,
        }
        where = " AND ".join(f"{col} = ?" for col, val in filters.items() if val is not None)
        params = [val for val in filters.values() if val is not None]
        sql = (
            "SELECT id, doc_id, backend, model, prompt_version, settings_hash, summary_json,"
            " created_at FROM summaries WHERE id > ?"
            + (f" AND {where}" if where else "")
            + " ORDER BY id LIMIT ?"
        )
        last_id = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(sql, (last_id, *params, page_size)).fetchall()
            for row in rows:
                yield StoredSummary(*row)
            if len(rows) < page_size:
                return
            last_id = rows[-1]["id"]

    # ---- LLM calls and cache -------------------------------------------------------------

    def log_llm_call(
        self,
        *,
        model: str,
        prompt_version: str,
        request_hash: str,
        status: CallStatus,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        latency_ms: int | None = None,
        cost_usd: float | None = None,
        error: str | None = None,
        doc_id: str | None = None,
        backend: str | None = None,
        run_id: int | None = None,
        response_json: str | None = None,
    ) -> int:
        """Log one LLM call; return its id.

        With ``status='ok'`` and ``response_json``, the response is cached under
        ``request_hash`` in the same transaction (as ``cache_put``).
        """
        if status not in ("ok", "error"):
            raise ValueError(f"status must be 'ok' or 'error', not {status!r}")
        now = utc_now()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO llm_calls (doc_id, run_id, backend, model, prompt_version,"
                " request_hash, prompt_tokens, completion_tokens, latency_ms, cost_usd, status,"
                " error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc_id,
                    run_id,
                    backend,
                    model,
                    prompt_version,
                    request_hash,
                    prompt_tokens,
                    completion_tokens,
                    latency_ms,
                    cost_usd,
                    status,
                    None if error is None else redact(error),
                    now,
                ),
            )
            if status == "ok" and response_json is not None:
                self._cache_insert(conn, request_hash, response_json, now)
            return int(cur.lastrowid or 0)

    def llm_calls(self, *, doc_id: str | None = None, run_id: int | None = None) -> list[LlmCall]:
        """Logged calls, oldest first, optionally for one document and/or run."""
        clauses: list[str] = []
        params: list[Any] = []
        if doc_id is not None:
            clauses.append("doc_id = ?")
            params.append(doc_id)
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, doc_id, run_id, backend, model, prompt_version, request_hash,"
                " prompt_tokens, completion_tokens, latency_ms, cost_usd, status, error,"
                f" created_at FROM llm_calls{where} ORDER BY id",
                params,
            ).fetchall()
        return [LlmCall(*row) for row in rows]

    def cache_get(self, request_hash: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT response_json FROM llm_cache WHERE request_hash = ?", (request_hash,)
            ).fetchone()
        return None if row is None else str(row[0])

    def llm_method(self, base_url: str, model: str) -> str | None:
        """The structured-output method remembered for (base URL, model), if any."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT method FROM llm_methods WHERE base_url = ? AND model = ?",
                (redact(base_url), model),
            ).fetchone()
        return None if row is None else str(row[0])

    def set_llm_method(self, base_url: str, model: str, method: str) -> None:
        """Remember the method that worked for (base URL, model) (the URL is redacted)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO llm_methods (base_url, model, method, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (base_url, model) DO UPDATE SET method = excluded.method,"
                " updated_at = excluded.updated_at",
                (redact(base_url), model, method, utc_now()),
            )

    def cache_put(self, request_hash: str, response_json: str) -> bool:
        """Cache a response; True if stored, False if the hash was already cached (first wins)."""
        with self._write() as conn:
            return self._cache_insert(conn, request_hash, response_json, utc_now())

    @staticmethod
    def _cache_insert(
        conn: sqlite3.Connection, request_hash: str, response_json: str, now: str
    ) -> bool:
        cur = conn.execute(
            "INSERT INTO llm_cache (request_hash, response_json, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (request_hash) DO NOTHING",
            (request_hash, redact(response_json), now),
        )
        return cur.rowcount == 1

    # ---- failures ------------------------------------------------------------------------

    def record_failure(
        self,
        source: str,
        stage: str,
        reason: str,
        *,
        doc_id: str | None = None,
        retryable: bool = False,
        run_id: int | None = None,
    ) -> int:
        """Log that ``source`` (or its document) failed at ``stage``; return the row id."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO failures (run_id, source, doc_id, stage, reason, retryable,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, source, doc_id, stage, redact(reason), int(retryable), utc_now()),
            )
            return int(cur.lastrowid or 0)

    def failures(self, *, run_id: int | None = None) -> list[Failure]:
        where, params = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, run_id, source, doc_id, stage, reason, retryable, created_at"
                f" FROM failures {where} ORDER BY id",
                params,
            ).fetchall()
        return [Failure(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]

    # ---- review decisions ----------------------------------------------------------------

    def record_decision(
        self,
        doc_id: str,
        field: str,
        claim_index: int,
        action: ReviewAction,
        *,
        statement_before: str | None = None,
        statement_after: str | None = None,
        note: str | None = None,
    ) -> int:
        """Append one review decision (the log is never updated in place); return its id."""
        if action not in REVIEW_ACTIONS:
            raise ValueError(f"unknown review action {action!r}")
        if action == "edit" and statement_after is None:
            raise ValueError("an 'edit' decision needs statement_after")

        def clean(value: str | None) -> str | None:
            return None if value is None else redact(value)

        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO review_decisions (doc_id, field, claim_index, action,"
                " statement_before, statement_after, note, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc_id,
                    field,
                    claim_index,
                    action,
                    clean(statement_before),
                    clean(statement_after),
                    clean(note),
                    utc_now(),
                ),
            )
            return int(cur.lastrowid or 0)

    def decisions(self, doc_id: str) -> list[Decision]:
        """The raw decision log of a document, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, doc_id, field, claim_index, action, statement_before,"
                " statement_after, note, created_at FROM review_decisions WHERE doc_id = ?"
                " ORDER BY id",
                (doc_id,),
            ).fetchall()
        return [Decision(*row) for row in rows]

    def current_decisions(self, doc_id: str) -> dict[tuple[str, int], ClaimState]:
        """Current state of every reviewed claim of a document, keyed by (field, claim_index)."""
        logs: dict[tuple[str, int], list[Decision]] = {}
        for decision in self.decisions(doc_id):
            logs.setdefault((decision.field, decision.claim_index), []).append(decision)
        return {key: claim_state(key[0], key[1], log) for key, log in logs.items()}

    # ---- runs ----------------------------------------------------------------------------

    def start_run(self, args: Mapping[str, Any]) -> int:
        """Record the start of a batch run; return its id. ``args`` is stored redacted."""
        args_json = redact(json.dumps(dict(args), sort_keys=True, default=str))
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (started_at, args_json, status) VALUES (?, ?, 'running')",
                (utc_now(), args_json),
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str) -> None:
        """Mark a run finished (``status`` e.g. 'ok', 'failed', 'interrupted')."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?",
                (utc_now(), status, run_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"unknown run {run_id}: {self.path}")

    def get_run(self, run_id: int) -> Run | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT id, started_at, finished_at, args_json, status FROM runs WHERE id = ?",
                (run_id,),
            ).fetchone()
        return None if row is None else Run(*row)

    def unfinished_runs(self) -> list[Run]:
        """Runs never finished (still going, or killed): candidates for resuming."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, started_at, finished_at, args_json, status FROM runs"
                " WHERE finished_at IS NULL ORDER BY id"
            ).fetchall()
        return [Run(*row) for row in rows]

    # ---- batch API jobs ------------------------------------------------------------------

    def add_batch_job(
        self,
        *,
        endpoint: str,
        model: str,
        requests: Sequence[tuple[str, str, str, str, int | None]],
        args: Mapping[str, Any],
        run_id: int | None = None,
        status: str = "preparing",
    ) -> int:
        """Record a batch job and its requests ``(custom_id, doc_id, request_hash, kind,
        part)`` in one transaction, before anything is uploaded; return the job's row id."""
        args_json = redact(json.dumps(dict(args), sort_keys=True, default=str))
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO batch_jobs (endpoint, model, status, request_count, run_id,"
                " args_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (endpoint, model, status, len(requests), run_id, args_json, utc_now()),
            )
            job_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO batch_requests (job_id, custom_id, doc_id, request_hash, kind, part)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(job_id, *row) for row in requests],
            )
            return job_id

    def update_batch_job(self, job_id: int, **fields: str | None) -> None:
        """Set provider ids, ``status``, ``error`` or ``finished_at`` of a job."""
        unknown = set(fields) - _BATCH_JOB_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update batch job column(s): {', '.join(sorted(unknown))}")
        if not fields:
            return
        values = [redact(v) if k == "error" and v is not None else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self._write() as conn:
            cur = conn.execute(
                f"UPDATE batch_jobs SET {assignments} WHERE id = ?", (*values, job_id)
            )
            if cur.rowcount != 1:
                raise StoreError(f"unknown batch job {job_id}: {self.path}")

    def batch_jobs(self, *, unfinished: bool = False) -> list[BatchJob]:
        """Batch jobs, oldest first; ``unfinished``: those whose results are not applied yet."""
        where = " WHERE finished_at IS NULL" if unfinished else ""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_BATCH_JOB_COLUMNS} FROM batch_jobs{where} ORDER BY id"
            ).fetchall()
        return [BatchJob(*row) for row in rows]

    def batch_job(self, key: int | str) -> BatchJob | None:
        """A job by row id (int) or provider batch id (str)."""
        column = "id" if isinstance(key, int) else "batch_id"
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_BATCH_JOB_COLUMNS} FROM batch_jobs WHERE {column} = ?", (key,)
            ).fetchone()
        return None if row is None else BatchJob(*row)

    def batch_requests(self, job_id: int) -> list[BatchRequest]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT job_id, custom_id, doc_id, request_hash, kind, part, status, error"
                " FROM batch_requests WHERE job_id = ? ORDER BY rowid",
                (job_id,),
            ).fetchall()
        return [BatchRequest(*row) for row in rows]

    def set_batch_request_status(
        self, job_id: int, custom_id: str, status: str, error: str | None = None
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE batch_requests SET status = ?, error = ? WHERE job_id = ? AND custom_id = ?",
                (status, None if error is None else redact(error), job_id, custom_id),
            )
