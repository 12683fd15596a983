"""Deterministic sentences of ../shared documents, keyed for the labels in training/labels.jsonl.

Each document is read with litdigest's own ingest and clean, then split into paragraphs (lines)
and sentences (``litdigest.chunk.sentence_spans``). Short lines without final punctuation are
headings: they are not sentences, but each sentence records the nearest preceding one. An
inline abstract label ("RESULTS: ...") is a heading too and is cut from its sentence. Nothing
is filtered out (captions, funding and statistics lines are kept: they are the ``other`` class).

Keys: ``doc`` is the path relative to ../shared, with ``#record=N`` (1-based record of a
multi-record file) or ``#line=N`` (1-based line of a one-document-per-line file); ``sha`` is the
first 12 hex digits of the sha1 of the whitespace-collapsed, lower-cased sentence.

Usage::

    PYTHONPATH=src python training/extract.py --from-labels training/labels.jsonl > /tmp/s.jsonl
    PYTHONPATH=src python training/extract.py corpus/pmc/pntd.0002065.nxml seeds/000_....txt
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from litdigest.chunk.chunker import sentence_spans
from litdigest.clean import clean_record
from litdigest.config import Settings
from litdigest.ingest import read_bytes, read_file

ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_SHARED: Final = ROOT.parent / "shared"
GOLDEN_DIR: Final = ROOT / "evals" / "golden"
COCHRANE: Final = "corpus/cochrane/test.source"

# Held-out documents (notes/HELPERS.md): never in training data. Cochrane lines used by any
# golden set are added at run time from evals/golden/*.yaml.
HELD_OUT: Final = frozenset(
    {
        "seeds/001_462c940776106215.txt",
        "seeds/003_2fad74b5604542e7.txt",
        "corpus/pmc/6605965a.nxml",
        "corpus/pmc/mds526.nxml",
        "corpus/pmc/pone.0046493.nxml",
        "corpus/pdf/truth/hindawi_PMC4736379.xml",
        "corpus/pdf/truth/plosone_0115884.xml",
        "corpus/pubmed/pubmed2.xml",
        "corpus/pubmed/pubmed6.xml",
    }
)

# Weak labels from structured-abstract headings (issue 13): label prefix -> role.
WEAK_ROLES: Final = (
    ("RESULT", "evidence"),
    ("FINDING", "evidence"),
    ("CONCLUSION", "implication"),
    ("INTERPRETATION", "implication"),
    ("METHOD", "methods"),
    ("DESIGN", "methods"),
    ("BACKGROUND", "background"),
    ("INTRODUCTION", "background"),
)

_HEADING_MAX_WORDS: Final = 14
_CLOSERS: Final = "\"'”’)]"
_CAPTION_RE: Final = re.compile(
    r"^(?:Fig(?:ure)?s?\.?|Table|Box|Supplementary|Extended Data|Scheme)\s*[A-Z]?\d*[A-Za-z]?\s*"
    r"[:.|—–-]"
)
_INLINE_LABEL_RE: Final = re.compile(r"^(?P<label>[A-Z][A-Z /&-]{2,40}):\s+")
# A heading starts with a capital letter, optionally after a section number ("2.1 Methods");
# citation debris left by the PDF truth XML ("[28]", ", as well as ...", "0.304") does not.
_HEADING_START_RE: Final = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?[A-Z]")
_GOLDEN_LINE_RE: Final = re.compile(r"^\s*(?:reference_)?line:\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Sentence:
    doc: str
    sha: str
    index: int  # document order, 0-based
    position: float  # index / (n - 1): 0.0 first sentence, 1.0 last
    heading: str | None
    text: str


def sentence_sha(text: str) -> str:
    """First 12 hex digits of sha1 of the whitespace-collapsed, lower-cased sentence."""
    norm = " ".join(text.split()).lower()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:12]


def weak_role(heading: str | None) -> str | None:
    """Role implied by a structured-abstract label, or None."""
    if heading is None or not heading.isupper():
        return None
    for prefix, role in WEAK_ROLES:
        if heading.startswith(prefix):
            return role
    return None


def golden_cochrane_lines(golden_dir: Path = GOLDEN_DIR) -> frozenset[int]:
    """Every Cochrane line referenced by any golden set (all must stay out of training)."""
    lines: set[int] = set()
    for path in sorted(golden_dir.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "cochrane" in text:
            lines.update(int(n) for n in _GOLDEN_LINE_RE.findall(text))
    return frozenset(lines)


def is_held_out(doc: str, golden_lines: frozenset[int]) -> bool:
    path, _, frag = doc.partition("#")
    if path in HELD_OUT:
        return True
    return path == COCHRANE and frag.startswith("line=") and int(frag[5:]) in golden_lines


def cleaned_text(doc: str, shared: Path, settings: Settings) -> str:
    """Cleaned article text of one document key, as litdigest's ingest + clean produce it."""
    path_part, _, frag = doc.partition("#")
    path = shared / path_part
    if frag.startswith("line="):
        line_no = int(frag[5:])
        line = path.read_text(encoding="utf-8").splitlines()[line_no - 1]
        records = read_bytes(line.encode("utf-8"), f"{path}:{line_no}", settings=settings.ingest)
    else:
        records = read_file(path, settings.ingest)
    n = int(frag[7:]) if frag.startswith("record=") else 1
    return clean_record(records[n - 1], settings.clean).text


