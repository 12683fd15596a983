"""The API key never appears in anything litdigest writes or prints (nor encoded forms of it).

Runs: a successful batch, a batch whose requests fail with 500 until retries run out, and a
batch refused with 401, all on the loopback server; ``export`` / ``eval --record`` too once
the CLI has them. Every file under the test directory (store, -wal, -shm, outputs, logs,
recordings) and every message printed is scanned.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.loopback_server import Fault, FaultPlan, LoopbackServer
from tests.support import clean_env, run, summarize_through
from tests.test_summarize_cli import FAKE_KEY

REPO = Path(__file__).resolve().parents[1]
assert FAKE_KEY == "sk-test-LITDIGEST-SECRET-0123456789"


def _forms() -> list[bytes]:
    raw = FAKE_KEY.encode()
    forms = [
        raw,
        FAKE_KEY[8:].encode(),  # the distinctive tail, in case a prefix was trimmed
        urllib.parse.quote(FAKE_KEY, safe="").encode(),
        urllib.parse.quote_plus(f"Bearer {FAKE_KEY}").encode(),
        FAKE_KEY.encode("utf-16-le"),
        raw.hex().encode(),
    ]
    for prefix in (b"", b"Bearer ", b":"):  # base64 at each alignment
        for pad in (b"", b"x", b"xx"):
            encoded = base64.b64encode(pad + prefix + raw)
            forms.append(encoded[4 : len(encoded) - 4])
            encoded = base64.urlsafe_b64encode(pad + prefix + raw)
            forms.append(encoded[4 : len(encoded) - 4])
    return forms


def _scan(root: Path, *texts: str) -> list[str]:
    """Where any form of the key shows up: file paths, or '<output N>'."""
    hits = []
    forms = _forms()
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits += [f"{path} ({f[:12]!r}...)" for f in forms if f in data]
    for i, text in enumerate(texts):
        hits += [f"<output {i}> ({f[:12]!r}...)" for f in forms if f in text.encode()]
    return hits


class _Unauthorized(LoopbackServer):
    """Answers every chat request with 401, echoing (part of) the key like some servers do."""

    def _invalid(self, method: str, path: str, body: Any, parse_error: bool) -> Any:
        if method == "POST":
            return 401, {
                "error": {
                    "message": f"Incorrect API key provided: {FAKE_KEY}. You can find your API"
                    " key at https://platform.openai.com/account/api-keys.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
        return super()._invalid(method, path, body, parse_error)


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in ("notes.md", "medline.txt", "records.ris"):
        (corpus / path).write_bytes((REPO / "examples" / path).read_bytes())
    return corpus


def _summarize(srv: LoopbackServer, work: Path, corpus: Path, *extra: str) -> Any:
    env = clean_env(
        work,
        OPENAI_API_KEY=FAKE_KEY,
        LITDIGEST_SUMMARIZE__MAX_RETRIES="1",
        LITDIGEST_OPENAI__TIMEOUT_S="5",
    )
    return summarize_through(
        srv.base_url, work / "store.db", str(corpus), *extra, env=env, timeout=240, backend="auto"
    )


def _commands() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "litdigest", "--help"], capture_output=True, text=True, timeout=60
    )
    return result.stdout


@pytest.mark.slow
def test_the_key_never_reaches_files_or_output(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    printed: list[str] = []
    # 1. a good batch, all output formats into --out, plus stdout
    with LoopbackServer() as srv:
        ok = _summarize(srv, work, corpus)
        for fmt in ("jsonl", "json", "md"):
            r = _summarize(srv, work, corpus, "--out", str(work / f"out-{fmt}"), "--format", fmt)
            printed += [r.stdout, r.stderr]
        sent = [r.headers.get("authorization", "") for r in srv.requests]
    assert ok.returncode == 0, ok.stderr
    assert all(h == f"Bearer {FAKE_KEY}" for h in sent) and sent  # the key was really used
    printed += [ok.stdout, ok.stderr]
    # 2. 500 until the retries are exhausted (a fresh store: nothing cached)
    failing = tmp_path / "failing"
    failing.mkdir()
    with LoopbackServer(faults=FaultPlan(rates={Fault.SERVER_ERROR: 1.0})) as srv:
        bad = _summarize(srv, failing, corpus)
    assert bad.returncode == 1 and "server error" in bad.stderr
    printed += [bad.stdout, bad.stderr]
    # 3. 401 with the key echoed in the error body
    refused = tmp_path / "refused"
    refused.mkdir()
    with _Unauthorized() as srv:
        denied = _summarize(srv, refused, corpus)
    # a bad key stops the run at once (issue 15): exit 2, one line naming the setting
    assert denied.returncode == 2 and "HTTP 401" in denied.stderr and "API key" in denied.stderr
    printed += [denied.stdout, denied.stderr]
    # 4. export / eval --record, when the CLI has them
    commands = _commands()
    env = clean_env(tmp_path, OPENAI_API_KEY=FAKE_KEY)
    if " export " in commands:
        for fmt in ("md", "json", "csv"):
            r = run(
                "export",
                "--db",
                str(work / "store.db"),
                "--status",
                "all",
                "--format",
                fmt,
                "--out",
                str(work / f"export.{fmt}"),
                env=env,
                timeout=120,
            )
            assert r.returncode == 0, r.stderr
            assert (work / f"export.{fmt}").stat().st_size > 0
            printed += [r.stdout, r.stderr]
    # The -wal and -shm files are scanned too: check some exist.
    assert list(tmp_path.rglob("*.db*"))
    hits = _scan(tmp_path, *printed)
    assert hits == [], hits


@pytest.mark.slow
def test_eval_record_never_stores_the_key(tmp_path: Path) -> None:
    if " eval " not in _commands():
        pytest.skip("litdigest has no eval command yet")
    env = clean_env(tmp_path, OPENAI_API_KEY=FAKE_KEY)
    help_text = run("eval", "--help", env=env, timeout=60).stdout
    if "--record" not in help_text:
        pytest.skip("litdigest eval has no --record option yet")
    golden = REPO / "evals" / "golden" / "examples.yaml"
    if not golden.is_file():
        pytest.skip("no evals/golden/examples.yaml")
    with LoopbackServer() as srv:
        result = run(
            "eval",
            str(golden),
            "--backend",
            "openai",
            "--base-url",
            srv.base_url,
            "--record",
            str(tmp_path / "rec"),
            "--report",
            str(tmp_path / "report"),
            "--db",
            str(tmp_path / "e.db"),
            env=env,
            timeout=240,
        )
        sent = [r.headers.get("authorization", "") for r in srv.requests]
    assert sent and all(h == f"Bearer {FAKE_KEY}" for h in sent), result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "rec").exists() and any((tmp_path / "rec").rglob("*"))
    assert _scan(tmp_path, result.stdout, result.stderr) == []
