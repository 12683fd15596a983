"""Benchmark of article text from real PDFs (../shared/corpus/pdf) against the publisher XML.

Ground truth (``truth/*.xml``, JATS or BMC's own format): title, abstract, body paragraphs
and section headings, figure/table captions. Not in it: tables, references, acknowledgements,
funding, competing interests, author contributions, supplementary material, referee reports.

Numbered citations are left out on both sides (the XML holds them as links, a PDF as "[1-4]").

Figures per PDF and per split (tuning: five PDFs; held out: hindawi_PMC4736379 and
plosone_0115884):

* F4: F1 of word 4-gram shingle multisets (``\\w+`` tokens after NFKC, case kept);
* word-bag F1: F1 of lower-case word multisets;
* intact sentences: share of ground-truth sentences (6+ words) found word for word, in order;
* margin lines left: share of the PDF's margin lines found word for word in the output (a
  margin line: text in the top or bottom 10% of a page, 3+ words, recurring on another page
  with only its digits changed);
* metadata (ours only): title, DOI, year and first author right;
* pages per second, in-process, from CPU time (this process and, for pdftotext, its child):
  the best of three runs, after one warm-up document (word lists load once per process).

Peers in the same run: pypdf raw, pypdfium2 raw and, when the binary is installed,
pdftotext (poppler) raw; and our cleaner fed pypdf's and pdftotext's text instead of
pypdfium2's (``LITDIGEST_PDF_BACKEND``). Run: ``.venv/bin/python -m bench.bench_pdf [--shared DIR]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from lxml import etree

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"
HELD_OUT = ("hindawi_PMC4736379", "plosone_0115884")
_WORD = re.compile(r"\w+")
_MARGIN = 0.10
_MIN_SENTENCE_WORDS = 6
_BACKEND_ENV = "LITDIGEST_PDF_BACKEND"


# --- ground truth ------------------------------------------------------------------------------


@dataclass
class Truth:
    title: str
    doi: str
    years: set[int]
    first_author: str
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p for p in self.parts if p.strip())


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


_FLOATS = ("table-wrap", "fig")


def _text_without(el: Any, skip: tuple[str, ...]) -> str:
    """Text of ``el`` without the text of descendants tagged ``skip`` (their tails stay)."""
    parts: list[str] = [el.text or ""]
    for child in el:
        if child.tag not in skip:
            parts.append(_text_without(child, skip))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


_SKIP_SEC = re.compile(
    r"acknowledg|funding|competing|conflicts? of interest|author(?:s['’])? contributions|"
    r"abbreviations|supplementary|supporting information|additional files?|declarations|"
    r"data availability|availability of",
    re.IGNORECASE,
)
_JATS_SKIP = frozenset(
    "table supplementary-material ref-list ack fn-group sub-article response graphic "
    "media alternatives object-id".split()
)


def _jats_body(el: Any, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _JATS_SKIP:
        return
    if tag == "sec":
        title = el.find("title")
        if title is not None and _SKIP_SEC.search(_text(title)):
            return
    if tag in ("p", "title", "label", "caption"):
        out.append(_text_without(el, _FLOATS))
        for child in el.iter(*_FLOATS):  # a figure or table set inside a paragraph
            if child is not el:
                _jats_body(child, out)
        return
    for child in el:
        _jats_body(child, out)


def _jats(root: Any) -> Truth:
    front = root.find("front")
    meta = front.find("article-meta")
    title = _text(meta.find(".//article-title"))
    doi = meta.findtext("article-id[@pub-id-type='doi']") or ""
    years = [y.text for y in meta.findall("pub-date/year") if y.text]
    surname = meta.findtext(".//contrib[@contrib-type='author']//surname") or ""
    parts = [title]
    for abstract in meta.findall("abstract"):
        if abstract.get("abstract-type") in (None, "summary", "executive-summary"):
            _jats_body(abstract, parts)
    body = root.find("body")
    if body is not None:
        _jats_body(body, parts)
    # Figure and table captions outside the body (some publishers float them into <back>).
    back = root.find("back")
    if back is not None:
        for wrap in back.iter("fig", "table-wrap"):
            _jats_body(wrap, parts)
    return Truth(title, doi.strip().lower(), {int(y) for y in years}, surname.strip(), parts)


def _bmc_body(el: Any, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("tblbdy", "tblfn", "suppl", "graphic", "bm"):
        return
    if tag == "sec":
        st = el.find("st")
        if st is not None and _SKIP_SEC.search(_text(st)):
            return
    if tag in ("p", "title", "caption"):
        out.append(_text(el))
        return
    for child in el:
        _bmc_body(child, out)


def _bmc(root: Any) -> Truth:
    fm = root.find("fm")
    title = _text(fm.find("bibl/title"))
    doi = root.findtext(".//xrefbib/pubidlist/pubid[@idtype='doi']") or ""
    year_text = fm.findtext("bibl/pubdate") or ""
    surname = fm.findtext("bibl/aug/au/snm") or ""
    parts = [title]
    abstract = fm.find("abs")
    if abstract is not None:
        _bmc_body(abstract, parts)
    body = root.find("bdy")
    if body is not None:
        _bmc_body(body, parts)
    year = {int(year_text[:4])} if year_text[:4].isdigit() else set()
    return Truth(title, doi.strip().lower(), year, surname.strip(), parts)


_NUMERIC_CITE = re.compile(r"[\d\s,–-]+")
# Numbered citations: "[1-4]", "[6,7]", "[2]–[4]" (the XML holds them as links, the PDF as
# text in brackets); both sides are scored without them.
_CITE_BRACKETS = re.compile(r"\[\s*[\d\s,;–-]*\]")


def _drop_numeric_citations(root: Any) -> None:
    for el in list(root.iter("xref", "abbrgrp")):
        if el.tag == "xref" and el.get("ref-type") != "bibr":
            continue
        if _NUMERIC_CITE.fullmatch("".join(el.itertext()) or " "):
            for child in list(el):
                el.remove(child)
            el.text = ""


def load_truth(path: Path) -> Truth:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    _drop_numeric_citations(root)
    return _bmc(root) if root.tag == "art" else _jats(root)


# --- scores ------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return _CITE_BRACKETS.sub(" ", unicodedata.normalize("NFKC", text))


def _f1(pred: Counter[Any], true: Counter[Any]) -> float:
    tp = sum((pred & true).values())
    if not tp:
        return 0.0
    p, r = tp / sum(pred.values()), tp / sum(true.values())
    return 2 * p * r / (p + r)


def f4(pred: str, true: str) -> float:
    def grams(text: str) -> Counter[tuple[str, ...]]:
        tokens = _WORD.findall(_norm(text))
        return Counter(tuple(tokens[i : i + 4]) for i in range(max(0, len(tokens) - 3)))

    return _f1(grams(pred), grams(true))


def word_f1(pred: str, true: str) -> float:
    return _f1(
        Counter(_WORD.findall(_norm(pred).lower())), Counter(_WORD.findall(_norm(true).lower()))
    )


def _flat(text: str) -> str:
    return " " + " ".join(_WORD.findall(_norm(text).lower())) + " "


_SENT = re.compile(r"(?<=[a-z0-9)\]][.!?])\s+(?=[A-Z])")


def intact_sentences(pred: str, truth_parts: Iterable[str]) -> float:
    flat = _flat(pred)
    total = found = 0
    for part in truth_parts:
        for sentence in _SENT.split(part):
            words = _flat(sentence)
            if len(words.split()) < _MIN_SENTENCE_WORDS:
                continue
            total += 1
            found += words in flat
    return found / total if total else 1.0


def margin_lines(data: bytes) -> list[str]:
    """Text in the top and bottom margins of each page (pypdfium2 text rectangles)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    found: list[tuple[int, str]] = []
    try:
        for number, page in enumerate(pdf):
            height = page.get_height()
            textpage = page.get_textpage()
            for i in range(textpage.count_rects()):
                left, bottom, right, top = textpage.get_rect(i)
                if bottom > (1 - _MARGIN) * height or top < _MARGIN * height:
                    text = textpage.get_text_bounded(left, bottom, right, top)
                    if len(_WORD.findall(text)) >= 3:
                        found.append((number, " ".join(text.split())))
    finally:
        pdf.close()
    pages: dict[str, set[int]] = {}
    for number, text in found:
        pages.setdefault(re.sub(r"\d+", "#", text.lower()), set()).add(number)
    return [t for _, t in found if len(pages[re.sub(r"\d+", "#", t.lower())]) >= 2]