def _is_heading(line: str) -> bool:
    if _CAPTION_RE.match(line) or not _HEADING_START_RE.match(line):
        return False
    n_words = len(line.split())
    return n_words <= _HEADING_MAX_WORDS and line.rstrip(_CLOSERS)[-1:] not in (".", "!", "?")


def split_sentences(text: str) -> Iterator[tuple[str | None, str]]:
    """(nearest preceding heading, sentence) pairs of a cleaned text, in order."""
    heading: str | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if _is_heading(line):
            heading = line
            continue
        m = _INLINE_LABEL_RE.match(line)
        if m:
            heading = m.group("label").strip()
            line = line[m.end() :]
        for a, b in sentence_spans(line):
            yield heading, line[a:b]


def headings_between(text: str) -> list[tuple[str, ...]]:
    """Per sentence of ``split_sentences(text)``, every heading and inline label met since the
    previous sentence, in order (a section heading directly followed by a subsection heading is
    not any sentence's nearest heading, but the runtime's section tracker sees it)."""
    out: list[tuple[str, ...]] = []
    pending: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if _is_heading(line):
            pending.append(line)
            continue
        m = _INLINE_LABEL_RE.match(line)
        if m:
            pending.append(m.group("label").strip())
            line = line[m.end() :]
        for _ in sentence_spans(line):
            out.append(tuple(pending))
            pending = []
    return out


def sentences(doc: str, shared: Path, settings: Settings) -> list[Sentence]:
    pairs = list(split_sentences(cleaned_text(doc, shared, settings)))
    last = max(len(pairs) - 1, 1)
    return [
        Sentence(doc, sentence_sha(t), i, round(i / last, 4), h, t)
        for i, (h, t) in enumerate(pairs)
    ]


def docs_of_labels(path: Path) -> list[str]:
    """Document keys of a labels file, in first-seen order."""
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                seen.setdefault(json.loads(line)["doc"], None)
    return list(seen)


ROLES: Final = ("mechanism", "evidence", "implication", "background", "methods", "meta", "other")
KINDS: Final = (
    "animal_model",
    "patient_cohort",
    "clinical_trial",
    "in_vitro",
    "meta_analysis",
    "review",
    "unspecified",
)


def check_labels(path: Path, shared: Path) -> list[str]:
    """Problems of a labels file: unknown role/kind, held-out document, key not re-extracted."""
    problems: list[str] = []
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    golden = golden_cochrane_lines()
    keys = {(s.doc, s.sha) for s in extract(docs_of_labels(path), shared, allow_held_out=True)}
    seen: set[tuple[str, str]] = set()
    for n, row in enumerate(rows, 1):
        key = (row["doc"], row["sha"])
        kind_ok = row["kind"] in KINDS if row["label"] == "evidence" else row["kind"] is None
        if row["label"] not in ROLES or not kind_ok:
            problems.append(f"line {n}: bad label/kind {row['label']}/{row['kind']}")
        if "text" in row:
            problems.append(f"line {n}: sentence text must not be stored")
        if is_held_out(row["doc"], golden):
            problems.append(f"line {n}: {row['doc']} is held out")
        if key not in keys:
            problems.append(f"line {n}: {key} not found by re-extraction")
        if key in seen:
            problems.append(f"line {n}: duplicate key {key}")
        seen.add(key)
    return problems


def extract(
    docs: Iterable[str], shared: Path, *, allow_held_out: bool = False
) -> Iterator[Sentence]:
    settings = Settings()
    golden = golden_cochrane_lines()
    for doc in docs:
        if not allow_held_out and is_held_out(doc, golden):
            raise SystemExit(f"{doc} is held out; refusing (use --allow-held-out to read it)")
        yield from sentences(doc, shared, settings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("docs", nargs="*", help="document keys (path relative to ../shared[#...])")
    ap.add_argument("--from-labels", type=Path, help="extract every document of a labels file")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--allow-held-out", action="store_true")
    ap.add_argument("--check", type=Path, help="validate a labels file against re-extraction")
    args = ap.parse_args(argv)
    docs = list(args.docs)
    if args.from_labels:
        docs += docs_of_labels(args.from_labels)
    if not args.shared.is_dir():
        print(f"{args.shared} is absent; nothing to extract", file=sys.stderr)
        return 1
    if args.check:
        problems = check_labels(args.check, args.shared)
        print("\n".join(problems) or f"{args.check}: ok", file=sys.stderr)
        return 1 if problems else 0
    for s in extract(docs, args.shared, allow_held_out=args.allow_held_out):
        print(json.dumps(asdict(s), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
