"""Run golden sets through a summarizer backend and score every case."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from litdigest.documents import CleanMode, Document, Format, RawRecord
from litdigest.errors import ConfigError, InputError, LitdigestError, UsageError
from litdigest.evaluate.golden import GoldenCase, GoldenError, GoldenSet, load_golden
from litdigest.evaluate.metrics import (
    Budget,
    Metrics,
    aggregate,
    known_metrics,
    score_case,
    score_summary,
)
from litdigest.redaction import redact

if TYPE_CHECKING:
    import httpx2

    from litdigest.config import Settings
    from litdigest.evaluate.match import Matcher
    from litdigest.evaluate.replay import Cassette
    from litdigest.summarize.backends.base import Backend
    from litdigest.summarize.schema import DocumentSummary

__all__ = [
    "CaseResult",
    "EvalRun",
    "SummaryFile",
    "build_backend",
    "display_path",
    "load_sets",
    "resolve_case",
    "run_sets",
]

Status = Literal["ok", "error", "skipped"]
REPLAY_BASE_URL = "http://replay.invalid/v1"


@dataclass
class CaseResult:
    set_name: str
    case: GoldenCase
    status: Status
    note: str = ""
    metrics: Metrics = field(default_factory=dict)
    doc: Document | None = None
    summary: DocumentSummary | None = None
    reference: str | None = None
    latency_s: float | None = None
    explanation: dict[str, object] = field(default_factory=dict)
    baselines: dict[str, Metrics] = field(default_factory=dict)

    @property
    def split(self) -> str:
        return self.case.split


@dataclass
class EvalRun:
    backend: str
    model: str
    prompt_version: str
    sets: list[tuple[GoldenSet, list[CaseResult]]]
    budget: Budget = field(default_factory=Budget)
    random_draws: int = 0

    @property
    def cases(self) -> list[CaseResult]:
        return [c for _, cases in self.sets for c in cases]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when below it (stable in reports)."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def load_sets(paths: Sequence[Path]) -> list[GoldenSet]:
    if not paths:
        raise UsageError("give at least one golden-set YAML file")
    sets = [load_golden(p, known_metrics=known_metrics()) for p in paths]
    names = [s.name for s in sets]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise GoldenError(f"golden-set name(s) used twice: {', '.join(dupes)}")
    return sets


def _read_line(path: Path, line: int) -> str:
    with path.open(encoding="utf-8") as fh:
        for i, text in enumerate(fh, 1):
            if i == line:
                return text.rstrip("\n")
    raise GoldenError(f"{display_path(path)}: has no line {line}")


FileDocs = dict[Path, list[Document | InputError]]


def load_files(paths: Sequence[Path], settings: Settings) -> FileDocs:
    """Documents (and errors) of each file, read in one pass of the ingest pipeline."""
    from litdigest.prepare import iter_documents

    wanted = list(dict.fromkeys(p for p in paths if p.is_file()))
    out: FileDocs = {p: [] for p in wanted}
    by_source = {str(p): p for p in wanted}
    if not wanted:
        return out
    for item in iter_documents(wanted, settings):
        source = item.source
        path = by_source.get(source) or by_source.get(source.rsplit("#", 1)[0])
        if path is not None:
            out[path].append(item)
    return out


def resolve_case(
    case: GoldenCase, settings: Settings, files: FileDocs | None = None
) -> tuple[Document, str | None] | str:
    """The case's cleaned document and reference text, or why it is skipped (a note)."""
    from litdigest.clean import clean_record

    if not case.document.is_file():
        return f"document not found: {display_path(case.document)}"
    if case.reference_file is not None and not case.reference_file.is_file():
        return f"reference file not found: {display_path(case.reference_file)}"
    label = display_path(case.document)
    if case.line is not None:
        text = _read_line(case.document, case.line)
        record = RawRecord(
            text=text,
            format=Format.TEXT,
            source=f"{label}:{case.line}",
            clean_mode=CleanMode.STRUCTURED,
        )
        try:
            doc = clean_record(record, settings.clean)
        except InputError as exc:
            raise GoldenError(f"case {case.id!r}: {exc.message}") from None
    else:
        if files is None or case.document not in files:
            files = load_files([case.document], settings)
        docs: list[Document] = []
        for item in files.get(case.document, []):
            if isinstance(item, InputError):
                raise GoldenError(f"case {case.id!r}: {item.message}")
            docs.append(item)
        if not docs:
            raise GoldenError(f"case {case.id!r}: {label} holds no document")
        if case.record is None:
            if len(docs) > 1:
                raise GoldenError(
                    f"case {case.id!r}: {label} holds {len(docs)} records; "
                    "say which with 'record: N'"
                )
            doc = docs[0]
        elif case.record > len(docs):
            raise GoldenError(f"case {case.id!r}: {label} has no record {case.record}")
        else:
            doc = docs[case.record - 1]
    reference = case.reference
    if case.reference_file is not None:
        if case.reference_line is not None:
            reference = _read_line(case.reference_file, case.reference_line)
        else:
            reference = case.reference_file.read_text(encoding="utf-8")
        reference = reference.strip() or None
    return doc, reference