def margin_left(pred: str, lines: list[str]) -> float | None:
    if not lines:
        return None
    flat = _flat(pred)
    return sum(_flat(line) in flat for line in lines) / len(lines)


def _same_title(ours: str | None, truth: str) -> bool:
    if not ours:
        return False
    a, b = _flat(ours).strip(), _flat(truth).strip()
    return a == b or SequenceMatcher(None, a, b).ratio() >= 0.95


def _same_author(ours: list[str], surname: str) -> bool:
    if not ours or not surname:
        return False

    def fold(s: str) -> str:
        return "".join(
            c for c in unicodedata.normalize("NFKD", s.casefold()) if not unicodedata.combining(c)
        )

    return fold(surname) in fold(ours[0])


# --- systems -----------------------------------------------------------------------------------


@dataclass
class Output:
    text: str
    seconds: float
    pages: int
    title: str | None = None
    doi: str | None = None
    year: int | None = None
    authors: list[str] = field(default_factory=list)


def _cpu() -> float:
    """CPU seconds of this process and its finished children: unlike wall time, not inflated
    when other jobs share the machine."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


def ours(data: bytes, name: str) -> Output:
    from litdigest.clean import clean_record
    from litdigest.ingest import read_bytes

    start = _cpu()
    (record,) = read_bytes(data, f"{name}.pdf")
    doc = clean_record(record)
    seconds = _cpu() - start
    m = doc.metadata
    return Output(doc.text, seconds, _page_count(data), m.title, m.doi, m.year, m.authors)


def _ours_with(backend: str) -> Callable[[bytes, str], Output]:
    """Our cleaner fed another extractor's text (LITDIGEST_PDF_BACKEND)."""

    def system(data: bytes, name: str) -> Output:
        before = os.environ.get(_BACKEND_ENV)
        os.environ[_BACKEND_ENV] = backend
        try:
            return ours(data, name)
        finally:
            if before is None:
                del os.environ[_BACKEND_ENV]
            else:
                os.environ[_BACKEND_ENV] = before

    return system


