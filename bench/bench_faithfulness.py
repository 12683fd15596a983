"""Faithfulness bench (issue 14): unfaithful replies never reach the output.

The ``openai`` backend runs against the loopback server (tests/loopback_server.py, in
process) on the seeds, the first ``--cochrane`` Cochrane abstracts and the 8 PMC articles of
../shared: once with clean replies, then once per faithfulness fault injected into
``--rate`` of the replies (tests/loopback_faults.py). For each run it reports

* what was injected (``injected``: alterations actually made; a reply without a statement
  the fault applies to is left alone);
* ``leaked``: injections whose invented token (a name or number not in the document) or
  altered text appears in any output text: TL;DRs, statements, the digest (must be 0);
* the run log (``SupportLog`` summed over summaries): claims checked, unsupported, re-asked,
  repaired by the re-ask, restated (reduce), dropped, flagged; TL;DR re-asks and TL;DRs
  composed from claims;
* ``injected_by_step``: where the injections landed (summary, map, reduce replies, re-asks);
  each first-reply statement injection is one affected claim, which the log must count as
  unsupported, then re-asked (or restated, reduce) and repaired, or dropped/flagged;
* the false-flag rate: claims flagged beyond the injected ones / claims checked (on clean
  replies: unsupported / checked; must be <= 2%).

The extractive backend runs on the same documents: its ``unsupported_rate`` (claims whose
statement its quotes do not support, and TL;DRs not supported by the claims' quotes).

Usage: ``python bench/bench_faithfulness.py [--cochrane 60] [--rate 0.3] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.loopback_faults import FAITHFULNESS_FAULTS, Injection  # noqa: E402
from tests.loopback_server import Fault, FaultPlan, LoopbackServer  # noqa: E402

from bench.support import CollectingFailures, CollectingSink  # noqa: E402
from litdigest.chunk.chunker import Chunker  # noqa: E402
from litdigest.config import Settings  # noqa: E402
from litdigest.digest.build import build_digest  # noqa: E402
from litdigest.documents import Document  # noqa: E402
from litdigest.errors import InputError  # noqa: E402
from litdigest.prepare import iter_documents  # noqa: E402
from litdigest.store.store import Store  # noqa: E402
from litdigest.summarize.backends.base import Budget  # noqa: E402
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend  # noqa: E402
from litdigest.summarize.backends.openai import OpenAIBackend  # noqa: E402
from litdigest.summarize.runner import run_batch  # noqa: E402
from litdigest.summarize.schema import DocumentSummary, SupportLog  # noqa: E402
from litdigest.summarize.support import check_support, check_tldr  # noqa: E402

SHARED = ROOT.parent / "shared"


def load_corpus(cochrane: int, tmp: Path, settings: Settings) -> dict[str, list[Document]]:
    """seeds / cochrane / pmc documents, cleaned (skipped if ../shared is absent)."""
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} not found: the bench needs the shared corpus")
    folder = tmp / "cochrane"
    folder.mkdir()
    source = SHARED / "corpus" / "cochrane" / "test.source"
    lines = [a for a in source.read_text(encoding="utf-8").splitlines() if a.strip()]
    for i, text in enumerate(lines[:cochrane]):
        (folder / f"{i:04d}.txt").write_text(text + "\n", encoding="utf-8")
    sets = {
        "seeds": [SHARED / "seeds"],
        "cochrane": [folder],
        "pmc": sorted((SHARED / "corpus" / "pmc").glob("*.nxml")),
    }
    out: dict[str, list[Document]] = {}
    for name, paths in sets.items():
        docs = [d for d in iter_documents(paths, settings) if not isinstance(d, InputError)]
        out[name] = list({d.doc_id: d for d in docs}.values())
    return out


def _settings(base_url: str, db: Path) -> Settings:
    return Settings(
        openai={"base_url": base_url, "api_key": "sk-bench", "model": "gpt-4o-mini"},
        store={"db_path": db},
        summarize={"concurrency": 16, "max_retries": 2},
    )


async def _run(
    docs: list[Document], backend: Any, store: Store, settings: Settings
) -> list[DocumentSummary]:
    sink, failures = CollectingSink(), CollectingFailures()
    await run_batch(
        docs,
        backend,
        store,
        sink,
        failures,
        chunker=Chunker(settings.chunk),
        concurrency=settings.summarize.concurrency,
        budget=Budget(),
    )
    if failures.errors:
        print(f"  {len(failures.errors)} failure(s), first: {failures.errors[0]}", file=sys.stderr)
    if len(sink.summaries) < len(docs):
        raise SystemExit(f"only {len(sink.summaries)} of {len(docs)} documents summarized")
    return sink.summaries


def _outputs(summaries: list[DocumentSummary], store: Store) -> tuple[list[str], str]:
    texts: list[str] = []
    for s in summaries:
        texts.append(s.tldr)
        texts.extend(c.statement for _, _, c in s.iter_claims())
    digest = build_digest(store)
    parts = [c.statement for c in digest.claims.values()]
    for theme in digest.themes:
        parts.append(theme.label)
        if theme.heading:
            parts.append(theme.heading)
        parts.extend(s.text for s in theme.paragraph)
    return texts, "\n".join(parts)  # the digest's text: statements, headings, paragraphs


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _leaks(
    injections: list[Injection], texts: list[str], digest: str, docs: list[Document]
) -> list[str]:
    """Injections whose invented token or altered text reached an output."""
    by_text = [(t, _norm(t)) for t in texts]
    norm_digest = _norm(digest)
    corpus = "\n".join(d.text for d in docs).casefold()
    out: list[str] = []
    for inj in injections:
        altered = _norm(inj.altered).rstrip(".")
        if any(altered and altered in n for _, n in by_text) or (
            altered and altered in norm_digest
        ):
            out.append(f"{inj.fault}: altered text in the output: {inj.altered!r}")
            continue
        if inj.token is None:
            continue
        token = inj.token.casefold()
        pattern = re.compile(rf"(?<![\w.]){re.escape(token)}(?![\w]|\.\d)")
        if pattern.search(corpus):
            continue  # the token occurs in some document: only the altered text counts
        if any(pattern.search(n) for _, n in by_text) or pattern.search(norm_digest):
            out.append(f"{inj.fault}: invented {inj.token!r} in the output")
    return out


def _by_step(injections: list[Injection]) -> dict[str, int]:
    out: dict[str, int] = {}
    for inj in injections:
        key = f"{inj.step}{' re-ask' if inj.reask else ''}"
        out[key] = out.get(key, 0) + 1
    return out


def _log(summaries: list[DocumentSummary]) -> dict[str, int]:
    total = SupportLog()
    for s in summaries:
        if s.support_log is not None:
            for name, value in s.support_log.model_dump().items():
                setattr(total, name, getattr(total, name) + value)
    return total.model_dump()


def run_openai(
    docs: list[Document], fault: str | None, rate: float, tmp: Path, seed: int
) -> dict[str, Any]:
    rates = {Fault(fault): rate} if fault else {}
    with LoopbackServer(faults=FaultPlan(rates=rates, seed=seed)) as srv:
        db = tmp / f"openai-{fault or 'clean'}.db"
        settings = _settings(srv.base_url, db)
        backend = OpenAIBackend(settings, backoff_initial_s=0.01, backoff_max_s=0.05)
        started = time.perf_counter()
        with Store(db) as store:
            summaries = asyncio.run(_run(docs, backend, store, settings))
            texts, digest = _outputs(summaries, store)
        elapsed = time.perf_counter() - started
        injections = list(srv.injections)
        replies = srv.stats()["total"]
    log = _log(summaries)
    leaks = _leaks(injections, texts, digest, docs)
    claims = sum(1 for s in summaries for _ in s.iter_claims())
    first = sum(
        1 for i in injections if not i.reask and i.step != "tldr" and i.fault != "invented_tldr"
    )
    return {
        "fault": fault or "clean",
        "documents": len(docs),
        "summaries": len(summaries),
        "replies": replies,
        "injected": len(injections),
        "injected_by_step": _by_step(injections),
        "leaked": len(leaks),
        "leak_examples": leaks[:5],
        "claims_out": claims,
        "log": log,
        # claims flagged beyond the injected ones (each first-reply injection alters one claim)
        "false_flags": max(0, log["unsupported"] - first),
        "false_flag_rate": round(max(0, log["unsupported"] - first) / log["checked"], 4)
        if log["checked"]
        else 0.0,
        "seconds": round(elapsed, 1),
    }


def run_extractive(docs: list[Document], tmp: Path) -> dict[str, Any]:
    db = tmp / "extractive.db"
    settings = Settings(store={"db_path": db})
    backend = ExtractiveV3Backend.from_settings(settings.summarize)
    with Store(db) as store:
        summaries = asyncio.run(_run(docs, backend, store, settings))
    claims = unsupported = tldr_bad = 0
    per_field: dict[str, list[int]] = {}
    for s in summaries:
        quotes: list[str] = []
        for section, _, c in s.iter_claims():
            claims += 1
            quotes.extend(q.text for q in c.quotes)
            bad = not check_support(c.statement, [q.text for q in c.quotes]).ok
            unsupported += bad
            per_field.setdefault(section, [0, 0])
            per_field[section][0] += 1
            per_field[section][1] += bad
        tldr_bad += bool(s.tldr) and not check_tldr([(s.tldr, quotes)]).ok
    return {
        "documents": len(summaries),
        "claims": claims,
        "unsupported": unsupported,
        "unsupported_rate": round(unsupported / claims, 4) if claims else 0.0,
        "per_field": {k: round(v[1] / v[0], 4) for k, v in per_field.items()},
        "tldr_unsupported_rate": round(tldr_bad / len(summaries), 4) if summaries else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cochrane", type=int, default=60, help="Cochrane abstracts to use")
    parser.add_argument("--rate", type=float, default=0.3, help="share of faulted replies")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--faults", default=",".join(FAITHFULNESS_FAULTS))
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"rate": args.rate, "cochrane": args.cochrane, "runs": []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = load_corpus(args.cochrane, tmp, Settings(store={"db_path": tmp / "x.db"}))
        docs = [d for ds in corpus.values() for d in ds]
        results["documents"] = {k: len(v) for k, v in corpus.items()}
        print(f"documents: {results['documents']}", flush=True)
        results["extractive"] = run_extractive(docs, tmp)
        print(f"extractive: {results['extractive']}", flush=True)
        faults = [None, *(f for f in args.faults.split(",") if f)]
        for fault in faults:
            run = run_openai(docs, fault, args.rate, tmp, args.seed)
            results["runs"].append(run)
            print(json.dumps(run), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    ok = all(r["leaked"] == 0 for r in results["runs"])
    clean = results["runs"][0]
    ok = ok and clean["false_flag_rate"] <= 0.02
    ok = ok and results["extractive"]["unsupported_rate"] == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
