"""extractive-v3 (issue 13): the sentence-role classifier on the held-out test documents of
training/labels.jsonl, the evidence-kind rules on their evidence sentences, and the backend's
speed in-process on the 480 Cochrane abstracts beside sumy LexRank in the same run.

* **Classifier**: per-class precision, recall and F1, role accuracy and *field* accuracy
  (mechanism / evidence / implication / not a claim) of the shipped model
  (``roles-v3.npz``) on the labelled sentences of the 14 test documents (document-level split;
  never trained on). The sentences are re-extracted from ../shared by ``training/extract.py``.
* **Evidence kind**: accuracy of ``extractive_kinds.evidence_kind_of`` on the hand-labelled
  evidence sentences of the test documents (goal ≥ 0.85).
* **Speed**: ``ExtractiveV3Backend.summarize_sync`` on the cleaned abstracts (clean once,
  outside the timing), and sumy LexRank with 3 sentences on the raw abstracts; best of two
  passes each, after a 20-document warm-up (goal ≥ 300 docs/s). Other jobs on the machine
  make absolute figures noisy; the ratio is measured in the same run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Final

from bench.bench_peers import load_cochrane, sumy_system
from bench.support import line_documents
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend

ROOT: Final = Path(__file__).resolve().parents[1]
SPEED_GOAL: Final = 300.0
KIND_GOAL: Final = 0.85
FIELD_GOAL: Final = 0.80


def classifier(shared: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "training"))
    try:
        import numpy as np
        import train  # type: ignore[import-not-found]  # training/train.py (numpy only here)

        from litdigest.summarize.backends.extractive_roles import role_model
    finally:
        sys.path.remove(str(ROOT / "training"))
    ds = train.load_dataset(shared)
    split = np.asarray(ds.split)
    model = role_model()
    return {
        "test": train.evaluate(model, ds, split == "test"),
        "train": {
            k: v for k, v in train.evaluate(model, ds, split == "train").items() if k != "per_class"
        },
        "evidence_kind": {
            "test": train.kind_accuracy(ds, "test"),
            "train": train.kind_accuracy(ds, "train"),
        },
    }


_FIELD_OF_LABEL: Final = {
    "mechanism": "mechanism",
    "evidence": "evidence",
    "implication": "therapeutic_implication",
}


def field_decisions(shared: Path) -> dict[str, Any]:
    """Accuracy of the backend's whole field decision (classifier + cues + position; a
    filtered sentence counts as "no field") on the hand-labelled test sentences."""
    sys.path.insert(0, str(ROOT / "training"))
    try:
        import extract  # type: ignore[import-not-found]  # training/extract.py
    finally:
        sys.path.remove(str(ROOT / "training"))
    from litdigest.config import Settings
    from litdigest.summarize.backends.extractive_v3 import sentence_fields

    rows = [json.loads(x) for x in (ROOT / "training" / "labels.jsonl").read_text().splitlines()]
    gold: dict[str, dict[str, str | None]] = {}
    for r in rows:
        if r["split"] == "test" and not r.get("weak"):
            gold.setdefault(r["doc"], {})[r["sha"]] = _FIELD_OF_LABEL.get(r["label"])
    ok = n = 0
    for doc, labels in gold.items():
        text = extract.cleaned_text(doc, shared, Settings())
        decided = [(" ".join(t.split()).lower(), f) for t, f in sentence_fields(text)]
        for s in extract.sentences(doc, shared, Settings()):
            if s.sha not in labels:
                continue
            norm = " ".join(s.text.split()).lower()
            # A candidate is the sentence, or its end when an inline label was cut off.
            pred = next((f for t, f in decided if t == norm or norm.endswith(" " + t)), None)
            ok += pred == labels[s.sha]
            n += 1
    return {"n": n, "field_accuracy": ok / n if n else 0.0}


def speed(shared: Path) -> dict[str, Any] | None:
    loaded = load_cochrane(shared)
    if loaded is None:
        return None
    sources, _ = loaded
    docs = line_documents(sources)
    backend = ExtractiveV3Backend()
    for d in docs[:20]:
        backend.summarize_sync(d)
    sumy_system("lexrank", sources[:20], [3] * 20)
    ours = lexrank = 0.0
    for _ in range(2):
        start = time.perf_counter()
        for d in docs:
            backend.summarize_sync(d)
        ours = max(ours, len(docs) / (time.perf_counter() - start))
        _, secs = sumy_system("lexrank", sources, [3] * len(sources))
        lexrank = max(lexrank, len(sources) / secs)
    return {"documents": len(docs), "ours_docs_per_s": ours, "lexrank_docs_per_s": lexrank}


def run(shared: Path) -> dict[str, Any]:
    if not (shared / "corpus" / "cochrane" / "test.source").is_file():
        return {"skipped": f"{shared}/corpus not found"}
    result: dict[str, Any] = {
        "classifier": classifier(shared),
        "decisions": field_decisions(shared),
        "speed": speed(shared),
    }
    test = result["classifier"]["test"]
    kinds = result["classifier"]["evidence_kind"]["test"]
    sp = result["speed"] or {}
    result["goals"] = {
        "field_accuracy ≥ 0.80": test["field_accuracy"] >= FIELD_GOAL,
        "evidence kind accuracy ≥ 0.85": kinds["accuracy"] >= KIND_GOAL,
        "≥ 300 docs/s": sp.get("ours_docs_per_s", 0.0) >= SPEED_GOAL,
    }
    return result


def markdown(res: dict[str, Any] | None) -> list[str]:
    if not res:
        return []
    if "skipped" in res:
        return ["## 8. extractive-v3 classifier and speed", "", f"skipped: {res['skipped']}", ""]
    test = res["classifier"]["test"]
    lines = [
        "## 8. extractive-v3: role classifier (held-out test documents), evidence kinds, speed",
        "",
        f"{test['n']} labelled test sentences (14 documents, never trained on); "
        f"role accuracy **{test['accuracy']:.3f}**, field accuracy **{test['field_accuracy']:.3f}**"
        f" (goal ≥ {FIELD_GOAL}), macro-F1 {test['macro_f1']:.3f}; train split: role accuracy "
        f"{res['classifier']['train']['accuracy']:.3f}, field accuracy "
        f"{res['classifier']['train']['field_accuracy']:.3f}.",
        "",
        "| role | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for role, m in test["per_class"].items():
        lines.append(
            f"| {role} | {m['precision']:.3f} | {m['recall']:.3f} | **{m['f1']:.3f}** | "
            f"{m['support']} |"
        )
    kinds = res["classifier"]["evidence_kind"]
    dec = res.get("decisions")
    if dec:
        lines += [
            "",
            f"The backend's whole field decision (classifier + cue scores + conclusion/position "
            f"bonus; a sentence it filters out counts as no field) on the same {dec['n']} "
            f"sentences: field accuracy **{dec['field_accuracy']:.3f}**.",
        ]
    lines += [
        "",
        f"Evidence kind (rules, sentence + section + document): accuracy **"
        f"{kinds['test']['accuracy']:.3f}** on {kinds['test']['n']} test evidence sentences "
        f"(goal ≥ {KIND_GOAL}); {kinds['train']['accuracy']:.3f} on {kinds['train']['n']} train.",
        "",
    ]
    sp = res.get("speed")
    if sp:
        ratio = sp["ours_docs_per_s"] / sp["lexrank_docs_per_s"]
        lines += [
            "| system (Cochrane, in-process, same run) | docs/s | goal | met? |",
            "| --- | --- | --- | --- |",
            f"| ours: ExtractiveV3Backend.summarize_sync (extractive-v3) | "
            f"{sp['ours_docs_per_s']:.0f} | ≥ {SPEED_GOAL:.0f} | "
            f"{'✅ yes' if sp['ours_docs_per_s'] >= SPEED_GOAL else '❌ no'} |",
            f"| sumy LexRank (3 sentences) | {sp['lexrank_docs_per_s']:.0f} | | |",
            "",
            f"- ratio ours / LexRank: {ratio:.2f}×; best of two passes after a 20-document "
            "warm-up; the machine's other jobs make absolute figures noisy.",
            "",
        ]
    return lines
