"""Features of the extractive backend's sentence-role classifier (``extractive-v3``).

Every feature runs offline and is the same at training time (``training/train.py``) and at
run time: a WordLlama embedding of the sentence (mean of its token vectors, from the matrix
and tokenizer inside the ``wordllama`` wheel, cached per word so a document costs one
dictionary look-up per word), the cue-lexicon scores of ``extractive_cues``, the section the
nearest heading opens, the sentence's relative position and a few surface counts.

``ngram_features`` (hashed word and word-bigram indicators of a sentence and its neighbours) is
measured by ``training/train.py --ngrams`` but not used by the shipped model (see
``training/README.md``); ``RUNTIME_NGRAMS`` makes ``feature_matrix`` append them, for a model
trained with them.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from litdigest.summarize.backends.extractive_cues import CUE_ROLES, CUE_TOKEN_RE, cue_scores

__all__ = [
    "NEIGHBOUR_NGRAM_WEIGHT",
    "NGRAM_DIM",
    "N_FEATURES",
    "N_MODEL_FEATURES",
    "RUNTIME_NGRAMS",
    "SECTIONS",
    "SentenceInput",
    "embed_sentences",
    "feature_matrix",
    "heading_section",
    "next_section",
    "ngram_columns",
    "ngram_features",
]

# Section categories set by headings and inline labels ("Main results:").
SECTIONS: Final = (
    "none",
    "abstract",
    "introduction",
    "methods",
    "results",
    "discussion",
    "conclusion",
    "back",
    "other",
)
NONE, ABSTRACT, INTRO, METHODS, RESULTS, DISCUSSION, CONCLUSION, BACK, OTHER = range(9)

_SECTION_RES: Final[tuple[tuple[int, re.Pattern[str]], ...]] = (
    (
        BACK,
        re.compile(
            r"^(?:\d+(?:\.\d+)*\.?\s+)?(?:appendi\w+|supplement\w*|acknowledg\w+|references?|"
            r"bibliography|funding|financial|author(?:s'?)? (?:contributions|information)|"
            r"competing interests|conflicts? of interest|abbreviations|data availability|"
            r"ethics|additional (?:information|files)|notes?|declarations?|disclosures?)\b",
            re.IGNORECASE,
        ),
    ),
    (ABSTRACT, re.compile(r"^(?:abstract|summary|key points|highlights)\b", re.IGNORECASE)),
    (
        METHODS,
        re.compile(
            r"\bmethods?\b|\bmethodology\b|\bprocedures?\b|\bprotocol\b|\bstatistical analys|"
            r"\bsearch (?:strategy|methods)|\bselection criteria|\bdata (?:collection|"
            r"extraction|analysis|sources)|\bmaterials\b|\bexperimental\b|\bstudy (?:design|"
            r"area|site|population)|\bparticipants\b|\bsettings?\b|\bdesign\b|\bsampling\b",
            re.IGNORECASE,
        ),
    ),
    (CONCLUSION, re.compile(r"conclu|implication|outlook|perspective|future|remarks", re.I)),
    (RESULTS, re.compile(r"\bresults?\b|\bfindings\b|\boutcomes?\b", re.IGNORECASE)),
    (DISCUSSION, re.compile(r"\bdiscussion\b|\binterpretation\b|\bsignificance\b", re.I)),
    (
        INTRO,
        re.compile(
            r"\bintroduction\b|\bbackground\b|\bobjectives?\b|\baims?\b|\bpurpose\b|"
            r"\brationale\b|\boverview\b|\bcontext\b",
            re.IGNORECASE,
        ),
    ),
)


def heading_section(heading: str) -> int:
    """The section category a heading (or inline label) names; ``OTHER`` for any other."""
    for section, pattern in _SECTION_RES:
        if pattern.search(heading):
            return section
    return OTHER


def next_section(current: int, heading: str) -> int:
    """The section after ``heading``: a named section starts; an unnamed (subsection) heading
    keeps the current section, except that it ends the abstract."""
    named = heading_section(heading)
    if named != OTHER:
        return named
    return OTHER if current in (NONE, ABSTRACT) else current


@dataclass(frozen=True, slots=True)
class SentenceInput:
    text: str
    section: int  # a ``SECTIONS`` index
    position: float  # 0.0 first sentence of the document, 1.0 last
    lower: str | None = None  # ``text.lower()`` when the caller has it
    words: set[str] | None = None  # its ``CUE_TOKEN_RE`` tokens when the caller has them


# --------------------------------------------------------------------------------------------
# Embeddings
# --------------------------------------------------------------------------------------------

EMBED_DIM: Final = 256
_MAX_WORDS: Final = 300_000  # words cached before the cache starts afresh
_lock = threading.Lock()


class _WordEmbedder:
    """Mean WordLlama token vector of a text, tokenised word by word with a per-word cache:
    ``rows[i]`` is the sum of word i's token vectors and ``counts[i]`` its number of tokens."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        from litdigest.llm.embed import embedder

        model: Any = embedder()
        self.matrix: npt.NDArray[np.float32] = np.ascontiguousarray(
            model.embedding, dtype=np.float32
        )
        tokenizer = Tokenizer.from_str(model.tokenizer.to_str())
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self.tokenizer = tokenizer
        self._reset()

    def _reset(self) -> None:
        self.index: dict[str, int] = {}
        self.rows = np.zeros((1024, EMBED_DIM), dtype=np.float32)
        self.counts = np.zeros(1024, dtype=np.float32)

    def _learn(self, words: list[str]) -> None:
        need = len(self.index) + len(words)
        if need > len(self.counts):
            size = max(need, 2 * len(self.counts))
            self.rows = np.vstack(
                [self.rows, np.zeros((size - len(self.rows), EMBED_DIM), np.float32)]
            )
            self.counts = np.concatenate(
                [self.counts, np.zeros(size - len(self.counts), np.float32)]
            )
        first = len(self.index)
        self.index.update(zip(words, range(first, first + len(words)), strict=True))
        by_count: dict[int, tuple[list[int], list[list[int]]]] = {}
        for row, ids in enumerate(self._token_ids(words), first):
            rows, id_lists = by_count.setdefault(len(ids), ([], []))
            rows.append(row)
            id_lists.append(ids)
        for count, (rows, id_lists) in by_count.items():
            self.counts[rows] = count
            if count:  # one gather and sum per token count: the same sums as word by word
                self.rows[rows] = self.matrix[np.array(id_lists)].sum(axis=1)

    def _token_ids(self, words: list[str]) -> list[list[int]]:
        """Each word's token ids (in the vocabulary), as if tokenised alone: one call with
        the words as pre-tokenised input gives the ids of ``encode_batch`` three times faster."""
        encoding = self.tokenizer.encode(words, is_pretokenized=True, add_special_tokens=False)
        vocab = self.matrix.shape[0]
        out: list[list[int]] = [[] for _ in words]
        for token, word in zip(encoding.ids, encoding.word_ids, strict=True):
            if word is not None and 0 <= token < vocab:
                out[word].append(token)
        return out

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        tokenised = [t.split() for t in texts]  # str.split() splits where \s does: \S+ words
        distinct = set().union(*tokenised)
        unseen = distinct.difference(self.index)
        if unseen:
            if len(self.index) + len(unseen) > _MAX_WORDS:
                self._reset()  # afresh, with every word of these texts (however many)
                unseen = distinct
            self._learn(sorted(unseen))
        index = self.index
        lengths = np.fromiter(map(len, tokenised), dtype=np.int64, count=len(texts))
        flat = np.fromiter(
            map(index.__getitem__, itertools.chain.from_iterable(tokenised)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        nonempty = lengths > 0
        if flat.size:
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
            sums = np.add.reduceat(self.rows[flat], starts, axis=0)
            counts = np.add.reduceat(self.counts[flat], starts)
            out[nonempty] = sums / np.maximum(counts, 1.0)[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        result: npt.NDArray[np.float32] = out / norms
        return result


_EMBEDDER: list[_WordEmbedder] = []


def embed_sentences(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """L2-normalised WordLlama sentence vectors (rows), one per text."""
    if not _EMBEDDER:
        with _lock:
            if not _EMBEDDER:
                _EMBEDDER.append(_WordEmbedder())
    with _lock:
        return _EMBEDDER[0].embed(texts)


# --------------------------------------------------------------------------------------------
# Feature matrix
# --------------------------------------------------------------------------------------------

# The statistics test was one case-insensitive regex, [%=<>±≤≥]|\bCI\b|\bP\s?[<=>], whose
# third alternative holds a symbol of the first: a symbol scan, then \bCI\b only where the
# lower-cased text has "ci" (or a dotless i, which re.IGNORECASE matches to I).
_STAT_SYMBOL_RE: Final = re.compile(r"[%=<>±≤≥]")
_CI_RE: Final = re.compile(r"\bCI\b", re.IGNORECASE)
_DIGITS_RE: Final = re.compile(r"\d")
_WE_RE: Final = re.compile(r"\bwe\b|\bour\b")
_MODAL_RE: Final = re.compile(r"\b(?:may|might|could|should|would)\b")
_MODALS: Final = frozenset(("may", "might", "could", "should", "would"))
_SURFACE: Final = 12
N_CUES: Final = len(CUE_ROLES)
# embedding | cues | cues of the previous and of the next sentence | section one-hot | surface
N_FEATURES: Final = EMBED_DIM + 3 * N_CUES + len(SECTIONS) + _SURFACE
# Hashed n-grams: lower-cased tokens, every number one token; a word's column is
# crc32(word) % NGRAM_DIM, a bigram's (crc32(a) * 1000003 + crc32(b)) % NGRAM_DIM; a binary
# bag, L2-normalised, times NGRAM_SCALE (a model does not standardise these columns).
NGRAM_DIM: Final = 4096
NGRAM_SCALE: Final = 20.0
NEIGHBOUR_NGRAM_WEIGHT: Final = 0.25  # (previous + next sentence's bag) times this
# Whether `feature_matrix` appends the n-gram block (the shipped model's columns).
RUNTIME_NGRAMS: Final = False
N_MODEL_FEATURES: Final = N_FEATURES + (2 * NGRAM_DIM if RUNTIME_NGRAMS else 0)
_NGRAM_TOKEN_RE: Final = re.compile(r"[a-z]+|[0-9]+")
_CRC: dict[str, int] = {}


def _crc(word: str) -> int:
    value = _CRC.get(word)
    if value is None:
        if len(_CRC) > _MAX_WORDS:
            _CRC.clear()
        value = _CRC[word] = zlib.crc32(word.encode("utf-8"))
    return value


def ngram_columns(lower: str) -> list[int]:
    """Sorted distinct hashed columns of a lower-cased sentence's words and word bigrams."""
    hashes = [_crc("0" if w.isdigit() else w) for w in _NGRAM_TOKEN_RE.findall(lower)]
    cols = {h % NGRAM_DIM for h in hashes}
    cols.update((a * 1000003 + b) % NGRAM_DIM for a, b in itertools.pairwise(hashes))
    return sorted(cols)


def ngram_features(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """One row per sentence (document order): its hashed n-gram bag, then the previous and the
    next sentence's bags summed times ``NEIGHBOUR_NGRAM_WEIGHT``."""
    x = np.zeros((len(texts), 2 * NGRAM_DIM), dtype=np.float32)
    _fill_ngrams(x, [t.lower() for t in texts])
    return x


def _fill_ngrams(x: npt.NDArray[np.float32], lowers: Sequence[str]) -> None:
    """Writes ``ngram_features`` of the lower-cased sentences into ``x`` (zeros, 2 × NGRAM_DIM
    columns)."""
    bags = x[:, :NGRAM_DIM]
    for i, lower in enumerate(lowers):
        cols = ngram_columns(lower)
        if cols:
            bags[i, cols] = NGRAM_SCALE / math.sqrt(len(cols))
    around = x[:, NGRAM_DIM:]
    around[1:] += bags[:-1]
    around[:-1] += bags[1:]
    around *= NEIGHBOUR_NGRAM_WEIGHT


def _surface(s: SentenceInput, lower: str, words: set[str], doc_size: float) -> list[float]:
    text = s.text
    position = s.position
    # A match of _WE_RE or _MODAL_RE is one of the sentence's CUE_TOKEN_RE tokens: a set test
    # spares the regex on most sentences.
    we = ("we" in words or "our" in words) and _WE_RE.search(lower) is not None
    modal = not _MODALS.isdisjoint(words) and _MODAL_RE.search(lower) is not None
    n_words = text.count(" ") + 1
    digits = len(_DIGITS_RE.findall(text))
    stat = _STAT_SYMBOL_RE.search(text) is not None or (
        ("ci" in lower or "\u0131" in lower) and _CI_RE.search(text) is not None
    )
    return [
        position,
        position * position,
        1.0 if position == 0.0 else 0.0,
        math.log1p(n_words) / 4.0,
        min(digits / max(len(text), 1) * 10.0, 1.0),
        1.0 if stat else 0.0,
        1.0 if we else 0.0,
        1.0 if text[:1].isupper() and text.rstrip("\"'”’)]")[-1:] in ".!?" else 0.0,
        1.0 if "et al" in lower else 0.0,
        min(text.count("(") + text.count("["), 4) / 4.0,
        1.0 if modal else 0.0,
        doc_size,
    ]


def feature_matrix(sentences: Sequence[SentenceInput], n_sentences: int) -> npt.NDArray[np.float32]:
    """One feature row per sentence (in document order) of a document of ``n_sentences``: the
    ``N_FEATURES`` runtime columns, then (``RUNTIME_NGRAMS``) ``ngram_features``."""
    n = len(sentences)
    x = np.zeros((n, N_MODEL_FEATURES), dtype=np.float32)
    if not sentences:
        return x
    x[:, :EMBED_DIM] = embed_sentences([s.text for s in sentences])
    cue_rows: list[list[float]] = []
    surface_rows: list[list[float]] = []
    lowers: list[str] = []
    doc_size = math.log1p(n_sentences) / 6.0  # the same for every sentence
    for s in sentences:
        lower = s.lower if s.lower is not None else s.text.lower()
        lowers.append(lower)
        words = s.words if s.words is not None else set(CUE_TOKEN_RE.findall(lower))
        cue_rows.append(cue_scores(s.text, lower, words))
        surface_rows.append(_surface(s, lower, words, doc_size))
    cues = np.minimum(np.asarray(cue_rows, dtype=np.float32), 8.0) / 4.0
    x[:, EMBED_DIM : EMBED_DIM + N_CUES] = cues
    x[1:, EMBED_DIM + N_CUES : EMBED_DIM + 2 * N_CUES] = cues[:-1]
    x[:-1, EMBED_DIM + 2 * N_CUES : EMBED_DIM + 3 * N_CUES] = cues[1:]
    base = EMBED_DIM + 3 * N_CUES
    # An unnamed section ("OTHER": a title, a subsection of its own) tells nothing: as NONE.
    sections = np.fromiter((s.section for s in sentences), np.int64, n)
    sections[sections == OTHER] = NONE
    x[np.arange(n), base + sections] = 1.0
    x[:, base + len(SECTIONS) : N_FEATURES] = np.asarray(surface_rows, dtype=np.float32)
    if RUNTIME_NGRAMS:
        _fill_ngrams(x[:, N_FEATURES:], lowers)
    return x
