"""Helpers shared by several test modules (no tests here)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from litdigest.digest.model import DigestClaim
from litdigest.summarize.schema import DocumentSummary

REPO = Path(__file__).resolve().parents[1]


class ListSink:
    """A summary sink that keeps what it is given, in order, and whether it was closed."""

    def __init__(self) -> None:
        self.items: list[DocumentSummary] = []
        self.closed = False

    def write(self, summary: DocumentSummary) -> None:
        self.items.append(summary)

    def close(self) -> None:
        self.closed = True


def shared_root() -> Path:
    """``../shared`` beside the repo, or ``$LITDIGEST_SHARED_DIR`` (CI points it at a missing
    folder to check that a user's clone, which has no ../shared, passes too)."""
    override = os.environ.get("LITDIGEST_SHARED_DIR")
    return Path(override) if override else REPO.parent / "shared"


def cochrane_or_examples(tmp_path: Path, n: int) -> Path:
    """A folder of ``n`` Cochrane abstracts when ../shared is there, else copies of examples/."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    source = shared_root() / "corpus" / "cochrane" / "test.source"
    if source.is_file():
        for i, line in enumerate(source.read_text(encoding="utf-8").splitlines()[:n]):
            (folder / f"{i:03d}.txt").write_text(line + "\n", encoding="utf-8")
    else:
        for path in sorted((REPO / "examples").iterdir()):
            (folder / path.name).write_bytes(path.read_bytes())
    return folder


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment without OpenAI or litdigest settings (and no user config file)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "LITDIGEST_")) and k != "NO_COLOR"
    }
    env["LITDIGEST_CONFIG"] = str(tmp_path / "no-such-config.toml")
    env.update(extra)
    return env


def run(
    *args: str, env: dict[str, str], timeout: float = 180, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``litdigest ARGS`` in a subprocess (output captured as text)."""
    return subprocess.run(
        [sys.executable, "-m", "litdigest", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,
    )


def summarize_through(
    base_url: str,
    db: Path,
    *args: str,
    env: dict[str, str],
    timeout: float,
    backend: str = "openai",
) -> subprocess.CompletedProcess[str]:
    """``litdigest summarize ARGS`` against the server at ``base_url``, into the store ``db``."""
    return run(
        "summarize",
        "--backend",
        backend,
        "--base-url",
        base_url,
        "--db",
        str(db),
        *args,
        env=env,
        timeout=timeout,
    )


def cleaned_texts(paths: list[Path], env: dict[str, str]) -> dict[str, str]:
    """doc_id -> cleaned text of every document under ``paths``, from ``litdigest clean --json``."""
    result = run("clean", "--json", *map(str, paths), env=env)
    assert result.returncode == 0, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines() if line]
    return {d["doc_id"]: d["text"] for d in docs}


_END_OF_RUN = re.compile(r"^litdigest: [\d,]+ summarized\b")


def failure_lines(stderr: str) -> list[str]:
    """The stderr lines of a run without its end-of-run summary line (issue 17)."""
    return [ln for ln in stderr.splitlines() if not _END_OF_RUN.match(ln)]


def committed_doc_ids(db: Path) -> set[str]:
    """doc_ids with a committed summary, read without creating or locking the database
    (empty when it or its schema does not exist yet, e.g. a run killed early)."""
    if not db.exists():
        return set()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return {row[0] for row in conn.execute("SELECT doc_id FROM summaries")}
    except sqlite3.OperationalError:  # killed before the schema was created
        return set()
    finally:
        conn.close()


def digest_claims(*statements: str) -> dict[int, DigestClaim]:
    """Pending evidence claims 1..n, claim i from document ``d<i>``, as a synthesis may cite."""
    return {
        i: DigestClaim(i, f"d{i}", i, "evidence", 0, s, s, None, "pending", False)
        for i, s in enumerate(statements, 1)
    }
