"""Peak memory of ``litdigest summarize`` (extractive backend) at 500 and 5,000 documents.

The Cochrane abstracts (../shared/corpus/cochrane/test.source) are written out as files,
repeated with a varied last sentence ("Record n of the memory benchmark.") so every file
is a distinct document (a distinct ``doc_id``). The real CLI runs in a subprocess, started by
a fresh wrapper interpreter that reports ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``:
the peak resident set of the largest process among the CLI and its (reaped) descendants,
such as the ingest worker. Output goes to /dev/null as JSON Lines; the store is a new SQLite
file per run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

MEMORY_LIMIT_MB: Final = 500.0
FLAT_TOLERANCE: Final = 1.25  # peak at 5,000 ≤ 1.25 × peak at 500 counts as flat

_WRAPPER: Final = """
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def write_corpus(abstracts: list[str], n: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = abstracts[i % len(abstracts)]
        (folder / f"{i:05d}.txt").write_text(
            f"{text} Record {i} of the memory benchmark.\n", encoding="utf-8"
        )


def peak_rss(folder: Path, db: Path, *, cli: list[str] | None = None) -> dict[str, Any]:
    """Run the CLI over ``folder``; its peak RSS in MB, exit code, seconds, output lines."""
    command = cli or [sys.executable, "-m", "litdigest"]
    out = db.with_suffix(".jsonl")
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _WRAPPER,
            str(out),
            *command,
            "summarize",
            "--backend",
            "extractive",
            "--db",
            str(db),
            "--format",
            "jsonl",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    code, kib = (int(x) for x in proc.stdout.split())
    with out.open("rb") as fh:
        lines = sum(1 for _ in fh)
    out.unlink()
    return {"exit_code": code, "peak_rss_mb": kib / 1024, "seconds": seconds, "outputs": lines}


def run(shared: Path, sizes: tuple[int, ...] = (1, 500, 5000)) -> dict[str, Any]:
    """Peak RSS at each size; growth is measured from the second size (the first, one
    document, shows the fixed start-up cost) to the last."""
    source = shared / "corpus" / "cochrane" / "test.source"
    if not source.is_file():
        return {"skipped": f"{source} not found"}
    abstracts = [a for a in source.read_text(encoding="utf-8").splitlines() if a.strip()]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for n in sizes:
            folder = tmp / f"docs-{n}"
            write_corpus(abstracts, n, folder)
            row = peak_rss(folder, tmp / f"store-{n}.db")
            rows.append({"documents": n, **row, "docs_per_s": n / row["seconds"]})
    base = rows[1] if len(rows) > 2 else rows[0]
    small, large = base["peak_rss_mb"], rows[-1]["peak_rss_mb"]
    growth = large / small if small else float("nan")
    return {
        "rows": rows,
        "growth": growth,
        "growth_from": base["documents"],
        "notes": [
            "the peak is reached at start-up, with one document already: the process holds "
            "the tokenizer (o200k_base), English word frequencies (wordfreq, used to repair "
            "hyphenation) and the boilerplate cleaner's stop words. Building the stop words "
            "used to keep 13 languages' whole frequency lists cached (~390 MB); the cleaner "
            "now releases each list after taking its top words, so the peak stays near 200 MB "
            "and does not grow with the number of documents.",
        ],
        "goal": f"flat (≤ {FLAT_TOLERANCE:g}× from {base['documents']:,} to {sizes[-1]:,}) "
        f"and < {MEMORY_LIMIT_MB:g} MB",
        "met": bool(growth <= FLAT_TOLERANCE and large < MEMORY_LIMIT_MB),
    }