def pypdf_raw(data: bytes, name: str) -> Output:
    from pypdf import PdfReader

    start = _cpu()
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return Output(text, _cpu() - start, len(reader.pages))


def pdfium_raw(data: bytes, name: str) -> Output:
    import pypdfium2 as pdfium

    start = _cpu()
    pdf = pdfium.PdfDocument(data)
    texts = [page.get_textpage().get_text_range() for page in pdf]
    n = len(pdf)
    pdf.close()
    return Output("\n".join(texts), _cpu() - start, n)


def pdftotext_raw(data: bytes, name: str) -> Output:
    start = _cpu()
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    text = done.stdout.decode("utf-8", errors="replace")
    return Output(text, _cpu() - start, text.count("\f") or 1)


# --- the run -----------------------------------------------------------------------------------


def _row(out: Output, truth: Truth, margins: list[str], with_meta: bool) -> dict[str, Any]:
    left = margin_left(out.text, margins)
    row: dict[str, Any] = {
        "f4": round(f4(out.text, truth.text), 4),
        "word_f1": round(word_f1(out.text, truth.text), 4),
        "intact": round(intact_sentences(out.text, truth.parts), 4),
        "margin_left": None if left is None else round(left, 4),
        "s_per_page": round(out.seconds / max(1, out.pages), 5),
        "pages": out.pages,
    }
    if with_meta:
        row.update(
            title_ok=_same_title(out.title, truth.title),
            doi_ok=(out.doi or "") == truth.doi,
            year_ok=out.year in truth.years,
            author_ok=_same_author(out.authors, truth.first_author),
            title=out.title,
            doi=out.doi,
            year=out.year,
            first_author=out.authors[0] if out.authors else None,
        )
    return row


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    values = [float(r[key]) for r in rows if r[key] is not None]
    return round(sum(values) / len(values), 4) if values else 0.0


def _split_figures(rows: dict[str, dict[str, Any]], names: list[str]) -> dict[str, Any]:
    chosen = [rows[n] for n in names if n in rows]
    fig: dict[str, Any] = {k: _mean(chosen, k) for k in ("f4", "word_f1", "intact", "margin_left")}
    pages = sum(int(r["pages"]) for r in chosen)
    seconds = sum(float(r["s_per_page"]) * int(r["pages"]) for r in chosen)
    fig["pages_per_s"] = round(pages / seconds, 1) if seconds else 0.0
    if chosen and "title_ok" in chosen[0]:
        for k in ("title_ok", "doi_ok", "year_ok", "author_ok"):
            fig[k] = f"{sum(bool(r[k]) for r in chosen)}/{len(chosen)}"
    return fig


