"""Schema migrations: an ordered registry of named functions, each applied once per database.

``MIGRATIONS`` is the application's registry; ``@migration`` adds to it. ``Store`` applies the
ones a database has not recorded yet (see ``litdigest.store.store``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence

__all__ = ["MIGRATIONS", "MigrationFn", "Migrations", "execute_script", "migration"]

MigrationFn = Callable[[sqlite3.Connection], None]


class Migrations:
    """An ordered registry of named schema migrations.

    ``MIGRATIONS`` is the application's registry (``@migration`` registers into it); tests use
    ``MIGRATIONS.copy()`` to add migrations without touching the global one. A migration gets
    the connection inside an open transaction and must use ``conn.execute`` (never
    ``executescript``, which commits) — ``execute_script`` below splits a script safely.
    """

    def __init__(self, items: Sequence[tuple[str, MigrationFn]] = ()) -> None:
        self._items: list[tuple[str, MigrationFn]] = list(items)

    def register(self, fn: MigrationFn) -> MigrationFn:
        name = fn.__name__
        if any(existing == name for existing, _ in self._items):
            raise ValueError(f"migration {name!r} is already registered")
        self._items.append((name, fn))
        return fn

    __call__ = register

    def copy(self) -> Migrations:
        return Migrations(self._items)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._items]

    def __iter__(self) -> Iterator[tuple[str, MigrationFn]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


MIGRATIONS = Migrations()
migration = MIGRATIONS.register


def execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` with ``execute`` (inside the caller's transaction)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            if statement.strip():
                conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE documents (
            doc_id TEXT PRIMARY KEY,
            source TEXT NOT NULL,            -- first source seen; all are in document_sources
            format TEXT NOT NULL,
            title TEXT,
            metadata_json TEXT NOT NULL,
            text TEXT NOT NULL,
            stats_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE document_sources (
            doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (doc_id, source)
        );

        CREATE TABLE chunks (             -- chunk text is documents.text[start:end]
            doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            n_tokens INTEGER NOT NULL,
            PRIMARY KEY (doc_id, idx),
            CHECK (0 <= start AND start <= "end")
        );

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            args_json TEXT NOT NULL,
            status TEXT NOT NULL             -- 'running' until finish_run
        );

        CREATE TABLE summaries (
            id INTEGER PRIMARY KEY,
            doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
            backend TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            settings_hash TEXT NOT NULL,
            summary_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (doc_id, backend, model, prompt_version, settings_hash)
        );

        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY,
            doc_id TEXT,                     -- no FK: a call may precede storing its document
            run_id INTEGER REFERENCES runs(id),
            backend TEXT,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            latency_ms INTEGER,
            cost_usd REAL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
            error TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX llm_calls_doc ON llm_calls(doc_id);
        CREATE INDEX llm_calls_run ON llm_calls(run_id);
        CREATE INDEX llm_calls_request ON llm_calls(request_hash);

        CREATE TABLE llm_cache (
            request_hash TEXT PRIMARY KEY,
            response_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE failures (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            source TEXT NOT NULL,
            doc_id TEXT,
            stage TEXT NOT NULL,
            reason TEXT NOT NULL,
            retryable INTEGER NOT NULL CHECK (retryable IN (0, 1)),
            created_at TEXT NOT NULL
        );
        CREATE INDEX failures_run ON failures(run_id);
        CREATE INDEX failures_doc ON failures(doc_id);

        -- Append-only log; the action set is validated in Python (no CHECK) so new actions
        -- do not need a table rebuild.
        CREATE TABLE review_decisions (
            id INTEGER PRIMARY KEY,
            doc_id TEXT NOT NULL,
            field TEXT NOT NULL,
            claim_index INTEGER NOT NULL,
            action TEXT NOT NULL,
            statement_before TEXT,
            statement_after TEXT,
            note TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX review_decisions_claim
            ON review_decisions(doc_id, field, claim_index, id);
        """,
    )


@migration
def m002_batches(conn: sqlite3.Connection) -> None:
    """OpenAI Batch API jobs (``litdigest summarize --batch-api``) and their requests."""
    execute_script(
        conn,
        """
        CREATE TABLE batch_jobs (
            id INTEGER PRIMARY KEY,
            batch_id TEXT UNIQUE,             -- the provider's id; NULL until created
            input_file_id TEXT,
            output_file_id TEXT,
            error_file_id TEXT,
            endpoint TEXT NOT NULL,
            model TEXT NOT NULL,
            status TEXT NOT NULL,             -- provider status; 'collected' once applied
            request_count INTEGER NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            args_json TEXT NOT NULL,          -- backend key and settings needed to resume
            error TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT
        );

        CREATE TABLE batch_requests (
            job_id INTEGER NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
            custom_id TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            request_hash TEXT NOT NULL,       -- the llm_cache key the result is stored under
            kind TEXT NOT NULL,               -- summarize | map
            part INTEGER,                     -- map: part (chunk) number, 1-based
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | ok | failed
            error TEXT,
            PRIMARY KEY (job_id, custom_id)
        );
        CREATE INDEX batch_requests_doc ON batch_requests(doc_id);
        """,
    )


@migration
def m003_llm_methods(conn: sqlite3.Connection) -> None:
    """The structured-output method that works for each (base URL, model) (issue 15)."""
    execute_script(
        conn,
        """
        CREATE TABLE llm_methods (
            base_url TEXT NOT NULL,           -- '' for the default OpenAI endpoint
            model TEXT NOT NULL,
            method TEXT NOT NULL,             -- json_schema | function_calling | json_mode | prompted
            updated_at TEXT NOT NULL,
            PRIMARY KEY (base_url, model)
        );
        """,
    )
