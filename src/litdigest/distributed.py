"""Scale-out on Ray Data: the summarize pipeline as a dataset transform.

Install with ``pip install 'litdigest[ray]'``. The job reads files or records, cleans them in a
CPU ``map_batches`` stage, summarizes them in a pool of actors with the configured backend (the
same :func:`litdigest.summarize.runner.run_batch` as the single-machine path, so retries,
grounding, faithfulness and budget rules are the same), and writes Parquet per partition:

``OUT/summaries/<part>.parquet``  one row per input document (ok or failed, with the reason),
                                  the full DocumentSummary JSON and the cleaned document;
``OUT/claims/<part>.parquet``     one row per claim, flattened.

A partition is a fixed, ordered group of inputs named by the hash of its members; its
summaries file is written last, atomically, and a partition whose file exists is skipped on a
rerun, so a killed job resumes without repeating a finished partition. There is no shared
SQLite: each actor keeps a private scratch store for its own cache and call log.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litdigest.config import Settings
from litdigest.documents import Document, Format, Metadata, RawRecord
from litdigest.errors import InputError, LitdigestError, UsageError

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_COLUMNS = (
    "part",
    "source",
    "doc_id",
    "status",
    "reason",
    "backend",
    "model",
    "prompt_version",
    "settings_hash",
    "n_claims",
    "summary_json",
    "document_json",
)
CLAIM_COLUMNS = (
    "part",
    "doc_id",
    "source",
    "field",
    "index",
    "statement",
    "quotes_json",
    "evidence_kind",
)
FIELDS = ("mechanism", "evidence", "therapeutic_implication")


def require_ray() -> Any:
    """Import Ray, or explain how to get it (a UsageError: exit 2)."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise UsageError("the ray engine needs Ray Data: pip install 'litdigest[ray]'") from None
    return ray


# ---- inputs and partitions --------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One input: a file path, or a record given as text (from a Parquet/JSONL dataset)."""

    key: str
    path: str | None = None
    text: str | None = None
    title: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"key": self.key, "path": self.path, "text": self.text, "title": self.title}


@dataclass(frozen=True)
class Partition:
    name: str
    items: tuple[Item, ...]


def _files(root: Path, settings: Settings) -> list[Item]:
    """Files under ``root`` in sorted order; unreadable entries stay, to fail as rows later."""
    from litdigest.ingest.files import iter_input_files

    items = []
    for got in iter_input_files([root], settings.ingest):
        name = got.source if isinstance(got, InputError) else str(got)
        items.append(Item(name, path=name))
    return items


def _is_dataset_dir(path: Path) -> bool:
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    return bool(files) and all(p.suffix == ".parquet" for p in files)


def _table_items(path: Path) -> list[Item]:
    """Records of a Parquet or JSONL dataset with ``id`` and ``text`` or ``path`` columns."""
    rows: list[dict[str, Any]]
    if path.suffix in {".jsonl", ".ndjson"}:
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    items = []
    for n, row in enumerate(rows, 1):
        key = str(row.get("id") or f"{path.name}#{n}")
        if row.get("text"):
            items.append(Item(key, text=str(row["text"]), title=row.get("title")))
        elif row.get("path"):
            items.append(Item(key, path=str(row["path"])))
        else:
            raise UsageError(f"{path}: row {n} has neither a 'text' nor a 'path' column")
    return items


def collect_items(inputs: Sequence[Path], settings: Settings) -> list[Item]:
    """Files under folders, single files, and records of ``.parquet`` / ``.jsonl`` datasets."""
    items: list[Item] = []
    for raw in inputs:
        if raw.suffix in {".parquet", ".jsonl", ".ndjson"} and raw.is_file():
            items.extend(_table_items(raw))
        elif raw.is_dir() and _is_dataset_dir(raw):
            for part in sorted(raw.glob("*.parquet")):
                items.extend(_table_items(part))
        elif raw.is_dir():
            items.extend(_files(raw, settings))
        else:
            items.append(Item(str(raw), path=str(raw)))
    return items


def plan_partitions(items: Sequence[Item], size: int) -> list[Partition]:
    """Fixed groups of ``size`` inputs in order, each named by the hash of its members."""
    if size < 1:
        raise UsageError("--partition-size must be at least 1")
    parts = []
    for start in range(0, len(items), size):
        group = tuple(items[start : start + size])
        digest = hashlib.sha256("\n".join(i.key for i in group).encode()).hexdigest()[:12]
        parts.append(Partition(f"part-{start // size:06d}-{digest}", group))
    return parts


def finished_parts(out: Path) -> set[str]:
    return {p.stem for p in (out / "summaries").glob("part-*.parquet")}


# ---- stage 1: ingest and clean ----------------------------------------------------------


