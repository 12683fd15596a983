"""Benchmark of boilerplate cleaning on the article-extraction corpus (../shared/corpus/extraction).

Two paths are scored with the benchmark's own metric (see ``extraction_score``):

(a) HTML path: ``read_html`` + ``clean_text`` on each page, beside plain ``trafilatura.extract``.
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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import html_text
import trafilatura

from bench.extraction_score import PageScore, score_page, summarize
from litdigest.clean import clean_text
from litdigest.clean.boilerplate import strip_boilerplate
from litdigest.errors import InputError
from litdigest.ingest.html import decode_html, read_html
from litdigest.models import CleanMode

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


def ours_html(data: bytes) -> str:
    try:
        record = read_html(data, "page")[0]
    except InputError:
        return ""
    return clean_text(record.text, record.clean_mode)[0]


def ours_text(text: str) -> str:
    return clean_text(text, CleanMode.SCRAPED)[0]


def _figures(scores: Mapping[str, PageScore]) -> dict[str, Any]:
    even = [s for k, s in scores.items() if int(k, 16) % 2 == 0]
    odd = [s for k, s in scores.items() if int(k, 16) % 2 == 1]
    return {
        "all": summarize(scores.values()).as_dict(),
        "even(tune)": summarize(even).as_dict(),
        "odd(held-out)": summarize(odd).as_dict(),
    }


def _run_system(
    inputs: Mapping[str, Any], truth: Mapping[str, str], fn: Callable[[Any], str]
) -> tuple[dict[str, PageScore], dict[str, str], float]:
    start = time.perf_counter()
    outputs = {k: fn(v) or "" for k, v in inputs.items()}
    elapsed = time.perf_counter() - start
    return {k: score_page(outputs[k], truth[k]) for k in truth}, outputs, elapsed


def run(shared: Path = DEFAULT_SHARED, worst: int = 0) -> dict[str, Any]:
    """Score every system; with ``worst`` > 0, print that many worst pages per path to stderr."""
    pages, truth = load_corpus(shared)
    decoded = {k: decode_html(v) for k, v in pages.items()}
    rendered = {k: render_text(v) for k, v in decoded.items()}

    systems: dict[str, tuple[Mapping[str, Any], Callable[[Any], str]]] = {
        "a/ours(read_html+clean_text)": (pages, ours_html),
        "a/trafilatura.extract": (decoded, lambda p: trafilatura.extract(p) or ""),
        "b/ours(clean_text SCRAPED)": (rendered, ours_text),
        "b/keep-all": (rendered, lambda t: t),
        "b/trafilatura-on-text": (rendered, lambda t: trafilatura.extract(text_as_html(t)) or ""),
    }
    result: dict[str, Any] = {"pages": len(truth)}
    for name, (inputs, fn) in systems.items():
        scores, outputs, elapsed = _run_system(inputs, truth, fn)
        result[name] = {**_figures(scores), "seconds": round(elapsed, 2)}
        if worst and name.split("/")[1].startswith("ours"):
            _print_worst(name, scores, outputs, truth, worst)

    texts = list(rendered.values())
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
    result["throughput_docs_per_s"] = {
        "clean_text/rendered_pages": round(page_rate, 1),
        "clean_text/abstract_sized": round(abstract_rate, 1),
        "strip_boilerplate/abstract_sized": round(
            len(abstracts) / (time.perf_counter() - start), 1
        ),
    }
    return result


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
