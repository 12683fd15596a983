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

from bench import (  # noqa: E402
    bench_clean,
    bench_digest,
    bench_extractive,
    bench_memory,
    bench_pdf,
    bench_peers,
    bench_ray,
    bench_summarize,
    bench_throughput,
    bench_tokens,
)

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


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("✅ yes" if ok else "❌ no")


def _clean_md(clean: dict[str, Any] | None) -> list[str]:
    if not clean:
        return []
    if "skipped" in clean:
        return ["## 6. Cleaning F1", "", f"skipped: {clean['skipped']}", ""]
    rows = {r["system"]: r for r in clean["table"]}
    lines = [
        "## 6. Cleaning F1 (article-extraction corpus, 4-gram shingles as the benchmark's evaluate.py)",
        "",
        "| path | system | precision | recall | F1 | goal | met? |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    traf = next(
        (r["f1"] for r in clean["table"] if r["path"] == "html" and "default" in r["system"]), None
    )
    for row in clean["table"]:
        met: bool | None = None
        if row["system"].startswith("ours: read_html"):
            met = row["f1"] >= 0.95 and (traf is None or row["f1"] >= traf)
        elif row["system"].startswith("ours: clean_text"):
            held_out = clean.get("systems", {}).get("b/ours", {}).get("odd(held-out)", {})
            met = row["f1"] >= 0.90 and float(held_out.get("f1", 1.0)) >= 0.904
        lines.append(
            f"| {row['path']} | {row['system']} | {_f(row['precision'])} | "
            f"{_f(row['recall'])} | **{_f(row['f1'])}** | {row.get('goal', '')} | {_met(met)} |"
        )
    del rows
    lines.append("")
    if clean.get("notes"):
        lines += [f"- {n}" for n in clean["notes"]] + [""]
    return lines