def _clean_item(item: Item, settings: Settings) -> Iterator[Document | InputError]:
    from litdigest.clean import clean_record
    from litdigest.prepare import iter_documents

    if item.path is not None:
        yield from iter_documents([Path(item.path)], settings)
        return
    record = RawRecord(
        text=item.text or "",
        metadata=Metadata(title=item.title),
        format=Format.TEXT,
        source=item.key,
    )
    try:
        yield clean_record(record, settings.clean)
    except LitdigestError as exc:
        yield InputError(item.key, exc.message)


def clean_stage(batch: pd.DataFrame, settings_json: str) -> pd.DataFrame:
    """One row per partition in and out: its documents (or input failures) as a JSON list.

    A partition stays one row through every stage, so it is summarized and written by one
    actor call as soon as it is ready (no shuffle, no barrier before the first write)."""
    import pandas as pd

    settings = Settings.model_validate_json(settings_json)
    out: list[dict[str, str]] = []
    for part, items_json in zip(batch["part"], batch["items"], strict=True):
        entries: list[dict[str, str | None]] = []
        for raw in json.loads(items_json):
            for got in _clean_item(Item(**raw), settings):
                if isinstance(got, InputError):
                    entries.append(_entry(got.source, reason=got.reason))
                else:
                    entries.append(_entry(got.source, document_json=got.model_dump_json()))
        out.append({"part": part, "entries": json.dumps(entries)})
    return pd.DataFrame(out, columns=["part", "entries"])


def _entry(
    source: str, *, reason: str | None = None, document_json: str | None = None
) -> dict[str, str | None]:
    return {"source": source, "reason": reason, "document_json": document_json}


# ---- stage 2: summarize -----------------------------------------------------------------


@dataclass
class _Collected:
    summaries: dict[str, str] = field(default_factory=dict)  # source -> summary JSON
    failures: dict[str, str] = field(default_factory=dict)  # source -> reason

    def write(self, summary: Any) -> None:
        self.summaries[summary.source] = summary.model_dump_json()

    def close(self) -> None:
        return None

    def fail(self, err: LitdigestError) -> None:
        source = getattr(err, "source", None) or "?"
        self.failures[source] = getattr(err, "reason", None) or err.message


class SummarizeStage:
    """An actor: one backend, one chunker and a private scratch store, reused across batches."""

    def __init__(self, settings_json: str, backend: str, out: str) -> None:
        from litdigest.chunk.chunker import Chunker
        from litdigest.store.store import Store
        from litdigest.summarize.backends import get_backend

        self.settings = Settings.model_validate_json(settings_json)
        self.backend = get_backend(backend, self.settings)
        self.chunker = Chunker(self.settings.chunk)
        self.out = out
        self._scratch = Path(tempfile.mkdtemp(prefix="litdigest-ray-")) / "scratch.db"
        Store(self._scratch).close()  # created (and migrated) once per actor

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        """Summarize each partition of the batch and write it; return one count row each."""
        import pandas as pd

        counts = [
            self._partition(str(part), json.loads(entries))
            for part, entries in zip(batch["part"], batch["entries"], strict=True)
        ]
        return pd.DataFrame(counts, columns=["part", "ok", "failed"])

    def _partition(self, part: str, entries: list[dict[str, str | None]]) -> dict[str, Any]:
        collected = self._summarize(
            [
                Document.model_validate_json(e["document_json"])
                for e in entries
                if e["document_json"]
            ]
        )
        rows = [self._row(part, e, collected) for e in entries]
        return write_partition(rows, self.out)

    def _summarize(self, docs: list[Document]) -> _Collected:
        from litdigest.store.store import Store
        from litdigest.summarize.backends.base import Budget
        from litdigest.summarize.runner import run_batch

        collected = _Collected()
        opts = self.settings.summarize
        with Store(self._scratch) as store:  # Ray may call from any thread: one store a call
            asyncio.run(
                run_batch(
                    docs,
                    self.backend,
                    store,
                    collected,
                    collected,
                    chunker=self.chunker,
                    concurrency=opts.concurrency,
                    budget=Budget(opts.max_cost_usd, opts.max_tokens),
                    run_args={"command": "summarize", "engine": "ray"},
                )
            )
        return collected

    def _row(self, part: str, entry: dict[str, str | None], got: _Collected) -> dict[str, Any]:
        source, reason, doc_json = entry["source"] or "?", entry["reason"], entry["document_json"]
        summary = got.summaries.get(source) if doc_json else None
        if summary is None and reason is None:
            reason = got.failures.get(source, "not summarized (budget or interruption)")
        key = self.backend
        return {
            "part": part,
            "source": source,
            "doc_id": json.loads(doc_json)["doc_id"] if doc_json else None,
            "status": "ok" if summary else "failed",
            "reason": None if summary else reason,
            "backend": key.name,
            "model": key.model,
            "prompt_version": key.prompt_version,
            "settings_hash": key.settings_hash(),
            "n_claims": _count_claims(summary) if summary else 0,
            "summary_json": summary,
            "document_json": doc_json,
        }


def _count_claims(summary_json: str) -> int:
    data = json.loads(summary_json)
    return sum(len(data.get(f) or []) for f in FIELDS)


