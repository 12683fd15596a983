"""Summarization benchmarks.

* LLM-bound throughput: the 480 Cochrane abstracts (the first 60 at concurrency 1) through the
  ``openai`` backend against the loopback OpenAI-compatible server (tests/loopback_server.py,
  in its own process) with a fixed per-request latency, at concurrency 1, 4, 16 and 64; wall
  time divided by the ideal ``calls × latency / concurrency``, client overhead and CPU per
  call. Each run follows an untimed warm-up in the same event loop. Peer: the bare ``openai``
  SDK sending requests of the same shape (``raw_sdk_throughput``).
* Cache: the same corpus again on the same store must make 0 calls (and take < 5% of the time).
* The offline ``extractive`` backend: documents per second.

Documents are ingested and cleaned before the clock starts (cleaning has its own benchmark).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from bench.support import CollectingFailures, loopback_settings
from litdigest.chunk.chunker import Chunker
from litdigest.config import Settings
from litdigest.documents import Document, content_hash
from litdigest.errors import InputError
from litdigest.prepare import iter_documents
from litdigest.store.store import Store
from litdigest.summarize.backends.base import Budget
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend
from litdigest.summarize.backends.openai import OpenAIBackend
from litdigest.summarize.runner import BatchResult, run_batch
from litdigest.summarize.schema import DocumentSummary

ROOT = Path(__file__).resolve().parents[1]


class _CountingSink:
    def __init__(self) -> None:
        self.count = 0

    def write(self, summary: DocumentSummary) -> None:
        self.count += 1

    def close(self) -> None:
        pass


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
    docs: list[Document],
    backend: Any,
    store: Store,
    concurrency: int,
    chunker: Chunker | None = None,
) -> tuple[BatchResult, float, int]:
    sink, failures = _CountingSink(), CollectingFailures()
    start = time.perf_counter()
    result = await run_batch(
        docs,
        backend,
        store,
        sink,
        failures,
        chunker=chunker,
        concurrency=concurrency,
        budget=Budget(),
    )
    elapsed = time.perf_counter() - start
    if failures.errors:
        raise SystemExit(f"bench run had failures, first: {failures.errors[0]}")
    return result, elapsed, sink.count


def _calls(store: Store) -> int:
    return len(store.llm_calls())


def _settings(base_url: str, concurrency: int) -> Settings:
    return loopback_settings(
        base_url, "sk-bench-not-a-real-key", summarize={"concurrency": concurrency}
    )


WARMUP_DOCS: Final = 8


def llm_throughput(
    docs: list[Document],
    tmp: Path,
    latency_s: float,
    concurrency: int,
    server: LoopbackProcess | None = None,
    warm: list[Document] | None = None,
) -> dict[str, Any]:
    """One concurrency: a warm-up batch (``warm``, its own store, untimed: imports, HTTP
    client, tokenizer), then ``docs`` timed on a fresh store, then the same again (cache)."""
    own = server is None
    server = server or LoopbackProcess(latency_s)
    try:
        settings = _settings(server.base_url, concurrency)
        backend = OpenAIBackend(settings)
        chunker = Chunker(settings.chunk)
        chunker.split("warm up the tokenizer")
        db = tmp / f"llm-{concurrency}.db"
        warm_db = tmp / f"llm-{concurrency}-warm.db"

        async def first() -> tuple[float, float, float, int]:
            warm_start = time.perf_counter()
            with Store(warm_db) as warm_store:
                await _run(warm or docs[:WARMUP_DOCS], backend, warm_store, concurrency, chunker)
            warm_s = time.perf_counter() - warm_start
            with Store(db) as store:
                cpu = time.process_time()
                _, wall, n = await _run(docs, backend, store, concurrency, chunker)
                return wall, time.process_time() - cpu, warm_s, n

        first_s, cpu_s, warm_s, n = asyncio.run(first())
        with Store(db) as store:
            calls = _calls(store)
        with Store(db) as store:
            before = _calls(store)
            _, second_s, n2 = asyncio.run(_run(docs, backend, store, concurrency, chunker))
            rerun_calls = _calls(store) - before
    finally:
        if own:
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
        "client_cpu_ms_per_call": cpu_s / calls * 1000 if calls else 0.0,
        "warmup_s": warm_s,
        "rerun_calls": rerun_calls,
        "rerun_s": second_s,
        "rerun_fraction": second_s / first_s if first_s else float("nan"),
        "rerun_documents": n2,
    }


def raw_sdk_throughput(
    docs: list[Document], server: LoopbackProcess, latency_s: float, concurrency: int
) -> dict[str, Any]:
    """The peer: the bare ``openai`` SDK sending requests of the same shape (system prompt,
    the fenced document, the json_schema response format), no LangChain, no store, no
    grounding. Its overhead is the floor of any client on this machine and server."""
    import openai

    from litdigest.llm.prompts import fence, load_prompt
    from litdigest.summarize.schema import ModelSummary, strict_json_schema

    prompt = load_prompt("summarize.v1")
    response_format: Any = {
        "type": "json_schema",
        "json_schema": {
            "name": "ModelSummary",
            "schema": strict_json_schema(ModelSummary),
            "strict": True,
        },
    }

    async def go() -> tuple[float, float]:
        client = openai.AsyncOpenAI(
            base_url=server.base_url, api_key="sk-bench-not-a-real-key", max_retries=0
        )
        limiter = asyncio.Semaphore(concurrency)

        async def one(doc: Document) -> None:
            system, user = prompt.render(max_claims=5, document=fence(doc.text))
            async with limiter:
                await client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ],
                    response_format=response_format,
                    temperature=0.0,
                )

        await asyncio.gather(*(one(d) for d in docs[:WARMUP_DOCS]))
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(d) for d in docs))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        await client.close()
        return wall, cpu

    wall, cpu = asyncio.run(go())
    ideal = len(docs) * latency_s / concurrency
    return {
        "documents": len(docs),
        "concurrency": concurrency,
        "calls": len(docs),
        "wall_s": wall,
        "ideal_s": ideal,
        "ratio": wall / ideal,
        "client_overhead_ms_per_call": max(0.0, (wall - ideal) * concurrency / len(docs) * 1000),
        "client_cpu_ms_per_call": cpu / len(docs) * 1000,
    }


def extractive_speed(docs: list[Document], tmp: Path) -> dict[str, Any]:
    backend = ExtractiveV3Backend()
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


RATIO_GOALS: Final = {16: 1.1, 64: 1.3}
SUBSET_AT_1: Final = 60  # documents at concurrency 1 (0.2 s each: 12 s instead of 96 s)


def run(
    shared: Path,
    *,
    latency_s: float = 0.2,
    concurrencies: tuple[int, ...] = (1, 4, 16, 64),
    limit: int | None = None,
    subset_at_1: int = SUBSET_AT_1,
) -> dict[str, Any]:
    source = shared / "corpus" / "cochrane" / "test.source"
    if not source.is_file():
        return {"skipped": f"{source} not found"}
    abstracts = [a for a in source.read_text(encoding="utf-8").splitlines() if a.strip()]
    if limit is not None:
        abstracts = abstracts[:limit]
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = _documents(abstracts, tmp, settings)
        # warm-up documents: other texts (a suffix) so the timed run's requests are not cached
        warm = [
            d.model_copy(
                update={"text": d.text + " Warm-up.", "doc_id": content_hash(d.text + " Warm-up.")}
            )
            for d in docs[:WARMUP_DOCS]
        ]
        llm: list[dict[str, Any]] = []
        peers: list[dict[str, Any]] = []
        server = LoopbackProcess(latency_s)
        try:
            for c in concurrencies:
                subset = docs[:subset_at_1] if c == 1 else docs
                row = llm_throughput(subset, tmp, latency_s, c, server=server, warm=warm)
                row["goal_ratio"] = RATIO_GOALS.get(c)
                llm.append(row)
                peers.append(raw_sdk_throughput(subset, server, latency_s, c))
        finally:
            server.stop()
        return {
            "llm": llm,
            "raw_sdk": peers,
            "extractive": extractive_speed(docs, tmp),
            "notes": [
                f"loopback server in its own process, fixed latency {latency_s} s per request; "
                f"concurrency 1 runs the first {subset_at_1} documents, the others all "
                f"{len(docs)}.",
                f"Each run is preceded, in the same event loop, by an untimed warm-up of "
                f"{WARMUP_DOCS} other documents on a scratch store (imports, HTTP client, "
                "tokenizer: one-time costs, shown as warm-up s).",
                "ratio = wall / (calls × latency / concurrency); client overhead per call = "
                "(wall − ideal) × concurrency / calls; client CPU per call = process CPU time "
                "of the timed run / calls (the machine has 2 cores shared with the server and "
                "other jobs, so wall figures are noisy).",
                "peer: the bare openai SDK sending requests of the same shape (same prompt, "
                "fenced document and json_schema response format) with no LangChain, store or "
                "grounding: the floor for any client on this machine.",
            ],
        }


if __name__ == "__main__":
    import json

    sys.path.insert(0, str(ROOT))
    print(json.dumps(run(ROOT.parent / "shared"), indent=2))
