"""Documents per second for ingest + clean + chunk, end to end through the core pipeline."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from litdigest.chunk.chunker import Chunker
from litdigest.clean import clean_text
from litdigest.config import Settings
from litdigest.documents import CleanMode, Document
from litdigest.prepare import iter_documents


def _timed(fn: Callable[[], int], min_seconds: float = 1.0) -> tuple[int, float]:
    """Run ``fn`` (returns documents done) until ``min_seconds`` pass; (docs, seconds)."""
    done, start = 0, time.perf_counter()
    while True:
        done += fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done, elapsed


def _pipeline(paths: list[Path], settings: Settings, chunker: Chunker) -> int:
    n = 0
    for item in iter_documents(paths, settings):
        if isinstance(item, Document):
            chunker.chunk_document(item)
            n += 1
    return n


def _row(corpus: str, what: str, documents: int, done: int, seconds: float) -> dict[str, Any]:
    return {
        "corpus": corpus,
        "what": what,
        "documents": documents,
        "docs_per_s": done / seconds,
        "ms_per_doc": 1000 * seconds / done,
    }


def run(shared: Path, examples: Path) -> dict[str, Any]:
    settings = Settings()
    chunker = Chunker(settings.chunk)
    chunker.split("warm up the tokenizer")
    table: list[dict[str, Any]] = []
    skipped: list[str] = []

    cochrane = shared / "corpus" / "cochrane" / "test.source"
    if cochrane.is_file():
        abstracts = [a for a in cochrane.read_text(encoding="utf-8").splitlines() if a.strip()]
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for i, text in enumerate(abstracts):
                path = Path(tmp) / f"{i:04d}.txt"
                path.write_text(text + "\n", encoding="utf-8")
                files.append(path)
            done, secs = _timed(lambda: _pipeline([Path(tmp)], settings, chunker))
            table.append(_row("cochrane", "files → ingest+clean+chunk", len(files), done, secs))

        def in_memory() -> int:
            for text in abstracts:
                cleaned, _ = clean_text(text, CleanMode.SCRAPED, settings.clean)
                chunker.split(cleaned)
            return len(abstracts)

        done, secs = _timed(in_memory)
        table.append(_row("cochrane", "in memory: clean+chunk", len(abstracts), done, secs))
    else:
        skipped.append(f"{cochrane} not found")

    for name, folder in (("seeds", shared / "seeds"), ("examples", examples)):
        if not folder.is_dir():
            skipped.append(f"{folder} not found")
            continue
        n_docs = _pipeline([folder], settings, chunker)
        done, secs = _timed(partial(_pipeline, [folder], settings, chunker))
        table.append(_row(name, "files → ingest+clean+chunk", n_docs, done, secs))
    return {"table": table, "skipped": skipped}