_REPEATS = 3


def _best_of(
    fn: Callable[[bytes, str], Output], data: bytes, name: str, repeats: int = _REPEATS
) -> Output:
    """The output of ``fn`` with its fastest time of a few runs (the machine may be busy)."""
    runs = [fn(data, name) for _ in range(repeats)]
    best = min(runs, key=lambda o: o.seconds)
    return best


def systems() -> dict[str, Callable[[bytes, str], Output]]:
    found: dict[str, Callable[[bytes, str], Output]] = {
        "litdigest": ours,
        "litdigest on pypdf text": _ours_with("pypdf"),
        "pypdf raw": pypdf_raw,
        "pypdfium2 raw": pdfium_raw,
    }
    if shutil.which("pdftotext"):
        found["litdigest on pdftotext text"] = _ours_with("pdftotext")
        found["pdftotext raw"] = pdftotext_raw
    return found


def run(shared: Path = DEFAULT_SHARED, repeats: int = _REPEATS) -> dict[str, Any]:
    root = shared / "corpus" / "pdf"
    if not root.is_dir():
        return {"skipped": f"{root} not found"}
    names = sorted(
        p.stem for p in root.glob("*.pdf") if (root / "truth" / f"{p.stem}.xml").exists()
    )
    tuning = [n for n in names if n not in HELD_OUT]
    held = [n for n in names if n in HELD_OUT]
    per_system: dict[str, dict[str, dict[str, Any]]] = {}
    # Warm-up: word lists and regexes load once per process; pages/s is the steady rate.
    for fn in systems().values():
        fn((root / f"{names[0]}.pdf").read_bytes(), names[0])
    for name in names:
        data = (root / f"{name}.pdf").read_bytes()
        truth = load_truth(root / "truth" / f"{name}.xml")
        margins = margin_lines(data)
        for system, fn in systems().items():
            out = _best_of(fn, data, name, repeats)
            per_system.setdefault(system, {})[name] = _row(
                out, truth, margins, system.startswith("litdigest")
            )
    table = []
    for system, rows in per_system.items():
        table.append(
            {
                "system": system,
                "all": _split_figures(rows, names),
                "tuning": _split_figures(rows, tuning),
                "held_out": _split_figures(rows, held),
            }
        )
    return {"documents": names, "held_out": held, "table": table, "per_pdf": per_system}


def markdown(result: dict[str, Any]) -> list[str]:
    """The "Real PDFs" section of bench/RESULTS.md."""
    if "skipped" in result:
        return ["## 7. Real PDFs", "", f"skipped: {result['skipped']}", ""]
    n = len(result["documents"])
    lines = [
        f"## 7. Real PDFs ({n} open-access articles, scored against the publisher XML)",
        "",
        "| system | split | F4 | word F1 | intact sentences | margin lines left | pages/s | "
        "title | DOI | year | first author |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in result["table"]:
        for split in ("all", "tuning", "held_out"):
            f = row[split]
            lines.append(
                f"| {row['system']} | {split} | **{f['f4']:.3f}** | {f['word_f1']:.3f} | "
                f"{f['intact']:.0%} | {f['margin_left']:.0%} | {f['pages_per_s']:.0f} | "
                f"{f.get('title_ok', '—')} | {f.get('doi_ok', '—')} | {f.get('year_ok', '—')} | "
                f"{f.get('author_ok', '—')} |"
            )
    lines += ["", "| PDF | " + " | ".join(r["system"] for r in result["table"]) + " |"]
    lines.append("| --- |" + " --- |" * len(result["table"]))
    for name in result["documents"]:
        cells = [f"{result['per_pdf'][r['system']][name]['f4']:.3f}" for r in result["table"]]
        mark = " (held out)" if name in result["held_out"] else ""
        lines.append(f"| {name}{mark} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "- F4 per PDF above; goal F4 ≥ 0.90, title ≥ 6/7, DOI 7/7, ≥ 20 pages/s in-process.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = run(args.shared)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print("\n".join(markdown(result)))
    if "per_pdf" in result:
        for name, row in result["per_pdf"]["litdigest"].items():
            print(name, json.dumps(row, ensure_ascii=False), file=sys.stderr)


if __name__ == "__main__":
    main()
