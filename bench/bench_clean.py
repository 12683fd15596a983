"""Benchmark of boilerplate cleaning on the article-extraction corpus (../shared/corpus/extraction).

Two paths are scored with the benchmark's own metric (see ``extraction_score``):

(a) HTML path: ``read_html`` + ``clean_text`` on each page, beside plain ``trafilatura.extract``
    (default options, and the options ``read_html`` uses). Ours is also scored "body only", without
    the title line that our contract puts first and the ground truth leaves out.
(b) Text path, the situation of pages copied from a browser: each page is rendered to plain text
    with ``html_text.extract_text(html, guess_layout=True)`` (block elements become line breaks and
    paragraphs blank lines, much like a browser's select-all copy), then cleaned with
    ``clean_text(text, CleanMode.SCRAPED)``. Baselines: the rendered text unchanged ("keep all") and
    trafilatura fed the same text (each blank-line block wrapped in a ``<p>``).

Pages are split by the parity of their hex id into a tuning half (even) and a held-out half (odd).

Run: ``.venv/bin/python -m bench.bench_clean [--shared DIR] [--worst N]``; prints JSON figures.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import html_text
import trafilatura

from bench.extraction_score import PageScore, score_page, summarize
from litdigest.clean import clean_text
from litdigest.clean.boilerplate import strip_boilerplate
from litdigest.documents import CleanMode
from litdigest.errors import InputError
from litdigest.ingest.html import EXTRACT_OPTIONS, decode_html, read_html

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def load_corpus(shared: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    root = shared / "corpus" / "extraction"
    truth_raw = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    truth = {k: v.get("articleBody", "") for k, v in truth_raw.items()}
    pages = {k: gzip.decompress((root / "html" / f"{k}.html.gz").read_bytes()) for k in truth}
    return pages, truth


def render_text(page: str) -> str:
    """Plain text as a browser copy would give it."""
    return str(html_text.extract_text(page, guess_layout=True))


def text_as_html(text: str) -> str:
    blocks = [b for b in text.split("\n\n") if b.strip()]
    body = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in b.splitlines()) + "</p>\n" for b in blocks
    )
    return f"<html><body>{body}</body></html>"


def ours_html_with_title(data: bytes) -> tuple[str, str | None]:
    try:
        record = read_html(data, "page")[0]
    except InputError:
        return "", None
    return clean_text(record.text, record.clean_mode)[0], record.metadata.title


def ours_html(data: bytes) -> str:
    return ours_html_with_title(data)[0]


def body_only(text: str, title: str | None) -> str:
    """``text`` without its first line when that line is the extracted title.

    The benchmark's articleBody excludes titles, while our contract puts the title first.
    """
    first, _, rest = text.partition("\n")
    return rest.lstrip("\n") if title and first.strip() == title.strip() else text


def ours_text(text: str) -> str:
    return clean_text(text, CleanMode.SCRAPED)[0]


def _split(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    keys = list(keys)
    return [k for k in keys if int(k, 16) % 2 == 0], [k for k in keys if int(k, 16) % 2 == 1]


def _figures(scores: Mapping[str, PageScore]) -> dict[str, Any]:
    even, odd = _split(scores)
    return {
        "all": summarize(scores.values()).as_dict(),
        "even(tune)": summarize(scores[k] for k in even).as_dict(),
        "odd(held-out)": summarize(scores[k] for k in odd).as_dict(),
    }


def _score(outputs: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, PageScore]:
    return {k: score_page(outputs.get(k, ""), t) for k, t in truth.items()}


def _timed(inputs: Mapping[str, Any], fn: Callable[[Any], Any]) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    outputs = {k: fn(v) for k, v in inputs.items()}
    return outputs, time.perf_counter() - start


HTML_GOAL = "≥ 0.95 and ≥ trafilatura.extract (default)"
TEXT_GOAL = "≥ 0.90; held-out half not below the previous version (0.904)"

# (path, row label, key in the systems dict, goal)
_ROWS = [
    ("html", "ours: read_html + clean_text (title first line)", "a/ours", HTML_GOAL),
    ("html", "ours, body only (title line removed, as the ground truth)", "a/ours-body", ""),
    ("html", "trafilatura.extract, default options", "a/trafilatura", "baseline"),
    (
        "html",
        "trafilatura.extract, our options (EXTRACT_OPTIONS)",
        "a/trafilatura-ours",
        "baseline",
    ),
    ("text", "ours: clean_text(text, SCRAPED)", "b/ours", TEXT_GOAL),
    ("text", "keep all text", "b/keep-all", "baseline"),
    ("text", "trafilatura on the same text", "b/trafilatura-on-text", "baseline"),
]


def run(shared: Path = DEFAULT_SHARED, worst: int = 0) -> dict[str, Any]:
    """Score every system; with ``worst`` > 0, print that many worst pages per path to stderr.

    Returns ``{"table": [...], "notes": [...], "systems": {...}, "throughput_docs_per_s": {...}}``
    as bench/run.py renders it.
    """
    pages, truth = load_corpus(shared)
    decoded = {k: decode_html(v) for k, v in pages.items()}
    rendered = {k: render_text(v) for k, v in decoded.items()}

    systems: dict[str, dict[str, Any]] = {}
    scores: dict[str, dict[str, PageScore]] = {}
    outputs: dict[str, dict[str, str]] = {}

    def record(name: str, out: Mapping[str, str], seconds: float | None) -> None:
        outputs[name] = dict(out)
        scores[name] = _score(out, truth)
        systems[name] = _figures(scores[name])
        if seconds is not None:
            systems[name]["seconds"] = round(seconds, 2)

    pairs, secs = _timed(pages, ours_html_with_title)
    record("a/ours", {k: t for k, (t, _) in pairs.items()}, secs)
    record("a/ours-body", {k: body_only(t, title) for k, (t, title) in pairs.items()}, None)
    out, secs = _timed(decoded, lambda p: trafilatura.extract(p) or "")
    record("a/trafilatura", out, secs)
    out, secs = _timed(decoded, lambda p: trafilatura.extract(p, **EXTRACT_OPTIONS) or "")
    record("a/trafilatura-ours", out, secs)
    out, secs = _timed(rendered, ours_text)
    record("b/ours", out, secs)
    record("b/keep-all", rendered, None)
    out, secs = _timed(rendered, lambda t: trafilatura.extract(text_as_html(t)) or "")
    record("b/trafilatura-on-text", out, secs)
    if worst:
        for name in ("a/ours", "b/ours"):
            _print_worst(name, scores[name], outputs[name], truth, worst)

    table = [
        {"path": path, "system": label, **_row_figures(systems[key]["all"]), "goal": goal}
        for path, label, key, goal in _ROWS
    ]
    even, odd = _split(truth)
    notes = [
        f"{len(truth)} pages; metric = mean per-page precision and recall of 4-gram shingles "
        "(the benchmark's evaluate.py), F1 of the means. Options and rules were tuned on the "
        f"even-hex-id half ({len(even)} pages); the odd half ({len(odd)} pages) is held out.",
        "Held-out split, F1 even (tuning) / odd (held-out): "
        + "; ".join(
            f"{key} {systems[key]['even(tune)']['f1']:.3f} / {systems[key]['odd(held-out)']['f1']:.3f}"
            for _, _, key, _ in _ROWS
        )
        + ".",
        "html 'ours' is the full document text, title as its first line (the documented contract); "
        "the ground truth articleBody has no title, so the 'body only' row scores the same text "
        "without that line. The headline figure is the full text.",
        "trafilatura with our options beats our full-text headline only by the title line; "
        "scored body only, ours is above it (the residual EXTRACTED-mode cleaning adds a little).",
        "text path input: each page rendered with html_text.extract_text(guess_layout=True), "
        "i.e. what a browser copy-paste gives.",
    ]
    texts = list(rendered.values())
    return {
        "pages": len(truth),
        "table": table,
        "notes": notes,
        "systems": systems,
        "throughput_docs_per_s": _throughput(texts),
    }


def _row_figures(summary: Mapping[str, Any]) -> dict[str, float]:
    return {
        "precision": float(summary["precision"]),
        "recall": float(summary["recall"]),
        "f1": float(summary["f1"]),
    }


def _throughput(texts: list[str]) -> dict[str, float]:
    start = time.perf_counter()
    for t in texts:
        clean_text(t, CleanMode.SCRAPED)
    page_rate = len(texts) / (time.perf_counter() - start)
    abstracts = _abstract_sized(texts)
    start = time.perf_counter()
    for t in abstracts:
        clean_text(t, CleanMode.SCRAPED)
    abstract_rate = len(abstracts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for t in abstracts:
        strip_boilerplate(t)
    return {
        "clean_text/rendered_pages": round(page_rate, 1),
        "clean_text/abstract_sized": round(abstract_rate, 1),
        "strip_boilerplate/abstract_sized": round(
            len(abstracts) / (time.perf_counter() - start), 1
        ),
    }


def _abstract_sized(texts: list[str], chars: int = 2500) -> list[str]:
    """Page-text prefixes (an abstract's length, mostly site chrome): a pessimistic throughput case."""
    return [t[:chars] for t in texts for _ in range(10)]


def _print_worst(
    name: str,
    scores: Mapping[str, PageScore],
    outputs: Mapping[str, str],
    truth: Mapping[str, str],
    n: int,
) -> None:
    print(f"== worst pages: {name}", file=sys.stderr)
    for key, s in sorted(scores.items(), key=lambda kv: kv[1].f1)[:n]:
        p, r = s.precision, s.recall
        print(
            f"{key[:12]} f1={s.f1:.3f} p={p if p is None else round(p, 3)} "
            f"r={r if r is None else round(r, 3)} out={len(outputs[key])} truth={len(truth[key])}",
            file=sys.stderr,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--worst", type=int, default=10, help="worst pages to list on stderr")
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.shared, worst=args.worst)
    result["total_seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
