"""`make bench`: every benchmark in one run; writes bench/results.json and bench/RESULTS.md.

Absolute times on these machines are noisy, so each figure sits beside its peer measured in
the same run. Benchmarks that need ../shared are skipped (and say so) when it is absent.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench import bench_clean, bench_summarize, bench_throughput  # noqa: E402

DEFAULT_SHARED = ROOT.parent / "shared"


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _f(x: Any, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# litdigest benchmarks",
        "",
        f"{m['date']} · Python {m['python']} · {m['cpus']} CPUs · {m['platform']}",
        "",
    ]
    clean = results.get("cleaning")
    if clean and "skipped" not in clean:
        lines += [
            "## Cleaning F1 (article-extraction corpus, 4-gram shingles as the benchmark's evaluate.py)",
            "",
            "| path | system | precision | recall | F1 | goal |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in clean["table"]:
            lines.append(
                f"| {row['path']} | {row['system']} | {_f(row['precision'])} | "
                f"{_f(row['recall'])} | **{_f(row['f1'])}** | {row.get('goal', '')} |"
            )
        lines.append("")
        if clean.get("notes"):
            lines += [f"- {n}" for n in clean["notes"]] + [""]
    elif clean:
        lines += ["## Cleaning F1", "", f"skipped: {clean['skipped']}", ""]
    thr = results.get("throughput")
    if thr:
        lines += [
            "## Throughput: ingest + clean + chunk",
            "",
            "| corpus | documents | what | docs/s | ms/doc |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in thr["table"]:
            lines.append(
                f"| {row['corpus']} | {row['documents']} | {row['what']} | "
                f"{row['docs_per_s']:.0f} | {row['ms_per_doc']:.2f} |"
            )
        lines.append("")
        if thr.get("skipped"):
            lines += [f"- skipped: {s}" for s in thr["skipped"]] + [""]
    summ = results.get("summarize")
    if summ and "skipped" not in summ:
        lines += [
            "## Summarization: LLM-bound throughput (loopback OpenAI-compatible server)",
            "",
            "| documents | concurrency | latency | calls | wall s | ideal s | ratio | goal | "
            "client ms/call | rerun calls | rerun time / first |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in summ["llm"]:
            lines.append(
                f"| {row['documents']} | {row['concurrency']} | {row['latency_s']:.1f} s | "
                f"{row['calls']} | {row['wall_s']:.2f} | {row['ideal_s']:.2f} | "
                f"**{row['ratio']:.2f}** | ≤ 1.25 | {row['client_overhead_ms_per_call']:.1f} | "
                f"{row['rerun_calls']} (goal 0) | {row['rerun_fraction']:.1%} |"
            )
        ex = summ["extractive"]
        lines += [
            "",
            f"Extractive backend on the same {ex['documents']} abstracts: "
            f"**{ex['summarize_docs_per_s']:.0f} docs/s** summarize+ground in memory, "
            f"{ex['batch_with_store_docs_per_s']:.0f} docs/s through the batch runner with the "
            "SQLite store (goal ≥ 50).",
            "",
        ]
    elif summ:
        lines += ["## Summarization", "", f"skipped: {summ['skipped']}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine()}
    if (args.shared / "corpus" / "extraction").is_dir():
        results["cleaning"] = bench_clean.run(args.shared)
    else:
        results["cleaning"] = {"skipped": f"{args.shared}/corpus/extraction not found"}
    results["throughput"] = bench_throughput.run(args.shared, ROOT / "examples")
    results["summarize"] = bench_summarize.run(args.shared)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    md = markdown(results)
    (args.out / "RESULTS.md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
