"""Summarization benchmarks.

* LLM-bound throughput: the 480 Cochrane abstracts through the ``openai`` backend against the
  loopback OpenAI-compatible server (tests/loopback_server.py, in its own process) with a fixed
  per-request latency; wall time divided by the ideal ``calls × latency / concurrency``.
* Cache: the same corpus again on the same store must make 0 calls.
* The offline ``extractive`` backend: documents per second.

Documents are ingested and cleaned before the clock starts (cleaning has its own benchmark).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from litdigest.backends.base import Budget
from litdigest.backends.extractive import ExtractiveBackend
from litdigest.backends.openai_backend import OpenAIBackend
from litdigest.batch import BatchResult, run_batch
from litdigest.config import Settings
from litdigest.errors import InputError, LitdigestError
from litdigest.models import Document
from litdigest.pipeline import iter_documents
from litdigest.schema import DocumentSummary
from litdigest.store import Store

ROOT = Path(__file__).resolve().parents[1]


class _CountingSink:
    def __init__(self) -> None:
        self.count = 0

    def write(self, summary: DocumentSummary) -> None:
        self.count += 1

    def close(self) -> None:
        pass


class _Failures:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, err: LitdigestError) -> None:
        self.errors.append(err.message)


def _documents(abstracts: list[str], tmp: Path, settings: Settings) -> list[Document]:
    folder = tmp / "docs"
    folder.mkdir()
    for i, text in enumerate(abstracts):
        (folder / f"{i:04d}.txt").write_text(text + "\n", encoding="utf-8")
    docs: list[Document] = []
    for item in iter_documents([folder], settings):
        if isinstance(item, InputError):
            raise SystemExit(f"bench corpus failed to ingest: {item}")
        docs.append(item)
    return docs


class LoopbackProcess:
    """The loopback server in a child process, so it doesn't share the GIL with the client."""

    def __init__(self, latency_s: float) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.loopback_server",
                "--port",
                "0",
                "--latency",
                str(latency_s),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.stop()
            raise SystemExit(f"loopback server did not start: {self.base_url!r}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def _run(
    docs: list[Document], backend: Any, store: Store, concurrency: int
) -> tuple[BatchResult, float, int]:
    sink, failures = _CountingSink(), _Failures()
    start = time.perf_counter()
    result = await run_batch(
        docs, backend, store, sink, failures, concurrency=concurrency, budget=Budget()
    )
    elapsed = time.perf_counter() - start
    if failures.errors:
        raise SystemExit(f"bench run had failures, first: {failures.errors[0]}")
    return result, elapsed, sink.count


def _calls(store: Store) -> int:
    return len(store.llm_calls())


def llm_throughput(
    docs: list[Document], tmp: Path, latency_s: float, concurrency: int
) -> dict[str, Any]:
    server = LoopbackProcess(latency_s)
    try:
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-bench-not-a-real-key"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            settings = Settings(summarize={"concurrency": concurrency})
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        settings.openai.model = "gpt-4o-mini"
        backend = OpenAIBackend(settings)
        db = tmp / f"llm-{concurrency}.db"
        with Store(db) as store:
            _, first_s, n = asyncio.run(_run(docs, backend, store, concurrency))
            calls = _calls(store)
        with Store(db) as store:
            before = _calls(store)
            _, second_s, n2 = asyncio.run(_run(docs, backend, store, concurrency))
            rerun_calls = _calls(store) - before
    finally:
        server.stop()
    ideal = calls * latency_s / concurrency
    return {
        "documents": n,
        "concurrency": concurrency,
        "latency_s": latency_s,
        "calls": calls,
        "wall_s": first_s,
        "ideal_s": ideal,
        "ratio": first_s / ideal if ideal else float("nan"),
        "client_overhead_ms_per_call": max(0.0, (first_s - ideal) * concurrency / calls * 1000)
        if calls
        else 0.0,
        "rerun_calls": rerun_calls,
        "rerun_s": second_s,
        "rerun_fraction": second_s / first_s if first_s else float("nan"),
        "rerun_documents": n2,
    }


def extractive_speed(docs: list[Document], tmp: Path) -> dict[str, Any]:
    backend = ExtractiveBackend()
    start = time.perf_counter()
    for doc in docs:
        backend.summarize_sync(doc)
    in_memory = len(docs) / (time.perf_counter() - start)
    with Store(tmp / "extractive.db") as store:
        _, elapsed, n = asyncio.run(_run(docs, backend, store, 8))
    return {
        "documents": n,
        "summarize_docs_per_s": in_memory,
        "batch_with_store_docs_per_s": n / elapsed,
    }


def run(
    shared: Path, *, latency_s: float = 0.2, concurrencies: tuple[int, ...] = (16,)
) -> dict[str, Any]:
    source = shared / "corpus" / "cochrane" / "test.source"
    if not source.is_file():
        return {"skipped": f"{source} not found"}
    abstracts = [a for a in source.read_text(encoding="utf-8").splitlines() if a.strip()]
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = _documents(abstracts, tmp, settings)
        return {
            "llm": [llm_throughput(docs, tmp, latency_s, c) for c in concurrencies],
            "extractive": extractive_speed(docs, tmp),
        }


if __name__ == "__main__":
    import json

    sys.path.insert(0, str(ROOT))
    print(json.dumps(run(ROOT.parent / "shared"), indent=2))
