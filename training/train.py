"""Train the extractive backend's sentence-role classifier (``make train``).

Reads ``training/labels.jsonl``, re-extracts each labelled document's sentences from
``../shared`` (``extract.py``: no sentence text is stored in the repo), builds the runtime
features (``litdigest.summarize.backends.extractive_features``), picks the L2 strength of a
multinomial logistic regression by document-grouped cross-validation on the train split (best
field accuracy), fits it on the train split and writes the numpy model
``src/litdigest/summarize/backends/data/roles-v3.npz``. Prints, and writes to
``training/metrics.json``, per-class precision/recall/F1, role accuracy and field accuracy on
the held-out test documents, and the evidence-kind accuracy of the runtime rules.

Needs scikit-learn (``pip install -e '.[train]'``); the package itself runs the model in numpy.
Golden held-out documents are never read (``extract.py`` refuses them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

HERE: Final = Path(__file__).resolve().parent
ROOT: Final = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import extract  # noqa: E402

from litdigest.config import Settings  # noqa: E402
from litdigest.summarize.backends.extractive_features import (  # noqa: E402
    N_FEATURES,
    NONE,
    RUNTIME_NGRAMS,
    SentenceInput,
    feature_matrix,
    next_section,
    ngram_features,
)
from litdigest.summarize.backends.extractive_kinds import (  # noqa: E402
    CONTINUATION_REACH,
    document_fallback,
    document_kind,
    evidence_kind_of,
)
from litdigest.summarize.backends.extractive_roles import (  # noqa: E402
    MODEL_FILE,
    MODEL_VERSION,
    ROLES,
    RoleModel,
    save_model,
)

MODEL_PATH: Final = ROOT / "src" / "litdigest" / "summarize" / "backends" / "data" / MODEL_FILE
LABELS: Final = HERE / "labels.jsonl"
# The labels the shipped model is trained on (`make train`): the first-pass labels (commit
# bab0b35), frozen. Models trained on the growing labels.jsonl have not shipped yet (README).
SHIPPED_LABELS: Final = HERE / "labels-v3.jsonl"
METRICS: Final = HERE / "metrics.json"
C_GRID: Final = (0.001, 0.003, 0.01, 0.03)
# Class weights of `make train`: none (the shipped model). On labels.jsonl, 0.5 (the square
# root of the balanced weights) has the best grouped CV; it did not ship (README).
BALANCED: Final = 0.0
# How the section of a sentence is replayed from the headings (`document_inputs`): "nearest"
# (the first models) or "all" (every heading, as the backend does).
SECTIONS_MODE: Final = "all"
WEIGHTS: Final = ("mean", "scale", "coef", "intercept")
FIELD_OF: Final = {"mechanism": "mechanism", "evidence": "evidence", "implication": "implication"}


@dataclass
class Dataset:
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.int64]
    split: list[str]
    docs: list[str]
    texts: list[str]
    sections: list[int]
    headings: list[str | None]
    kinds: list[str | None]
    weak: list[bool]


def document_inputs(
    sentences: Sequence[Any], between: Sequence[tuple[str, ...]] | None = None
) -> list[SentenceInput]:
    """Runtime inputs of one document's extracted sentences (section replayed in order).

    With ``between`` (``extract.headings_between``: sections "all"), every heading met before a
    sentence moves the section, as in the backend's ``_candidates``; without it ("nearest", the
    first models), only each sentence's nearest heading does, so a section heading followed
    directly by a subsection heading ("Materials and Methods", "Animals and housing") was missed
    and the subsections kept the section before it (in a full text, often the abstract's last
    label, "Conclusions")."""
    section = NONE
    heading: str | None = None
    out: list[SentenceInput] = []
    for i, s in enumerate(sentences):
        if between is not None:
            for h in between[i]:
                section = next_section(section, h)
        elif s.heading is not None and s.heading != heading:
            section = next_section(section, s.heading)
        heading = s.heading
        out.append(SentenceInput(s.text, section, float(s.position)))
    return out


def load_dataset(
    shared: Path, labels: Path = LABELS, ngrams: bool = False, sections: str = SECTIONS_MODE
) -> Dataset:
    """The labelled sentences' features; with ``ngrams`` the runtime features are followed by
    ``ngram_features``; ``sections``: "all" or "nearest" (``document_inputs``)."""
    rows = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines() if x.strip()]
    by_key = {(r["doc"], r["sha"]): r for r in rows}
    settings = Settings()
    xs: list[npt.NDArray[np.float32]] = []
    ds = Dataset(np.zeros((0, 0), np.float32), np.zeros(0, np.int64), [], [], [], [], [], [], [])
    ys: list[int] = []
    for doc in extract.docs_of_labels(labels):
        sents = extract.sentences(doc, shared, settings)
        between = None
        if sections == "all":
            between = extract.headings_between(extract.cleaned_text(doc, shared, settings))
        inputs = document_inputs(sents, between)
        feats = feature_matrix(inputs, len(sents))
        if ngrams:
            feats = np.hstack([feats, ngram_features([s.text for s in sents])])
        seen: set[str] = set()
        for i, (s, inp) in enumerate(zip(sents, inputs, strict=True)):
            row = by_key.get((doc, s.sha))
            if row is None or s.sha in seen:
                continue
            seen.add(s.sha)
            xs.append(feats[i])
            ys.append(ROLES.index(row["label"]))
            ds.split.append(row["split"])
            ds.docs.append(doc)
            ds.texts.append(s.text)
            ds.sections.append(inp.section)
            ds.headings.append(s.heading)
            ds.kinds.append(row["kind"])
            ds.weak.append(bool(row.get("weak")))
    ds.x = np.vstack(xs).astype(np.float32)
    ds.y = np.asarray(ys, dtype=np.int64)
    return ds


def fit(
    x: npt.NDArray[np.float32],
    y: npt.NDArray[np.int64],
    c: float,
    balanced: float = 0.0,
    mechanism_weight: float = 1.0,
) -> RoleModel:
    """Class weights: the balanced weights raised to the power ``balanced`` (0: none, 1: fully
    balanced, 0.5: their square root), times ``mechanism_weight`` for mechanism. The runtime
    features are standardised; hashed n-gram columns after them (already scaled) are not."""
    from sklearn.linear_model import LogisticRegression

    mean = np.zeros(x.shape[1], dtype=np.float32)
    scale = np.ones(x.shape[1], dtype=np.float32)
    mean[:N_FEATURES] = x[:, :N_FEATURES].mean(axis=0)
    scale[:N_FEATURES] = x[:, :N_FEATURES].std(axis=0)
    scale[scale < 1e-6] = 1.0
    counts = np.bincount(y, minlength=len(ROLES)).astype(np.float64)
    weights = {
        k: (len(y) / (len(counts[counts > 0]) * counts[k])) ** balanced
        * (mechanism_weight if ROLES[k] == "mechanism" else 1.0)
        for k in range(len(ROLES))
        if counts[k] > 0
    }
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # Deterministic: one BLAS thread (a multi-threaded sum can change the last bits) and a fixed
    # solver and tolerance (scikit-learn's defaults, which the shipped model was fitted with),
    # so that `make train` rewrites the shipped file.
    clf = LogisticRegression(C=c, solver="lbfgs", tol=1e-4, max_iter=5000, class_weight=weights)
    with threadpool_limits(limits=1):
        clf.fit((x - mean) / scale, y)
    coef = np.zeros((x.shape[1], len(ROLES)), dtype=np.float32)
    intercept = np.full(len(ROLES), -30.0, dtype=np.float32)  # a role absent from training
    for j, cls in enumerate(clf.classes_):
        coef[:, cls] = clf.coef_[j]
        intercept[cls] = clf.intercept_[j]
    return RoleModel(mean, scale, coef, intercept, MODEL_VERSION)


def choose_c(
    ds: Dataset,
    train: npt.NDArray[np.bool_],
    grid: Sequence[float],
    fitter: Callable[..., RoleModel] = fit,
) -> float:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    x, y = ds.x[train], ds.y[train]
    groups = np.asarray(ds.docs)[train]
    best = (-1.0, grid[0])
    for c in grid:
        preds = np.zeros_like(y)
        for tr, va in GroupKFold(n_splits=5).split(x, y, groups):
            model = fitter(x[tr], y[tr], c)
            preds[va] = model.probabilities(x[va]).argmax(axis=1)
        fields = np.mean([field(int(a)) == field(int(b)) for a, b in zip(preds, y, strict=True)])
        score = float(fields)
        macro = float(f1_score(y, preds, average="macro"))
        print(
            f"  C={c:g}: grouped 5-fold field accuracy {score:.3f}, macro-F1 {macro:.3f}",
            file=sys.stderr,
        )
        best = max(best, (score, c))
    return best[1]


def field(role: int) -> str:
    return FIELD_OF.get(ROLES[role], "none")


def evaluate(model: RoleModel, ds: Dataset, mask: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """Per-class precision/recall/F1, role accuracy and field accuracy on ``mask``."""
    y = ds.y[mask]
    pred = model.probabilities(ds.x[mask]).argmax(axis=1)
    per_class: dict[str, dict[str, float]] = {}
    for k, role in enumerate(ROLES):
        tp = int(((pred == k) & (y == k)).sum())
        fp = int(((pred == k) & (y != k)).sum())
        fn = int(((pred != k) & (y == k)).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per_class[role] = {"precision": p, "recall": r, "f1": f, "support": int((y == k).sum())}
    fields_ok = [field(int(a)) == field(int(b)) for a, b in zip(pred, y, strict=True)]
    return {
        "n": int(mask.sum()),
        "accuracy": float((pred == y).mean()),
        "field_accuracy": float(np.mean(fields_ok)),
        "macro_f1": float(np.mean([v["f1"] for v in per_class.values()])),
        "per_class": per_class,
    }


def load_kinds(shared: Path, labels: Path) -> Dataset:
    """The labelled sentences of ``labels`` without features (``x`` is empty): enough for
    ``kind_accuracy``, fast, and without the embedding model or scikit-learn."""
    rows = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines() if x.strip()]
    by_key = {(r["doc"], r["sha"]): r for r in rows}
    settings = Settings()
    ds = Dataset(np.zeros((0, 0), np.float32), np.zeros(0, np.int64), [], [], [], [], [], [], [])
    ys: list[int] = []
    for doc in extract.docs_of_labels(labels):
        seen: set[str] = set()
        for s in extract.sentences(doc, shared, settings):
            row = by_key.get((doc, s.sha))
            if row is None or s.sha in seen:
                continue
            seen.add(s.sha)
            ys.append(ROLES.index(row["label"]))
            ds.split.append(row["split"])
            ds.docs.append(doc)
            ds.texts.append(s.text)
            ds.sections.append(NONE)
            ds.headings.append(s.heading)
            ds.kinds.append(row["kind"])
            ds.weak.append(bool(row.get("weak")))
    ds.y = np.asarray(ys, dtype=np.int64)
    return ds


def print_kinds(ds: Dataset, splits: Sequence[str]) -> None:
    """``--kinds-only``: kind accuracy and every confusion (gold->predicted) per split."""
    for split in splits:
        acc = kind_accuracy(ds, split, top=None)
        print(f"{split}: evidence-kind accuracy {acc['accuracy']:.3f} (n={acc['n']})")
        for key, count in acc["confusions"].items():
            print(f"  {key} {count}")


def kind_accuracy(ds: Dataset, split: str, top: int | None = 8) -> dict[str, Any]:
    """Accuracy of the runtime evidence-kind rules on labelled evidence sentences (``top``:
    how many of the commonest confusions to return; None: all)."""
    texts: dict[str, list[int]] = {}
    for i, doc in enumerate(ds.docs):
        texts.setdefault(doc, []).append(i)
    hits = total = 0
    confusions: dict[str, int] = {}
    for idx in texts.values():
        context = " ".join(ds.texts[i] for i in idx)
        evidence = [ds.texts[i] for i in idx if ROLES[ds.y[i]] == "evidence"]
        fallback = document_fallback(evidence, context)
        kind = document_kind(context)
        for j, i in enumerate(idx):
            if ds.split[i] != split or ROLES[ds.y[i]] != "evidence" or ds.weak[i]:
                continue
            # the sentences before it, nearest first, as the runtime passes them
            before = [ds.texts[k] for k in idx[max(j - CONTINUATION_REACH, 0) : j][::-1]]
            got = evidence_kind_of(ds.texts[i], ds.headings[i], kind, fallback, before).value
            total += 1
            hits += got == ds.kinds[i]
            if got != ds.kinds[i]:
                key = f"{ds.kinds[i]}->{got}"
                confusions[key] = confusions.get(key, 0) + 1
    commonest = dict(sorted(confusions.items(), key=lambda kv: -kv[1])[:top])
    return {"n": total, "accuracy": hits / total if total else 0.0, "confusions": commonest}


def labels_digest(labels: Path) -> str:
    return hashlib.sha256(labels.read_bytes()).hexdigest()


def retrain_shipped(shared: Path, metrics: Path = METRICS) -> tuple[RoleModel, RoleModel]:
    """(retrained, shipped): the shipped model's recipe (``metrics.json``) refitted on the
    committed labels, without cross-validation, and the model file in the package."""
    from litdigest.summarize.backends.extractive_roles import load_model

    recipe = json.loads(metrics.read_text(encoding="utf-8"))["recipe"]
    ds = load_dataset(
        shared,
        ROOT / recipe["labels"],
        ngrams=bool(recipe.get("ngrams", False)),
        sections=str(recipe.get("sections", "nearest")),
    )
    train = np.asarray(ds.split) == "train"
    model = fit(
        ds.x[train],
        ds.y[train],
        float(recipe["c"]),
        balanced=float(recipe["balanced"]),
        mechanism_weight=float(recipe["mechanism_weight"]),
    )
    return model, load_model(MODEL_PATH.read_bytes())


def check_shipped(shared: Path) -> int:
    """0 when ``make train`` reproduces the shipped model (allclose), 1 otherwise."""
    recipe = json.loads(METRICS.read_text(encoding="utf-8"))["recipe"]
    if recipe["labels_sha256"] != labels_digest(ROOT / recipe["labels"]):
        print(f"{recipe['labels']} changed since the shipped model was trained", file=sys.stderr)
        return 1
    new, old = retrain_shipped(shared)
    diffs = {k: float(np.abs(getattr(new, k) - getattr(old, k)).max()) for k in WEIGHTS}
    same = all(np.allclose(getattr(new, k), getattr(old, k), atol=1e-4) for k in WEIGHTS)
    print(f"{'ok' if same else 'DIFFERENT'}: max |retrained - shipped| {diffs}", file=sys.stderr)
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=extract.DEFAULT_SHARED)
    ap.add_argument(
        "--labels",
        type=Path,
        default=SHIPPED_LABELS,
        help="labels to train on (default: the shipped model's, labels-v3.jsonl)",
    )
    ap.add_argument("--c", type=float, help="L2 inverse strength (default: grouped CV)")
    ap.add_argument("--dry-run", action="store_true", help="do not write the model")
    ap.add_argument("--cache", type=Path, help="pickle of the features (reused when present)")
    ap.add_argument("--ngrams", action="store_true", help="experiment: + hashed n-grams")
    ap.add_argument(
        "--sections",
        choices=("nearest", "all"),
        default=SECTIONS_MODE,
        help=f"section from each sentence's nearest heading or from all headings ({SECTIONS_MODE})",
    )
    ap.add_argument(
        "--balanced",
        type=float,
        default=BALANCED,
        help=f"class weights = balanced weights ** this (0: none, 1: balanced; {BALANCED:g})",
    )
    ap.add_argument("--mechanism-weight", type=float, default=1.0, help="x mechanism's weight")
    ap.add_argument("--out", type=Path, help="write the model here instead of the package")
    ap.add_argument("--check", action="store_true", help="does a retrain reproduce the package?")
    ap.add_argument(
        "--kinds-only",
        nargs="*",
        metavar="SPLIT",
        help="no model: print the evidence-kind rules' accuracy and confusions on --labels, per "
        "split (default: train only; look at test once, at the end)",
    )
    args = ap.parse_args(argv)
    if not args.shared.is_dir():
        print(f"{args.shared} is absent; cannot train", file=sys.stderr)
        return 1
    if args.kinds_only is not None:
        print_kinds(load_kinds(args.shared, args.labels.resolve()), args.kinds_only or ["train"])
        return 0
    if args.check:
        return check_shipped(args.shared)
    if args.ngrams != RUNTIME_NGRAMS and not (args.dry_run or args.out):
        have = "computes" if RUNTIME_NGRAMS else "has no"
        print(f"the runtime {have} n-gram features: use --dry-run or --out", file=sys.stderr)
        return 2
    if args.cache and args.cache.is_file():
        ds = pickle.loads(args.cache.read_bytes())
    else:
        ds = load_dataset(args.shared, args.labels.resolve(), args.ngrams, args.sections)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(ds))
    split = np.asarray(ds.split)
    train, test = split == "train", split == "test"
    print(
        f"{len(ds.y)} labelled sentences: {train.sum()} train, {test.sum()} test", file=sys.stderr
    )
    fitter = partial(fit, balanced=args.balanced, mechanism_weight=args.mechanism_weight)
    c = args.c or choose_c(ds, train, C_GRID, fitter)
    model = fitter(ds.x[train], ds.y[train], c)
    metrics = {
        "version": MODEL_VERSION,
        "c": c,
        "recipe": {
            "c": c,
            "balanced": args.balanced,
            "mechanism_weight": args.mechanism_weight,
            "ngrams": args.ngrams,
            "sections": args.sections,
            "labels": args.labels.resolve().relative_to(ROOT).as_posix(),
            "labels_sha256": labels_digest(args.labels),
        },
        "train": evaluate(model, ds, train),
        "test": evaluate(model, ds, test),
        "evidence_kind": {"train": kind_accuracy(ds, "train"), "test": kind_accuracy(ds, "test")},
    }
    print(json.dumps(metrics, indent=1), file=sys.stderr)
    if args.out and not args.dry_run:
        save_model(str(args.out), model)
    elif not args.dry_run:
        MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
        save_model(str(MODEL_PATH), model)
        METRICS.write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