# ---- stage 3: write one partition -------------------------------------------------------


def claim_rows(part: str, summary_json: str) -> list[dict[str, Any]]:
    data = json.loads(summary_json)
    rows = []
    for fname in FIELDS:
        for index, claim in enumerate(data.get(fname) or []):
            rows.append(
                {
                    "part": part,
                    "doc_id": data["doc_id"],
                    "source": data["source"],
                    "field": fname,
                    "index": index,
                    "statement": claim.get("statement"),
                    "quotes_json": json.dumps(claim.get("quotes", []), ensure_ascii=False),
                    "evidence_kind": claim.get("evidence_kind"),
                }
            )
    return rows


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    tmp.replace(path)


def write_partition(rows: list[dict[str, Any]], out: str) -> dict[str, Any]:
    """Write one partition's claims, then its summaries (the commit marker); return counts."""
    import pandas as pd

    part = str(rows[0]["part"]) if rows else "empty"
    rows = sorted(rows, key=lambda r: str(r["source"]))
    claims = [c for r in rows if r["summary_json"] for c in claim_rows(part, r["summary_json"])]
    claims_path = Path(out, "claims", f"{part}.parquet")
    _atomic_parquet(pd.DataFrame(claims, columns=list(CLAIM_COLUMNS)), claims_path)
    summaries = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    _atomic_parquet(summaries, Path(out, "summaries", f"{part}.parquet"))
    ok = sum(r["status"] == "ok" for r in rows)
    return {"part": part, "ok": ok, "failed": len(rows) - ok}


# ---- the job ----------------------------------------------------------------------------


@dataclass
class RayResult:
    partitions: int = 0
    skipped: int = 0
    ok: int = 0
    failed: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def run(
    inputs: Sequence[Path],
    out: Path,
    settings: Settings,
    *,
    backend: str,
    address: str | None = None,
    partition_size: int = 64,
    actors: int | None = None,
) -> RayResult:
    """Summarize ``inputs`` on Ray Data into Parquet under ``out``; skip finished partitions."""
    ray = require_ray()
    parts = plan_partitions(collect_items(inputs, settings), partition_size)
    done = finished_parts(out)
    todo = [p for p in parts if p.name not in done]
    result = RayResult(partitions=len(parts), skipped=len(parts) - len(todo))
    if not todo:
        return result
    if not ray.is_initialized():
        _start(ray, address)
    stats = _pipeline(ray, todo, out, settings, backend, actors)
    result.ok = sum(int(r["ok"]) for r in stats)
    result.failed = sum(int(r["failed"]) for r in stats)
    return result


def _start(ray: Any, address: str | None) -> None:
    """Join ``address`` (``auto``, ``ray://…``), or start a private local instance on loopback."""
    if address:
        ray.init(address=address, log_to_driver=False)
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a private instance: loopback
    ray.init(
        address="local",
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
    )


def _pipeline(
    ray: Any,
    todo: Sequence[Partition],
    out: Path,
    settings: Settings,
    backend: str,
    actors: int | None,
) -> list[dict[str, Any]]:
    settings_json = settings.model_dump_json()
    rows = [{"part": p.name, "items": json.dumps([i.to_json() for i in p.items])} for p in todo]
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))
    ds = ds.map_batches(
        clean_stage, batch_size=1, batch_format="pandas", fn_kwargs={"settings_json": settings_json}
    )
    pool = actors or max(1, int(ray.available_resources().get("CPU", 1)))
    ds = ds.map_batches(
        SummarizeStage,
        batch_size=1,  # one partition per call: written as soon as it is summarized
        batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=min(pool, len(rows))),
        fn_constructor_kwargs={
            "settings_json": settings_json,
            "backend": backend,
            "out": str(out),
        },
    )
    return list(ds.take_all())


# ---- import back into a local store -----------------------------------------------------


def iter_result_rows(out: Path, *, only_ok: bool = True) -> Iterable[dict[str, Any]]:
    import pyarrow.parquet as pq

    files = sorted((out / "summaries").glob("part-*.parquet")) if out.is_dir() else [out]
    if not files:
        raise UsageError(f"no summaries found under {out} (expected summaries/part-*.parquet)")
    for path in files:
        for row in pq.read_table(path).to_pylist():
            if only_ok and row["status"] != "ok":
                continue
            yield row


def import_results(out: Path, db: Path, *, only_ok: bool = True) -> tuple[int, int]:
    """Copy summaries (and their documents) into a local store; return (imported, present)."""
    from litdigest.store.store import Store

    imported = present = 0
    with Store(db) as store:
        for row in iter_result_rows(out, only_ok=only_ok):
            if row["status"] != "ok":
                continue
            doc = Document.model_validate_json(row["document_json"])
            with store.transaction():
                store.add_document(doc)
                added = store.put_summary(
                    doc.doc_id,
                    row["backend"],
                    row["model"],
                    row["prompt_version"],
                    row["settings_hash"],
                    row["summary_json"],
                )
            imported += added
            present += not added
    return imported, present
