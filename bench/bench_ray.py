"""Ray Data engine overhead: the local batch runner vs ``litdigest.distributed`` in Ray local
mode (2 CPUs), extractive backend, on the 480 Cochrane abstracts; plus the scaling plan.

Both start from the same JSONL dataset (one record per abstract) and clean + summarize every
record. The ratio ``ray_s / local_s`` is the engine's overhead on one machine (process start,
serialisation, the shuffle that groups rows by partition, Parquet writes). Skipped when the ray
extra or ../shared is missing.

Run alone: ``python bench/bench_ray.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PARTITION_SIZE = 60
# Scaling plan assumptions (stated, not measured here: no GPU, no cluster).
GPU_OUTPUT_TOKENS_PER_S = 2_500  # one vLLM replica of an 8B model on one A100, batched decode
GPU_PREFILL_TOKENS_PER_S = 20_000
TOKENS_IN_PER_DOC = 3_500  # a full-text review after cleaning, one call (see bench_tokens)
TOKENS_OUT_PER_DOC = 700


class _Sink:
    def __init__(self) -> None:
        self.n = 0

    def write(self, summary: Any) -> None:
        self.n += 1

    def close(self) -> None:
        return None

    def fail(self, err: Any) -> None:
        return None


def _dataset(shared: Path, out: Path) -> Path | None:
    source = shared / "corpus" / "cochrane" / "test.source"
    if not source.is_file():
        return None
    path = out / "cochrane.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            fh.write(json.dumps({"id": f"cochrane-{n}", "text": line}) + "\n")
    return path


def _local(data: Path, tmp: Path) -> tuple[float, int]:
    from litdigest import distributed
    from litdigest.config import Settings
    from litdigest.documents import Document
    from litdigest.store.store import Store
    from litdigest.summarize.backends import get_backend
    from litdigest.summarize.runner import run_batch

    settings = Settings()
    start = time.perf_counter()
    items = distributed.collect_items([data], settings)
    docs = [
        d for i in items for d in distributed._clean_item(i, settings) if isinstance(d, Document)
    ]
    sink = _Sink()
    with Store(tmp / "local.db") as store:
        asyncio.run(run_batch(docs, get_backend("extractive", settings), store, sink, sink))
    return time.perf_counter() - start, sink.n


def _ray(data: Path, tmp: Path) -> tuple[float, int, float]:
    import ray

    from litdigest import distributed
    from litdigest.config import Settings

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    startup = time.perf_counter() - t0
    try:
        start = time.perf_counter()
        result = distributed.run(
            [data], tmp / "out", Settings(), backend="extractive", partition_size=PARTITION_SIZE
        )
        return time.perf_counter() - start, result.ok, startup
    finally:
        ray.shutdown()


def plan(local_docs_per_s: float) -> dict[str, Any]:
    """Documents per hour per CPU (measured) and per GPU replica (assumed), and 1M-doc cost."""
    per_cpu_hour = local_docs_per_s * 3600  # the extractive runner uses about one core
    gpu_s_per_doc = (
        TOKENS_IN_PER_DOC / GPU_PREFILL_TOKENS_PER_S + TOKENS_OUT_PER_DOC / GPU_OUTPUT_TOKENS_PER_S
    )
    per_gpu_hour = 3600 / gpu_s_per_doc
    return {
        "extractive_docs_per_cpu_hour": round(per_cpu_hour),
        "llm_docs_per_gpu_replica_hour": round(per_gpu_hour),
        "cpu_hours_for_1M_extractive": round(1e6 / per_cpu_hour, 1),
        "gpu_hours_for_1M_llm": round(1e6 / per_gpu_hour, 1),
        "assumptions": {
            "gpu_prefill_tokens_per_s": GPU_PREFILL_TOKENS_PER_S,
            "gpu_output_tokens_per_s": GPU_OUTPUT_TOKENS_PER_S,
            "tokens_in_per_doc": TOKENS_IN_PER_DOC,
            "tokens_out_per_doc": TOKENS_OUT_PER_DOC,
        },
        "dominant_cost_at_1M": "GPU decode time of the model (output tokens); cleaning and "
        "the extractive path are CPU-cheap and scale linearly with workers",
    }


def run(shared: Path) -> dict[str, Any]:
    try:
        import ray  # noqa: F401
    except ImportError:
        return {"skipped": "the ray extra is not installed"}
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        data = _dataset(shared, tmp)
        if data is None:
            return {"skipped": f"{shared}/corpus/cochrane not found"}
        local_s, local_n = _local(data, tmp)
        ray_s, ray_n, startup = _ray(data, tmp)
    return {
        "documents": local_n,
        "local_s": round(local_s, 2),
        "ray_s": round(ray_s, 2),
        "ray_startup_s": round(startup, 2),
        "ray_documents": ray_n,
        "overhead_ratio": round(ray_s / local_s, 2),
        "partition_size": PARTITION_SIZE,
        "plan": plan(local_n / local_s),
    }


def markdown(res: dict[str, Any] | None) -> list[str]:
    lines = ["", "## Ray Data engine (480 Cochrane abstracts, extractive, 2 CPUs)", ""]
    if not res or "skipped" in res:
        return [*lines, f"skipped: {(res or {}).get('skipped', 'not run')}"]
    p = res["plan"]
    return [
        *lines,
        "| runner | seconds | documents | ratio to local |",
        "| --- | --- | --- | --- |",
        f"| local batch runner | {res['local_s']} | {res['documents']} | 1.00 |",
        f"| Ray local mode (+{res['ray_startup_s']} s start) | {res['ray_s']} | "
        f"{res['ray_documents']} | {res['overhead_ratio']} |",
        "",
        f"Plan: {p['extractive_docs_per_cpu_hour']:,} extractive documents per CPU-hour "
        f"(measured); {p['llm_docs_per_gpu_replica_hour']:,} LLM documents per GPU replica-hour "
        f"(assumed vLLM throughput); 1M documents ≈ {p['cpu_hours_for_1M_extractive']} CPU-hours "
        f"extractive or {p['gpu_hours_for_1M_llm']} GPU-hours with a model. "
        f"Dominant cost: {p['dominant_cost_at_1M']}.",
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    out = run(args.shared)
    print(json.dumps(out, indent=2))
    print("\n".join(markdown(out)))
