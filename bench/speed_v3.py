"""Output hash and CPU time of the offline backends (issue 13, item 6: speed without changing
any output).

``python -m bench.speed_v3`` summarizes the 480 cleaned Cochrane abstracts, the five seeds,
examples/ and the eight PMC articles of ../shared with ``ExtractiveV3Backend`` (and, for the
hash only, ``ExtractiveBackend``, v2) and prints a sha256 of the canonical JSON of all
summaries (no timing fields: the offline backends report none), then the CPU seconds
(``time.process_time``) of ``reps`` passes over the Cochrane abstracts after a warm-up.
A speed change must leave both hashes as they were.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Final

from bench.support import line_documents
from litdigest.config import Settings
from litdigest.documents import Document
from litdigest.prepare import iter_documents
from litdigest.summarize.backends.extractive import ExtractiveBackend
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend

ROOT: Final = Path(__file__).resolve().parents[1]
SHARED: Final = ROOT.parent / "shared"


def cochrane() -> list[Document]:
    lines = (SHARED / "corpus" / "cochrane" / "test.source").read_text("utf-8").splitlines()
    return line_documents(lines)


def others() -> list[Document]:
    paths = [
        *sorted((SHARED / "seeds").glob("*.txt")),
        *sorted(p for p in (ROOT / "examples").iterdir() if p.suffix != ".md"),
        *sorted((SHARED / "corpus" / "pmc").glob("*.nxml")),
    ]
    return [d for d in iter_documents(paths, Settings()) if isinstance(d, Document)]


def digest(backend: ExtractiveBackend | ExtractiveV3Backend, docs: list[Document]) -> str:
    dumped = [backend.summarize_sync(d).model_dump(mode="json") for d in docs]
    canonical = json.dumps(dumped, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cpu_seconds(docs: list[Document], reps: int) -> list[float]:
    backend = ExtractiveV3Backend()
    for d in docs[:20]:
        backend.summarize_sync(d)
    out = []
    for _ in range(reps):
        start = time.process_time()
        for d in docs:
            backend.summarize_sync(d)
        out.append(time.process_time() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-hash", action="store_true")
    args = parser.parse_args()
    docs = cochrane()
    if not args.no_hash:
        rest = others()
        print(f"documents: {len(docs)} Cochrane + {len(rest)} others")
        print("v3 sha256:", digest(ExtractiveV3Backend(), docs + rest))
        print("v2 sha256:", digest(ExtractiveBackend(), docs + rest))
    if args.reps:
        secs = cpu_seconds(docs, args.reps)
        best = min(secs)
        print("cpu s:", " ".join(f"{s:.3f}" for s in secs), f"best {best:.3f}")
        print(f"docs/s (best): {len(docs) / best:.0f}")


if __name__ == "__main__":
    main()
