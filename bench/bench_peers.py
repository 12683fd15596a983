"""Offline summarization beside sumy on the Cochrane abstracts (../shared/corpus/cochrane).

Systems, each given the raw abstract (``test.source``, one per line) and scored against the
human plain-language summary on the same line of ``test.target``:

* **ours**: the ``extractive`` backend end to end, as ``litdigest summarize`` runs it: clean
  (``clean_record``), chunk (``Chunker.chunk_document``), summarize (``summarize_sync``) and
  the final grounding gate (``verify_summary``). The text scored is what the user gets:
  every quote of every claim plus the tldr, deduplicated (a span inside another is dropped),
  in document order (``summary_text``).
* **sumy LexRank** and **sumy TextRank** (English Snowball stemmer, sumy's English stop
  words) with **the same number of sentences as ours** for that document. sumy's default
  tokenizer needs NLTK data that cannot be downloaded here, so it gets ``SpanTokenizer``:
  sentences from ``litdigest.chunk.chunker.sentence_spans``, words are ``\\w+`` runs.
* **lead-3**: the first three sentences (``sentence_spans``).

ROUGE-1, ROUGE-2 and ROUGE-L F1 (mean over documents) by the ``rouge-score`` package (the
reference implementation of Google Research): lowercase, alphanumeric tokens, Porter
stemming; one scorer for every system. Time is wall-clock per system over all documents,
parsing included.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from rouge_score import rouge_scorer
from sumy.nlp.stemmers import Stemmer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from litdigest.chunk.chunker import Chunker, sentence_spans
from litdigest.clean import clean_record
from litdigest.documents import Format, RawRecord
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import DocumentSummary

SPEED_GOAL: Final = 5.0  # ours ≥ 5 × sumy LexRank's documents per second
_WORD_RE: Final = re.compile(r"\w+")
ROUGE_TYPES: Final = ("rouge1", "rouge2", "rougeL")


class SpanTokenizer:
    """A sumy tokenizer that needs no NLTK data (sumy calls these two methods only)."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(paragraph[s:e] for s, e in sentence_spans(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD_RE.findall(sentence))


def load_cochrane(shared: Path) -> tuple[list[str], list[str]] | None:
    root = shared / "corpus" / "cochrane"
    source, target = root / "test.source", root / "test.target"
    if not (source.is_file() and target.is_file()):
        return None
    sources = source.read_text(encoding="utf-8").splitlines()
    targets = target.read_text(encoding="utf-8").splitlines()
    pairs = [(s, t) for s, t in zip(sources, targets, strict=False) if s.strip() and t.strip()]
    return [s for s, _ in pairs], [t for _, t in pairs]


def summary_spans(summary: DocumentSummary, text: str) -> list[tuple[int, int]]:
    """Character spans of what a user reads: every quote and the tldr (located in the text
    when it is verbatim), without spans inside another, in document order."""
    spans = {(q.start, q.end) for _, _, claim in summary.iter_claims() for q in claim.quotes}
    tldr = summary.tldr.strip()
    if tldr:
        at = text.find(tldr)
        if at >= 0:
            spans.add((at, at + len(tldr)))
    ordered = sorted(spans, key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int]] = []
    for start, end in ordered:
        if kept and start >= kept[-1][0] and end <= kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


def summary_text(summary: DocumentSummary, text: str) -> tuple[str, int]:
    """The scored text of one summary, and its number of sentences: the claims' statements
    (what the user reads as the claims), each once, in document order of their quotes."""
    seen: set[str] = set()
    claims: list[tuple[int, str]] = []
    for _, _, claim in summary.iter_claims():
        statement = " ".join(claim.statement.split())
        if statement and statement not in seen:
            seen.add(statement)
            claims.append((min(q.start for q in claim.quotes), statement))
    if not claims and summary.tldr.strip():
        claims.append((0, summary.tldr.strip()))
    joined = " ".join(st for _, st in sorted(claims))
    return joined, max(1, len(claims))


def quotes_text(summary: DocumentSummary, text: str) -> str:
    """Alternative scored text: the tldr and every quote, spans deduplicated, in order."""
    return " ".join(text[s:e] for s, e in summary_spans(summary, text))


def ours(sources: Sequence[str]) -> tuple[list[str], list[int], list[str], float]:
    """Our extractive backend end to end; (texts, sentence counts, tldr+quotes texts, s)."""
    backend = ExtractiveV3Backend()
    chunker = Chunker()
    chunker.split("warm up the tokenizer")
    texts: list[str] = []
    counts: list[int] = []
    alt: list[str] = []
    start = time.perf_counter()
    for i, raw in enumerate(sources):
        doc = clean_record(RawRecord(text=raw, format=Format.TEXT, source=f"cochrane#{i}"))
        chunker.chunk_document(doc)
        summary = backend.summarize_sync(doc)
        problems = verify_summary(summary, doc.text)
        if problems:
            raise SystemExit(f"bench: summary failed verification: {problems[0]}")
        text, n = summary_text(summary, doc.text)
        texts.append(text)
        counts.append(n)
        alt.append(quotes_text(summary, doc.text))
    return texts, counts, alt, time.perf_counter() - start


