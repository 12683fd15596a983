"""Summarise the golden sets: cases, held-out split, key points per case, copied share.

A key point counts as *copied* when more than half of its content words (lowercase
alphabetic tokens outside a small stop list, British/American spellings folded) appear in
order, as a subsequence, within one sentence of its source document. Source text: the
file (or its ``line``/``record``) for text files; tags stripped for XML, NXML and HTML;
for a PDF, the publisher XML in ``truth/`` beside it (or a ``*-text.txt`` sibling).

Usage: ``python evals/check_golden.py [-v] [GOLDEN.yaml ...]`` (default: evals/golden/*.yaml);
``-v`` also shows the content words of the source sentence each copied key point matches.
Exit status 1 when a set breaks a rule (3-8 key points per case, copied share < 25%, a
``must_not_include`` string absent from the raw file).
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIELDS = ("mechanism", "evidence", "therapeutic_implication")
MAX_COPIED_SHARE = 0.25
STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    itself just may me might more most much must my no nor not of off on once only or other
    our out over own same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your""".split()
)
_TOKEN = re.compile(r"[a-z]+")
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(
    r"</(p|title|AbstractText|ArticleTitle|td|th|li|h\d|ref|mixed-citation|element-citation"
    r"|citation|article-title|caption|label|bibl|source)>"
)
# Sentence ends, blank lines, and MEDLINE/RIS field tags; single line breaks (hard-wrapped
# text) do not end a sentence.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=[A-Z][A-Z0-9]{1,3} *- )"
)


def fold(word: str) -> str:
    """Fold common British spellings so both sides compare alike (tumour/tumor...)."""
    word = word.replace("ae", "e").replace("oe", "e").replace("isation", "ization")
    word = re.sub(r"is(e|ed|es|ing)$", r"iz\1", word)
    return re.sub(r"(?<=..)our(s|al|ed|ing)?$", r"or\1", word)


def content_words(text: str) -> list[str]:
    return [fold(t) for t in _TOKEN.findall(text.lower()) if t not in STOP and len(t) > 1]


def _record_text(raw: str, suffix: str, record: int) -> str:
    if suffix == ".txt":  # MEDLINE: records separated by blank lines before "PMID-"
        parts = [p for p in re.split(r"\n\s*\n(?=PMID-)", raw) if p.strip()]
    elif "<PubmedArticle" in raw:
        parts = re.findall(r"<PubmedArticle>.*?</PubmedArticle>", raw, re.S)
    elif suffix == ".bib":
        parts = [p for p in re.split(r"\n(?=@)", raw) if p.strip().startswith("@")]
    elif suffix == ".ris":
        parts = [p for p in re.split(r"\nER\s+-.*", raw) if "TY  -" in p]
    else:
        parts = [raw]
    return parts[record - 1] if record <= len(parts) else ""


def source_text(doc: Path, line: int | None, record: int | None) -> str | None:
    """Plain text of a case's source, or None when it cannot be read here."""
    if doc.suffix == ".pdf":
        for alt in (doc.parent / "truth" / f"{doc.stem}.xml", doc.parent / "pdf-text.txt"):
            if alt.exists():
                doc = alt
                break
        else:
            return None
    if not doc.exists():
        return None
    raw = doc.read_text(encoding="utf-8", errors="replace")
    if line is not None:
        lines = raw.splitlines()
        raw = lines[line - 1] if line <= len(lines) else ""
    if record is not None:
        raw = _record_text(raw, doc.suffix, record)
    if doc.suffix == ".bib":  # one field per line: end each field as a sentence
        raw = re.sub(r"\},?[ \t]*\n", ".\n\n", raw)
    if doc.suffix in {".txt", ".md"} and "\n      " in raw:  # MEDLINE continuation lines
        raw = re.sub(r"\n {6}", " ", raw)
    if doc.suffix in {".xml", ".nxml", ".html", ".htm"}:
        raw = re.sub(_BLOCK_END, "\n\n", raw)
        raw = html.unescape(_TAG.sub(" ", raw))
    return raw