# --------------------------------------------------------------------------------------------
# Backends


def build_backend(
    name: str,
    settings: Settings,
    *,
    record: Path | None = None,
    replay: Path | None = None,
    model_given: bool = False,
) -> tuple[Backend, Cassette | None]:
    """The backend to evaluate, with the recording or replaying cassette when asked."""
    from litdigest.summarize.backends import choose_backend, get_backend

    if record is not None and replay is not None:
        raise UsageError("--record and --replay cannot be used together")
    if record is None and replay is None:
        chosen, _ = choose_backend(name, settings)
        return get_backend(chosen, settings), None
    if name.startswith("extractive"):
        raise UsageError(f"--record and --replay apply to the openai backend, not {name}")
    from litdigest.evaluate.replay import (
        Cassette,
        RecordingTransport,
        ReplayTransport,
    )
    from litdigest.summarize.backends.openai import OpenAIBackend

    factory: Callable[[], httpx2.AsyncBaseTransport]
    if replay is not None:
        if not replay.is_dir():
            raise UsageError(f"--replay {replay}: no such recording directory")
        cassette = Cassette(replay)
        meta = cassette.read_meta()
        openai_cfg = settings.openai
        updates: dict[str, object] = {}
        if not model_given and isinstance(meta.get("model"), str):
            updates["model"] = meta["model"]
        if not openai_cfg.base_url:
            updates["base_url"] = REPLAY_BASE_URL  # never contacted: the transport answers
        if updates:
            settings = settings.model_copy(update={"openai": openai_cfg.model_copy(update=updates)})

        def factory() -> httpx2.AsyncBaseTransport:
            return ReplayTransport(cassette)

        return OpenAIBackend(settings, transport=factory), cassette
    assert record is not None
    cassette = Cassette(record)
    if record.exists() and not record.is_dir():
        raise UsageError(f"--record {record}: not a directory")
    try:
        backend = OpenAIBackend(settings, transport=lambda: RecordingTransport(cassette))
    except ConfigError:
        raise
    cassette.write_meta({"model": backend.model, "prompt_version": backend.prompt_version})
    return backend, cassette


# --------------------------------------------------------------------------------------------
# Running


async def _summarize_all(
    items: list[CaseResult],
    backend: Backend,
    settings: Settings,
    concurrency: int,
    store_path: Path | None,
) -> None:
    from litdigest.chunk.chunker import Chunker
    from litdigest.summarize.backends.base import CallContext

    chunker = Chunker(settings.chunk)
    store = None
    if store_path is not None:
        from litdigest.store.store import Store

        store = Store(store_path)
    ctx = CallContext(store=store, limiter=asyncio.Semaphore(concurrency))
    gate = asyncio.Semaphore(concurrency)

    async def one(item: CaseResult) -> None:
        assert item.doc is not None
        async with gate:
            chunks = chunker.chunk_document(item.doc)
            started = time.perf_counter()
            try:
                item.summary = await backend.summarize(item.doc, chunks, ctx)
            except LitdigestError as exc:
                item.status, item.note = "error", redact(exc.message)
            except Exception as exc:  # a backend bug is a failed case, not a crash
                item.status = "error"
                item.note = redact(f"internal error: {type(exc).__name__}: {exc}")
            item.latency_s = time.perf_counter() - started

    try:
        await asyncio.gather(*(one(i) for i in items))
    finally:
        if store is not None:
            store.close()


# --------------------------------------------------------------------------------------------
# Summaries written elsewhere (``--summaries FILE.jsonl``)


def _source_key(source: str) -> tuple[str, int | None]:
    """(file name, record or line) of a ``source`` such as ``dir/x.ris#2`` or ``t.src:12``."""
    base, _, record = source.partition("#")
    if record.isdigit():
        return Path(base).name, int(record)
    head, _, line = base.rpartition(":")
    if head and line.isdigit():
        return Path(head).name, int(line)
    return Path(base).name, None