def sumy_system(
    kind: str, sources: Sequence[str], counts: Sequence[int]
) -> tuple[list[str], float]:
    tokenizer = SpanTokenizer()
    stemmer = Stemmer("english")
    summarizer = LexRankSummarizer(stemmer) if kind == "lexrank" else TextRankSummarizer(stemmer)
    summarizer.stop_words = get_stop_words("english")
    out: list[str] = []
    start = time.perf_counter()
    for raw, n in zip(sources, counts, strict=True):
        parser = PlaintextParser.from_string(raw, tokenizer)
        out.append(" ".join(str(s) for s in summarizer(parser.document, n)))
    return out, time.perf_counter() - start


def lead(sources: Sequence[str], k: int = 3) -> tuple[list[str], float]:
    start = time.perf_counter()
    out = [" ".join(t[s:e] for s, e in list(sentence_spans(t))[:k]) for t in sources]
    return out, time.perf_counter() - start


def rouge(predictions: Iterable[str], references: Sequence[str]) -> dict[str, float]:
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    n = 0
    for pred, ref in zip(predictions, references, strict=True):
        scores = scorer.score(ref, pred)
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
        n += 1
    return {key: totals[key] / max(n, 1) for key in ROUGE_TYPES}


def _row(system: str, outputs: list[str], seconds: float, targets: Sequence[str]) -> dict[str, Any]:
    words = sum(len(o.split()) for o in outputs) / max(len(outputs), 1)
    return {
        "system": system,
        "documents": len(outputs),
        "docs_per_s": len(outputs) / seconds if seconds else float("inf"),
        "mean_words": words,
        **rouge(outputs, targets),
    }


def run(shared: Path, *, limit: int | None = None) -> dict[str, Any]:
    loaded = load_cochrane(shared)
    if loaded is None:
        return {"skipped": f"{shared}/corpus/cochrane/test.source or test.target not found"}
    sources, targets = loaded
    if limit is not None:
        sources, targets = sources[:limit], targets[:limit]
    warm = min(20, len(sources))  # regex compilation, tokenizer load: not per document
    ours(sources[:warm])
    sumy_system("lexrank", sources[:warm], [3] * warm)
    sumy_system("textrank", sources[:warm], [3] * warm)
    our_texts, counts, alt_texts, our_s = ours(sources)
    rows = [
        _row("ours: extractive (clean+chunk+summarize+ground)", our_texts, our_s, targets),
    ]
    systems: list[tuple[str, Callable[[], tuple[list[str], float]]]] = [
        ("sumy LexRank (same sentence count)", lambda: sumy_system("lexrank", sources, counts)),
        ("sumy TextRank (same sentence count)", lambda: sumy_system("textrank", sources, counts)),
        ("lead-3", lambda: lead(sources)),
    ]
    for name, fn in systems:
        outputs, secs = fn()
        rows.append(_row(name, outputs, secs, targets))
    rows.append(
        _row("ours, scored as tldr + quotes (same run, not timed apart)", alt_texts, our_s, targets)
    )
    lexrank = rows[1]
    speedup = rows[0]["docs_per_s"] / lexrank["docs_per_s"]
    rouge_l_delta = rows[0]["rougeL"] - lexrank["rougeL"]
    return {
        "documents": len(sources),
        "table": rows,
        "speedup_vs_lexrank": speedup,
        "rougeL_minus_lexrank": rouge_l_delta,
        "goal": f"≥ {SPEED_GOAL:g}× sumy LexRank docs/s at ROUGE-L ≥ LexRank's",
        "met": bool(speedup >= SPEED_GOAL and rouge_l_delta >= 0),
        "mean_sentences": sum(counts) / max(len(counts), 1),
        "notes": [
            "summary length: sumy systems get the same number of sentences as ours for each "
            "document. Ours is scored as its claims' statements (each claim once, in document "
            "order of its quote): the text users read; the last row scores the tldr + verbatim "
            "quotes instead.",
            "speed is measured after a 20-document warm-up of every system (regex compilation, "
            "tokenizer load); other jobs on the machine make absolute figures noisy.",
            "ROUGE: rouge-score package, use_stemmer=True (Porter), F1 means over documents; "
            "reference = the human plain-language summary (test.target).",
            "sumy tokenizer: litdigest.chunk.chunker.sentence_spans for sentences, \\w+ for words "
            "(sumy's NLTK tokenizer data cannot be downloaded offline).",
        ],
    }