def _peers_md(peers: dict[str, Any] | None) -> list[str]:
    if not peers:
        return []
    if "skipped" in peers:
        return ["## 1. Offline summarization vs sumy", "", f"skipped: {peers['skipped']}", ""]
    lines = [
        f"## 1. Offline summarization vs sumy ({peers['documents']} Cochrane abstracts, "
        "ROUGE F1 against the plain-language summaries)",
        "",
        "| system | docs/s | mean words | ROUGE-1 | ROUGE-2 | ROUGE-L |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in peers["table"]:
        lines.append(
            f"| {row['system']} | {row['docs_per_s']:.0f} | {row['mean_words']:.0f} | "
            f"{row['rouge1']:.4f} | {row['rouge2']:.4f} | **{row['rougeL']:.4f}** |"
        )
    lines += [
        "",
        "| figure | ours | peer (sumy LexRank) | ratio / delta | goal | met? |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| docs/s | {peers['table'][0]['docs_per_s']:.0f} | {peers['table'][1]['docs_per_s']:.0f} | "
        f"**{peers['speedup_vs_lexrank']:.2f}×** | ≥ 5× | "
        f"{_met(peers['speedup_vs_lexrank'] >= 5)} |",
        f"| ROUGE-L | {peers['table'][0]['rougeL']:.4f} | {peers['table'][1]['rougeL']:.4f} | "
        f"**{peers['rougeL_minus_lexrank']:+.4f}** | ≥ 0 | "
        f"{_met(peers['rougeL_minus_lexrank'] >= 0)} |",
        "",
    ]
    lines += [f"- {n}" for n in peers.get("notes", [])] + [""]
    return lines


def _llm_md(summ: dict[str, Any] | None) -> list[str]:
    if not summ:
        return []
    if "skipped" in summ:
        return ["## 2. LLM-bound throughput", "", f"skipped: {summ['skipped']}", ""]
    lines = [
        "## 2. LLM-bound throughput (loopback OpenAI-compatible server, latency 0.2 s)",
        "",
        "| concurrency | documents | calls | wall s | ideal s | ratio | peer ratio (bare openai SDK) "
        "| client ms/call (ours / peer) | client CPU ms/call (ours / peer) | warm-up s | goal | met? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    peers = {p["concurrency"]: p for p in summ.get("raw_sdk", [])}
    for row in summ["llm"]:
        peer = peers.get(row["concurrency"], {})
        goal = row.get("goal_ratio")
        lines.append(
            f"| {row['concurrency']} | {row['documents']} | {row['calls']} | {row['wall_s']:.2f} | "
            f"{row['ideal_s']:.2f} | **{row['ratio']:.2f}** | {peer.get('ratio', float('nan')):.2f} | "
            f"{row['client_overhead_ms_per_call']:.1f} / "
            f"{peer.get('client_overhead_ms_per_call', float('nan')):.1f} | "
            f"{row['client_cpu_ms_per_call']:.1f} / {peer.get('client_cpu_ms_per_call', float('nan')):.1f} | "
            f"{row['warmup_s']:.2f} | {'≤ ' + format(goal, 'g') if goal else '—'} | "
            f"{_met(row['ratio'] <= goal) if goal else '—'} |"
        )
    lines.append("")
    lines += [f"- {n}" for n in summ.get("notes", [])] + [""]
    lines += [
        "## 4. Cache: second run over the unchanged corpus (same store)",
        "",
        "| concurrency | documents | first run s | rerun s | rerun / first | goal | rerun calls | goal | met? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in summ["llm"]:
        ok = row["rerun_calls"] == 0 and row["rerun_fraction"] < 0.05
        lines.append(
            f"| {row['concurrency']} | {row['rerun_documents']} | {row['wall_s']:.2f} | "
            f"{row['rerun_s']:.3f} | **{row['rerun_fraction']:.1%}** | < 5% | "
            f"**{row['rerun_calls']}** | 0 | {_met(ok)} |"
        )
    ex = summ["extractive"]
    lines += [
        "",
        f"Extractive backend on the same {ex['documents']} abstracts: "
        f"{ex['summarize_docs_per_s']:.0f} docs/s summarize+ground in memory, "
        f"{ex['batch_with_store_docs_per_s']:.0f} docs/s through the batch runner with the "
        "SQLite store.",
        "",
    ]
    return lines


def _tokens_md(tok: dict[str, Any] | None) -> list[str]:
    if not tok:
        return []
    if "skipped" in tok:
        return ["## 3. Token economy", "", f"skipped: {tok['skipped']}", ""]
    chars = tok.get("chars") or {}
    lines = [
        "## 3. Token economy vs LangChain classic `load_summarize_chain(map_reduce)` "
        "(same loopback server; theirs: 3000-token chunks of the raw text, o200k_base)",
        "",
    ]
    if chars:  # issue 15: request characters (prompt + schema) per cleaned character
        lines += [
            f"Request chars / cleaned chars: ours **{chars['our_chars_ratio']:.2f}** "
            f"({chars['our_request_chars']:,} in {chars['our_calls']} requests), LangChain "
            f"map_reduce on the raw text {chars['their_chars_ratio']:.2f} "
            f"({chars['their_request_chars']:,} in {chars['their_calls']} requests); "
            f"goal {chars['goal']}: {_met(bool(chars['met']))}.",
            "",
        ]
    lines += [
        "| documents | raw tokens/doc | cleaned tokens/doc | calls/doc ours / theirs | "
        "prompt tokens/doc ours / theirs | completion tokens/doc ours / theirs | "
        "total ratio | grounding ours / theirs | goal | met? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, g in tok["groups"].items():
        ok = g["token_ratio"] <= 0.6 and g["our_grounding"] >= g["their_grounding"]
        lines.append(
            f"| {name} ({g['documents']}) | {g['raw_tokens_per_doc']:.0f} | "
            f"{g['clean_tokens_per_doc']:.0f} | {g['our_calls_per_doc']:.1f} / "
            f"{g['their_calls_per_doc']:.1f} | {g['our_prompt_per_doc']:.0f} / "
            f"{g['their_prompt_per_doc']:.0f} | {g['our_completion_per_doc']:.0f} / "
            f"{g['their_completion_per_doc']:.0f} | **{g['token_ratio']:.2f}×** | "
            f"{g['our_grounding']:.2f} / {g['their_grounding']:.2f} | ≤ 0.6× at ≥ grounding | "
            f"{_met(ok)} |"
        )
    lines += [
        "",
        "| document | raw → cleaned tokens | chunks ours / theirs | calls ours / theirs | "
        "tokens ours / theirs | their token_max |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in tok["rows"]:
        ours = r["our_prompt_tokens"] + r["our_completion_tokens"]
        theirs = r["their_prompt_tokens"] + r["their_completion_tokens"]
        lines.append(
            f"| {r['document']} | {r['raw_tokens']} → {r['clean_tokens']} | "
            f"{r['our_chunks']} / {r['their_chunks']} | {r['our_calls']} / {r['their_calls']} | "
            f"{ours} / {theirs} | {r['their_token_max']} |"
        )
    lines += [""] + [f"- {n}" for n in tok.get("notes", [])] + [""]
    return lines


def _memory_md(mem: dict[str, Any] | None) -> list[str]:
    if not mem:
        return []
    if "skipped" in mem:
        return ["## 5. Memory", "", f"skipped: {mem['skipped']}", ""]
    lines = [
        "## 5. Memory: peak RSS of `litdigest summarize --backend extractive` (CLI subprocess)",
        "",
        "| documents | peak RSS MB | seconds | docs/s | outputs | exit |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in mem["rows"]:
        lines.append(
            f"| {r['documents']:,} | **{r['peak_rss_mb']:.0f}** | {r['seconds']:.1f} | "
            f"{r['docs_per_s']:.0f} | {r['outputs']} | {r['exit_code']} |"
        )
    large = mem["rows"][-1]["peak_rss_mb"]
    lines += [
        "",
        "| figure | value | goal | met? |",
        "| --- | --- | --- | --- |",
        f"| growth {mem.get('growth_from', mem['rows'][0]['documents']):,} → "
        f"{mem['rows'][-1]['documents']:,} | "
        f"**{mem['growth']:.2f}×** | flat (≤ 1.25×) | {_met(mem['growth'] <= 1.25)} |",
        f"| peak at {mem['rows'][-1]['documents']:,} | **{large:.0f} MB** | < 500 MB | "
        f"{_met(large < 500)} |",
        "",
    ]
    lines += [f"- {n}" for n in mem.get("notes", [])] + [""]
    return lines


def _throughput_md(thr: dict[str, Any] | None) -> list[str]:
    if not thr:
        return []
    lines = [
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
    return lines


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# litdigest benchmarks",
        "",
        f"{m['date']} · Python {m['python']} · {m['cpus']} CPUs · {m['platform']} · "
        f"`make bench` took {results.get('elapsed_s', '?')} s",
        "",
        "Every figure sits beside its peer, measured in the same run. Sections are numbered "
        "as in the benchmark issue.",
        "",
    ]
    lines += _peers_md(results.get("peers"))
    lines += _llm_md(results.get("summarize"))
    lines += _tokens_md(results.get("tokens"))
    lines += _memory_md(results.get("memory"))
    lines += _clean_md(results.get("cleaning"))
    lines += _throughput_md(results.get("throughput"))
    lines += bench_digest.markdown(results.get("digest"))
    # --- 7. real PDFs (bench/bench_pdf.py) ---
    if results.get("pdf"):
        lines += bench_pdf.markdown(results["pdf"])
    lines += bench_ray.markdown(results.get("ray"))
    lines += bench_extractive.markdown(results.get("extractive"))
    return "\n".join(lines)


def _timed_section(results: dict[str, Any], name: str, fn: Any) -> None:
    start = time.perf_counter()
    print(f"== {name} ...", file=sys.stderr, flush=True)
    results[name] = fn()
    results.setdefault("section_seconds", {})[name] = round(time.perf_counter() - start, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine()}
    shared = args.shared
    _timed_section(results, "peers", lambda: bench_peers.run(shared))
    _timed_section(results, "summarize", lambda: bench_summarize.run(shared))
    _timed_section(results, "tokens", lambda: bench_tokens.run(shared))
    _timed_section(results, "memory", lambda: bench_memory.run(shared))
    if (shared / "corpus" / "extraction").is_dir():
        _timed_section(results, "cleaning", lambda: bench_clean.run(shared))
    else:
        results["cleaning"] = {"skipped": f"{shared}/corpus/extraction not found"}
    _timed_section(results, "throughput", lambda: bench_throughput.run(shared, ROOT / "examples"))
    _timed_section(results, "digest", lambda: bench_digest.run(shared))
    # --- 7. real PDFs against their publisher XML (skipped without ../shared/corpus/pdf) ---
    _timed_section(results, "pdf", lambda: bench_pdf.run(shared))
    _timed_section(results, "ray", lambda: bench_ray.run(shared))
    _timed_section(results, "extractive", lambda: bench_extractive.run(shared))
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    md = markdown(results)
    (args.out / "RESULTS.md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
