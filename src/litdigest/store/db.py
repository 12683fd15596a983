"""The SQLite connection: open (autocommit), WAL journal, pragmas, one-line errors."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from litdigest.errors import StoreError
from litdigest.text import one_line

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "Synchronous",
    "configure",
    "connect",
    "store_error",
    "utc_now",
]

Synchronous = Literal["NORMAL", "FULL"]

DEFAULT_BUSY_TIMEOUT_S = 30.0


def utc_now() -> str:
    """Current UTC time as ISO 8601 with milliseconds (sorts lexicographically)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def store_error(exc: BaseException, path: Path, context: str = "") -> StoreError:
    """``exc`` as a one-line ``StoreError`` (``retryable`` when the database was locked/busy)."""
    reason = one_line(str(exc)) or type(exc).__name__
    retryable = isinstance(exc, sqlite3.OperationalError) and (
        "locked" in reason or "busy" in reason
    )
    prefix = f"{context}: " if context else ""
    return StoreError(f"{prefix}{reason}: {path}", retryable=retryable)


def connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """An autocommit connection to ``path`` (its directory is created); rows are ``Row``s."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create directory {path.parent}: {exc.strerror or exc}") from None
    if path.is_dir():
        raise StoreError(f"is a directory, not a database file: {path}")
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=True
        )
    except sqlite3.Error as exc:
        raise store_error(exc, path) from None
    conn.row_factory = sqlite3.Row
    return conn


def configure(
    conn: sqlite3.Connection, path: Path, synchronous: Synchronous, busy_timeout_s: float
) -> None:
    """busy_timeout, WAL journal mode, ``synchronous`` and foreign keys on ``conn``."""
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        # Switching a new file to WAL needs an exclusive lock; a concurrent opener can get
        # SQLITE_BUSY here without the busy handler being consulted, so retry briefly.
        deadline = time.monotonic() + busy_timeout_s
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot enable WAL journal mode (got {mode!r}): {path}")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise store_error(exc, path) from None
