"""The cross-document digest: agreement/disagreement detection, themes, and scale.

1. **Pairs** (``evals/digest/pairs.yaml``, written by us): precision and recall of
   ``compare_claims`` for ``disagree`` and ``agree``, on the ``tune`` half (used while
   adjusting the detector), the ``heldout`` half (not used) and both.
2. **Planted documents** (``evals/digest/documents.yaml``): the documents go into a store
   and through ``build_digest``; every flagged cross-document pair is scored against the
   planted relations (all other pairs are expected unrelated).
3. **Corpus** (needs ../shared): the seeds + 8 PMC articles + 20 Cochrane abstracts,
   summarized with the extractive backend into one store: themes, documents per theme,
   claims under "Only in", label lengths.
4. **Scale**: 50,000 synthetic claims (5,000 documents) through ``assemble`` in a fresh
   process: wall time and peak RSS (goal: < 60 s, < 1 GB).

Run alone: ``python bench/bench_digest.py [--shared ../shared] [--claims 50000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

EVALS = ROOT / "evals" / "digest"
KINDS = ("disagree", "agree")
COCHRANE_LINES = [7 * i for i in range(1, 21)]  # 1-based lines of test.source


def _pr(pred: Sequence[str], gold: Sequence[str], kind: str) -> dict[str, Any]:
    tp = sum(p == kind and g == kind for p, g in zip(pred, gold, strict=True))
    fp = sum(p == kind and g != kind for p, g in zip(pred, gold, strict=True))
    fn = sum(p != kind and g == kind for p, g in zip(pred, gold, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def pairs_eval() -> dict[str, Any]:
    import yaml

    from litdigest.digest.polarity import compare_claims

    pairs = yaml.safe_load((EVALS / "pairs.yaml").read_text(encoding="utf-8"))["pairs"]
    out: dict[str, Any] = {"pairs": len(pairs)}
    for split in ("tune", "heldout", "all"):
        rows = [p for p in pairs if split == "all" or p["split"] == split]
        pred = []
        for p in rows:
            found = compare_claims(p["a"], p["b"])
            pred.append(found[0] if found else "unrelated")
        gold = [p["label"] for p in rows]
        out[split] = {"n": len(rows), **{k: _pr(pred, gold, k) for k in KINDS}}
        out[split]["errors"] = [
            f"{p['id']}: {g} -> {q}" for p, g, q in zip(rows, gold, pred, strict=True) if g != q
        ]
    return out


def _planted_store(path: Path) -> dict[tuple[str, str, int], str]:
    """Writes the planted documents into a store; returns (doc_id, claim order) -> key."""
    import yaml

    from litdigest.documents import Document, Format, Metadata, content_hash
    from litdigest.store.store import Store
    from litdigest.summarize.schema import Claim, DocumentSummary, EvidenceKind, Quote

    data = yaml.safe_load((EVALS / "documents.yaml").read_text(encoding="utf-8"))
    keys: dict[tuple[str, str, int], str] = {}
    with Store(path) as store:
        for doc in data["documents"]:
            text = " ".join(c["text"] for c in doc["claims"])
            doc_id = content_hash(text)
            meta = Metadata(title=doc["title"])
            store.add_document(
                Document(
                    doc_id=doc_id,
                    text=text,
                    metadata=meta,
                    format=Format.TEXT,
                    source=f"{doc['id']}.txt",
                )
            )
            sections: dict[str, list[Claim]] = {}
            for c in doc["claims"]:
                start = text.index(c["text"])
                quote = Quote(text=c["text"], start=start, end=start + len(c["text"]))
                kind = EvidenceKind(c["kind"]) if c["field"] == "evidence" else None
                claims = sections.setdefault(c["field"], [])
                keys[(doc_id, c["field"], len(claims))] = f"{doc['id']}.{c['key']}"
                claims.append(Claim(statement=c["text"], quotes=[quote], evidence_kind=kind))
            summary = DocumentSummary(
                doc_id=doc_id,
                source=f"{doc['id']}.txt",
                metadata=meta,
                tldr=doc["title"],
                backend="bench",
                model="bench",
                prompt_version="bench",
                **sections,
            )
            store.put_summary(doc_id, "bench", "bench", "bench", "h", summary.model_dump_json())
    return keys


def documents_eval() -> dict[str, Any]:
    import yaml

    from litdigest.digest.build import build_digest
    from litdigest.store.store import Store

    planted = yaml.safe_load((EVALS / "documents.yaml").read_text(encoding="utf-8"))["relations"]
    gold = {frozenset((a, b)): kind for a, b, kind in planted}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "planted.db"
        keys = _planted_store(db)
        with Store(db) as store:
            digest = build_digest(store)
    key_of = {cid: keys[(c.doc_id, c.field, c.index)] for cid, c in digest.claims.items()}
    found = {
        frozenset((key_of[r.a], key_of[r.b])): r.kind
        for r in digest.disagreements + digest.agreements
    }
    ids = sorted(key_of.values())
    all_pairs = [
        frozenset((a, b))
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
        if a.split(".")[0] != b.split(".")[0]
    ]
    pred = [found.get(p, "unrelated") for p in all_pairs]
    truth = [gold.get(p, "unrelated") for p in all_pairs]
    return {
        "documents": len(digest.references),
        "claims": len(digest.claims),
        "cross_document_pairs": len(all_pairs),
        "planted": {k: sum(v == k for v in gold.values()) for k in KINDS},
        **{k: _pr(pred, truth, k) for k in KINDS},
        "errors": sorted(
            f"{'/'.join(sorted(p))}: {t} -> {q}"
            for p, t, q in zip(all_pairs, truth, pred, strict=True)
            if t != q
        ),
        "themes": [(t.label, len(t.documents)) for t in digest.themes],
    }


def corpus_eval(shared: Path) -> dict[str, Any]:
    """Seeds + PMC + 20 Cochrane abstracts, extractive, one store: theme statistics."""
    if not (shared / "seeds").is_dir() or not (shared / "corpus" / "cochrane").is_dir():
        return {"skipped": f"{shared} has no seeds or Cochrane corpus"}
    from litdigest.digest.build import build_digest
    from litdigest.store.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for f in [
            *sorted((shared / "seeds").glob("*.txt")),
            *sorted((shared / "corpus" / "pmc").glob("*.nxml")),
        ]:
            (inputs / f.name).write_bytes(f.read_bytes())
        lines = (shared / "corpus" / "cochrane" / "test.source").read_text("utf-8").splitlines()
        for n in COCHRANE_LINES:  # re-extracted at run time, never stored in the repo
            (inputs / f"cochrane_{n}.txt").write_text(lines[n - 1] + "\n", encoding="utf-8")
        db = Path(tmp) / "corpus.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LITDIGEST_"))}
        env["LITDIGEST_CONFIG"] = str(Path(tmp) / "none.toml")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "litdigest",
                "summarize",
                "--backend",
                "extractive",
                "--db",
                str(db),
                "--out",
                str(Path(tmp) / "out"),
                str(inputs),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        start = time.perf_counter()
        with Store(db) as store:
            digest = build_digest(store)
        seconds = time.perf_counter() - start
    words = [len(t.label.split()) for t in digest.themes]
    themed = sum(len(t.claims) for t in digest.themes)
    return {
        "documents": len(digest.references),
        "claims": len(digest.claims),
        "themes": len(digest.themes),
        "claims_in_themes": themed,
        "claims_only_in": sum(len(v) for v in digest.only_in.values()),
        "min_documents_per_theme": min((len(t.documents) for t in digest.themes), default=0),
        "max_label_words": max(words, default=0),
        "min_label_words": min(words, default=0),
        "labels": [t.label for t in digest.themes],
        "disagreements": len(digest.disagreements),
        "agreements": len(digest.agreements),
        "seconds": round(seconds, 2),
    }


# ---- scale ----------------------------------------------------------------------------------

_SUBJECTS = [
    "PD-1 blockade",
    "CTLA-4 blockade",
    "nivolumab",
    "pembrolizumab",
    "ipilimumab",
    "STING agonists",
    "IL-2",
    "TGF-beta",
    "IDO1 inhibition",
    "metformin",
    "radiotherapy",
    "chemotherapy",
    "hypoxia",
    "lactate",
    "adenosine",
    "regulatory T cells",
    "myeloid-derived suppressor cells",
    "tumour-associated macrophages",
    "IL-10",
    "interferon-gamma",
    "CXCL9",
    "VEGF",
    "oncolytic virus therapy",
    "vaccination",
]
_VERBS = [
    "increased",
    "decreased",
    "enhanced",
    "suppressed",
    "did not change",
    "promoted",
    "reduced",
    "improved",
    "impaired",
    "restored",
]
_TARGETS = [
    "CD8+ T cell infiltration",
    "overall survival",
    "progression-free survival",
    "the objective response rate",
    "NK cell cytotoxicity",
    "dendritic cell activation",
    "PD-L1 expression",
    "T cell proliferation",
    "tumour growth",
    "angiogenesis",
    "antigen presentation",
    "T cell exhaustion",
    "effector T cell expansion",
]
_SETTINGS = [
    "in melanoma",
    "in lung cancer",
    "in breast cancer",
    "in mouse models",
    "in colorectal tumours",
    "in patients with advanced disease",
    "in glioblastoma",
    "in ovarian cancer",
    "in renal cell carcinoma",
    "in hepatocellular carcinoma",
]
_EXTRA = [
    "",
    "",
    " in a small cohort",
    " after four weeks",
    " in two independent cohorts",
    " compared with placebo",
    " in a dose-dependent manner",
]


def synthetic_claims(n: int, seed: int = 0) -> tuple[dict[int, Any], list[Any]]:
    """``n`` template claims (10 per document) with random subjects, directions and settings."""
    from litdigest.digest.model import DigestClaim, Reference
    from litdigest.summarize.schema import Section

    rng = random.Random(seed)
    fields: list[Section] = ["mechanism", "evidence", "therapeutic_implication"]
    claims: dict[int, DigestClaim] = {}
    refs: list[Reference] = []
    for i in range(1, n + 1):
        ref = (i - 1) // 10 + 1
        if ref > len(refs):
            refs.append(
                Reference(
                    ref, f"doc{ref:05d}", f"Synthetic {ref}", [], None, None, None, f"s{ref}.txt"
                )
            )
        text = (
            f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} "
            f"{rng.choice(_TARGETS)} {rng.choice(_SETTINGS)}{rng.choice(_EXTRA)}."
        )
        field = fields[i % 3]
        kind = "clinical_trial" if field == "evidence" else None
        claims[i] = DigestClaim(
            i,
            f"doc{ref:05d}",
            ref,
            field,
            i % 10,
            text,
            text,
            kind,
            "pending",
            False,
        )
    return claims, refs


def scale_child(n: int) -> dict[str, Any]:
    """Runs in a fresh process: assemble ``n`` synthetic claims; time and peak RSS."""
    from litdigest.digest.build import assemble
    from litdigest.digest.cluster import Embedder

    claims, refs = synthetic_claims(n)
    embedder = Embedder()
    embedder.vectors(["warm up"])  # model load is not part of the digest
    start = time.perf_counter()
    cpu_start = time.process_time()
    digest = assemble(claims, refs, embedder)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "claims": n,
        "documents": len(refs),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "themes": len(digest.themes),
        "claims_only_in": sum(len(v) for v in digest.only_in.values()),
        "disagreements": len(digest.disagreements),
        "agreements": len(digest.agreements),
        "embedding": digest.embedding,
    }


def scale(n: int = 50_000) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--scale-child", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    data["met"] = data["seconds"] < 60 and data["peak_rss_mb"] < 1024
    return data


def run(shared: Path, n: int = 50_000) -> dict[str, Any]:
    return {
        "pairs": pairs_eval(),
        "documents": documents_eval(),
        "corpus": corpus_eval(shared),
        "scale": scale(n),
    }


def markdown(result: dict[str, Any] | None) -> list[str]:
    """The section of bench/RESULTS.md."""
    if not result:
        return []
    lines = [
        "## Digest: agreement/disagreement, themes, scale",
        "",
        "| set | relation | precision | recall | goal | met? |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    sets = [(f"pairs {s}", result["pairs"][s]) for s in ("tune", "heldout", "all")]
    sets.append(("planted documents", result["documents"]))
    for name, block in sets:
        for kind in KINDS:
            m = block[kind]
            ok = m["precision"] >= 0.8 and m["recall"] >= 0.6
            lines.append(
                f"| {name} | {kind} | {m['precision']:.3f} | {m['recall']:.3f} | "
                f"P ≥ 0.8, R ≥ 0.6 | {'✅ yes' if ok else '❌ no'} |"
            )
    corpus = result["corpus"]
    lines.append("")
    if "skipped" in corpus:
        lines.append(f"Corpus: skipped ({corpus['skipped']}).")
    else:
        lines.append(
            f"Corpus (seeds + 8 PMC + 20 Cochrane, extractive): {corpus['documents']} documents, "
            f"{corpus['claims']} claims, {corpus['themes']} themes ({corpus['claims_in_themes']} "
            f"claims), each spanning ≥ {corpus['min_documents_per_theme']} documents; "
            f'{corpus["claims_only_in"]} claims under "Only in"; labels '
            f"{corpus['min_label_words']}–{corpus['max_label_words']} words; "
            f"{corpus['disagreements']} disagreements, {corpus['agreements']} agreements; "
            f"{corpus['seconds']} s."
        )
    s = result["scale"]
    lines += [
        "",
        f"Scale: {s['claims']:,} synthetic claims ({s['documents']:,} documents) in "
        f"{s['seconds']} s wall ({s['cpu_seconds']} s CPU, load average {s['load_average']}), peak RSS {s['peak_rss_mb']} MB (goal < 60 s, < 1 GB: "
        f"{'✅ met' if s['met'] else '❌ not met'}); {s['themes']} themes, "
        f"{s['disagreements']} disagreements, {s['agreements']} agreements.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--scale-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["pairs", "documents", "corpus", "scale"])
    args = parser.parse_args()
    if args.scale_child is not None:
        print(json.dumps(scale_child(args.scale_child)))
        return
    if args.only:
        fn: dict[str, Callable[[], dict[str, Any]]] = {
            "pairs": pairs_eval,
            "documents": documents_eval,
            "corpus": lambda: corpus_eval(args.shared),
            "scale": lambda: scale(args.claims),
        }
        print(json.dumps(fn[args.only](), indent=2))
        return
    result = run(args.shared, args.claims)
    print(json.dumps(result, indent=2))
    print("\n".join(markdown(result)))


if __name__ == "__main__":
    main()