class SummaryFile:
    """DocumentSummary JSON lines, looked up by ``doc_id`` or by source file name."""

    def __init__(self, path: Path) -> None:
        from pydantic import ValidationError

        from litdigest.summarize.schema import DocumentSummary

        self.path = path
        self.by_id: dict[str, DocumentSummary] = {}
        self.by_source: dict[tuple[str, int | None], DocumentSummary] = {}
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--summaries {path}: cannot read ({exc})") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                summary = DocumentSummary.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(map(str, first["loc"]))
                raise UsageError(
                    f"--summaries {path}: line {n}: not a DocumentSummary ({where}: {first['msg']})"
                ) from None
            self.by_id.setdefault(summary.doc_id, summary)
            self.by_source.setdefault(_source_key(summary.source), summary)
        self.used: set[str] = set()

    def find(self, case: GoldenCase, doc: Document) -> DocumentSummary | None:
        found = self.by_id.get(doc.doc_id)
        if found is None:
            name = case.document.name
            found = self.by_source.get((name, case.record or case.line))
            if found is None and case.record is None and case.line is None:
                found = self.by_source.get((name, 1))
        if found is not None:
            self.used.add(found.doc_id)
        return found


# --------------------------------------------------------------------------------------------
# Scoring with baselines


def score_baselines(
    item: CaseResult, matcher: Matcher, budget: Budget, draws: int
) -> dict[str, Metrics]:
    """``random`` (mean of ``draws`` seeded draws), ``lead`` and ``whole`` for one case."""
    from litdigest.evaluate import baselines as bl

    doc = item.doc
    assert doc is not None
    counts = bl.claim_counts(item.summary)

    def score(summary: DocumentSummary) -> Metrics:
        return score_case(
            summary,
            doc.text,
            item.case,
            matcher,
            reference=item.reference,
            budget=budget,
            rouge=False,
        )

    out: dict[str, Metrics] = {}
    if draws > 0:
        out["random"] = aggregate(
            score(s) for s in bl.draws(doc.doc_id, doc.source, doc.text, counts, draws)
        )
    out["lead"] = score(bl.lead_summary(doc.doc_id, doc.source, doc.text, counts))
    out["whole"] = score(bl.whole_summary(doc.doc_id, doc.source, doc.text))
    return out


def _resolve_all(
    sets: Sequence[GoldenSet], settings: Settings
) -> tuple[list[tuple[GoldenSet, list[CaseResult]]], list[CaseResult]]:
    results: list[tuple[GoldenSet, list[CaseResult]]] = []
    pending: list[CaseResult] = []
    files = load_files([c.document for gs in sets for c in gs.cases if c.line is None], settings)
    for gs in sets:
        cases: list[CaseResult] = []
        for case in gs.cases:
            resolved = resolve_case(case, settings, files)
            if isinstance(resolved, str):
                cases.append(CaseResult(gs.name, case, "skipped", note=resolved))
                continue
            doc, reference = resolved
            item = CaseResult(gs.name, case, "ok", doc=doc, reference=reference)
            cases.append(item)
            pending.append(item)
        results.append((gs, cases))
    return results, pending


def _take_summaries(pending: list[CaseResult], summaries: SummaryFile) -> None:
    for item in pending:
        assert item.doc is not None
        item.summary = summaries.find(item.case, item.doc)
        if item.summary is None:
            item.status = "error"
            item.note = f"no summary for this document in {display_path(summaries.path)}"


def run_sets(
    sets: Sequence[GoldenSet],
    backend: Backend | None,
    settings: Settings,
    matcher: Matcher,
    *,
    concurrency: int = 4,
    store_path: Path | None = None,
    cassette: Cassette | None = None,
    summaries: SummaryFile | None = None,
    budget: Budget | None = None,
    random_draws: int = 20,
) -> EvalRun:
    """Summarize every available case of ``sets`` with ``backend`` (or take its summary from
    ``summaries``), score it, and score the baselines beside it."""
    budget = budget or Budget()
    results, pending = _resolve_all(sets, settings)
    if summaries is not None:
        _take_summaries(pending, summaries)
    elif pending and backend is not None:
        asyncio.run(_summarize_all(pending, backend, settings, concurrency, store_path))
    if cassette is not None and (miss := cassette.miss_error()) is not None:
        raise miss
    for item in pending:
        assert item.doc is not None
        scored = score_summary(
            item.summary,
            item.doc.text,
            item.case,
            matcher,
            reference=item.reference,
            latency_s=item.latency_s,
            budget=budget,
        )
        item.metrics, item.explanation = scored.metrics, scored.explanation
        item.baselines = score_baselines(item, matcher, budget, random_draws)
    name = backend.name if backend is not None else "summaries"
    return EvalRun(
        backend=name,
        model=backend.model
        if backend is not None
        else display_path(summaries.path)
        if summaries is not None
        else "",
        prompt_version=backend.prompt_version if backend is not None else "",
        sets=results,
        budget=budget,
        random_draws=random_draws,
    )