def sentences(text: str) -> list[list[str]]:
    return [ws for s in _SENTENCE_END.split(text) if (ws := content_words(s))]


def lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def copied_from(key_point: str, sents: list[list[str]]) -> list[str] | None:
    """The first source sentence holding over half the key point's content words in order."""
    words = content_words(key_point)
    need = len(words) / 2
    for sent in sents:
        vocab = set(sent)
        if sum(1 for w in words if w in vocab) > need and lcs(words, sent) > need:
            return sent
    return None


@dataclass
class SetStats:
    name: str
    cases: int = 0
    heldout: int = 0
    kp_min: int = 99
    kp_max: int = 0
    key_points: int = 0
    checked: int = 0
    copied: int = 0
    unreadable: int = 0
    skipped: int = 0


def _present(needle: str, raw: str) -> bool:
    """Whether a must_not_include string is in the raw file (whitespace and emphasis aside)."""
    flat = " ".join(raw.split())
    return " ".join(needle.split()) in flat or needle in re.sub(r"[*_`]", "", flat)


def _check_case(
    case: dict[str, Any], base: Path, stats: SetStats, problems: list[str], explain: bool
) -> None:
    cid = case["id"]
    expected = case.get("expected") or {}
    kps = [kp for f in FIELDS for kp in (expected.get(f) or [])]
    stats.cases += 1
    stats.heldout += case.get("split") == "heldout"
    stats.kp_min, stats.kp_max = min(stats.kp_min, len(kps)), max(stats.kp_max, len(kps))
    stats.key_points += len(kps)
    if not 3 <= len(kps) <= 8:
        problems.append(f"{cid}: {len(kps)} key points (want 3-8)")
    doc = (base / case["document"]).resolve()
    if not doc.exists():
        stats.skipped += 1
        return
    raw = doc.read_text(encoding="utf-8", errors="replace") if doc.suffix != ".pdf" else None
    for s in case.get("must_not_include") or []:
        if raw is not None and not _present(s, raw):
            problems.append(f"{cid}: must_not_include {s!r} not in {doc.name}")
    text = source_text(doc, case.get("line"), case.get("record"))
    if text is None:
        stats.unreadable += 1
        return
    sents = sentences(text)
    for kp in kps:
        stats.checked += 1
        sent = copied_from(kp, sents)
        if sent is not None:
            stats.copied += 1
            problems.append(f"{cid}: copied: {kp}")
            if explain:
                problems.append(f"    source words: {' '.join(sent)[:200]}")


def check_set(path: Path, explain: bool = False) -> tuple[SetStats, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    stats = SetStats(name=str(data.get("name") or path.stem))
    problems: list[str] = []
    for case in data.get("cases") or []:
        _check_case(case, path.parent, stats, problems, explain)
    if stats.checked and stats.copied / stats.checked >= MAX_COPIED_SHARE:
        problems.append(f"copied share {stats.copied / stats.checked:.0%} >= 25%")
    return stats, problems


def main(argv: list[str]) -> int:
    explain = "-v" in argv
    paths = [Path(a) for a in argv if a != "-v"] or sorted(
        (Path(__file__).parent / "golden").glob("*.yaml")
    )
    header = "| set | cases | held out | key points/case | key points | copied | skipped |"
    print(header + "\n|" + " --- |" * 7)
    failed = False
    notes: list[str] = []
    total = 0
    for path in paths:
        st, problems = check_set(path, explain)
        total += st.cases
        share = f"{st.copied}/{st.checked} = {st.copied / st.checked:.0%}" if st.checked else "-"
        skipped = f"{st.skipped} absent, {st.unreadable} unreadable"
        print(
            f"| {st.name} | {st.cases} | {st.heldout} | {st.kp_min}-{st.kp_max} "
            f"| {st.key_points} | {share} | {skipped} |"
        )
        failed = failed or any(": copied: " not in p and not p.startswith(" ") for p in problems)
        notes += [f"{st.name}: {p}" for p in problems]
    print(f"\ntotal cases: {total}")
    for note in notes:
        print(note)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
