"""Embeddings (WordLlama via ``litdigest.llm.embed``, hashed bag-of-words fallback), the
agglomerative clustering of claims into themes, and the query filter."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from litdigest.digest.model import STOP_WORDS, content_words, stem, topic_text, word_tokens

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CLUSTER_THRESHOLD",
    "LEXICAL_THRESHOLD",
    "QUERY_MIN_SIMILARITY",
    "Embedder",
    "blocks",
    "candidate_pairs",
    "cluster",
    "query_matches",
    "theme_groups",
    "theme_labels",
]

# Calibrated on the seeds + 50 Cochrane abstracts (WordLlama 256-d): paraphrases of one
# finding score 0.6-0.9, claims on one topic from different reviews 0.45-0.6, unrelated
# claims < 0.35. 0.55 merges the first and keeps the last apart.
CLUSTER_THRESHOLD: Final = 0.55
QUERY_MIN_SIMILARITY: Final = 0.45
LEXICAL_THRESHOLD: Final = 0.35  # the hashed bag-of-words fallback is sparser
_HASH_DIM: Final = 2048
# Themes: cosine similarity + ENTITY_BONUS per shared salient entity (up to two), minus
# SAME_DOC_PENALTY for two claims of one document; merged while the mean is ≥ THEME_THRESHOLD.
THEME_THRESHOLD: Final = 0.5
ENTITY_BONUS: Final = 0.08
SAME_DOC_PENALTY: Final = 0.15
BLOCK_SIZE: Final = 2000
PAIRS_PER_ROW: Final = 8


def _lexical_vectors(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Hashed bag of content words (sublinear tf), L2-normalised: the offline fallback."""
    import numpy as np

    out = np.zeros((len(texts), _HASH_DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in content_words(text):
            out[i, zlib.crc32(word.encode()) % _HASH_DIM] += 1.0
    return _normalize(out)


def _normalize(vectors: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    import numpy as np

    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        arr = arr.reshape(len(arr), -1)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: npt.NDArray[np.float32] = arr / norms
    return result


class Embedder:
    """Static sentence embeddings from ``litdigest.llm.embed`` (WordLlama), else lexical vectors."""

    def __init__(self, *, lexical: bool = False) -> None:
        self.kind = "lexical"
        self.warning: str | None = None
        self._embed: Any = None
        if not lexical:
            try:
                from litdigest.llm import embed as embed_module

                self._embed = embed_module.embed
                self.kind = "wordllama"
            except Exception as exc:  # missing module or model: lexical fallback, said once
                self.warning = (
                    f"static embeddings unavailable ({type(exc).__name__}); "
                    "grouped by shared words instead"
                )

    @property
    def threshold(self) -> float:
        return CLUSTER_THRESHOLD if self.kind == "wordllama" else LEXICAL_THRESHOLD

    def vectors(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        if self._embed is not None:
            try:
                return _normalize(np.asarray(self._embed(list(texts))))
            except Exception as exc:
                self.warning = (
                    f"static embeddings failed ({type(exc).__name__}); grouped by shared words"
                )
                self._embed = None
                self.kind = "lexical"
        return _lexical_vectors(texts)


def cluster(vectors: npt.NDArray[np.float32], threshold: float) -> list[list[int]]:
    """Average-linkage agglomerative clustering on cosine similarity (rows L2-normalised):
    groups merge while the mean pairwise similarity between them is ≥ ``threshold``. Groups
    come back as sorted index lists, ordered by their smallest index."""
    import numpy as np

    if len(vectors) == 0:
        return []
    sim = np.clip(vectors @ vectors.T, -1.0, 1.0)
    return _linkage_groups(sim, threshold)


def _linkage_groups(sim: npt.NDArray[Any], threshold: float) -> list[list[int]]:
    """Average linkage (scipy, O(n²) memory) cut where mean similarity drops below
    ``threshold``; ``sim`` is a symmetric similarity matrix."""
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = len(sim)
    if n == 1:
        return [[0]]
    dist = np.asarray(1.0 - sim, dtype=np.float64)
    dist = np.maximum((dist + dist.T) / 2, 0.0)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - threshold + 1e-9, criterion="distance")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def blocks(vectors: npt.NDArray[np.float32], size: int = BLOCK_SIZE) -> list[list[int]]:
    """Row indices split into blocks of about ``size`` similar rows (k-means cells, like an
    inverted-file index), so clustering and comparisons stay within a block: O(n·size)
    instead of O(n²). One block when there are at most ``size`` rows."""
    import numpy as np
    from scipy.cluster.vq import kmeans2

    n = len(vectors)
    if n <= size:
        return [list(range(n))] if n else []
    k = int(np.ceil(n / (size * 0.6)))  # cells are uneven: aim below the cap
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(n, size=min(n, 20 * k), replace=False)]
    centroids, _ = kmeans2(sample.astype(np.float64), k, minit="++", seed=0, iter=10)
    assign = np.empty(n, dtype=np.int64)
    for lo in range(0, n, 8192):
        assign[lo : lo + 8192] = np.argmax(vectors[lo : lo + 8192] @ centroids.T, axis=1)
    out: list[list[int]] = []
    for cell in range(k):
        rows = np.flatnonzero(assign == cell)
        if len(rows) > size:  # an oversized cell: split by position (rare)
            out.extend(rows[i : i + size].tolist() for i in range(0, len(rows), size))
        elif len(rows):
            out.append(rows.tolist())
    return out


def theme_groups(
    vectors: npt.NDArray[np.float32],
    docs: Sequence[int],
    entities: Sequence[frozenset[str]],
    threshold: float,
) -> list[list[int]]:
    """Groups of rows about one topic: average linkage on cosine similarity plus a bonus for
    shared salient entities and a penalty for two claims of the same document (so themes
    gather documents rather than restate one), within each block."""
    import numpy as np

    doc_arr = np.asarray(docs)
    out: list[list[int]] = []
    for block in blocks(vectors):
        rows = np.asarray(block)
        sim = vectors[rows] @ vectors[rows].T
        sim += ENTITY_BONUS * np.minimum(_shared_entities([entities[i] for i in block]), 2)
        sim -= SAME_DOC_PENALTY * (doc_arr[rows][:, None] == doc_arr[rows][None, :])
        out.extend([block[i] for i in g] for g in _linkage_groups(np.clip(sim, -1, 1), threshold))
    return out


def candidate_pairs(
    vectors: npt.NDArray[np.float32],
    docs: Sequence[int],
    entities: Sequence[frozenset[str]],
    gate: float,
    per_row: int = PAIRS_PER_ROW,
) -> list[tuple[int, int, float]]:
    """Pairs ``(x, y, cosine)``, x < y, worth comparing for (dis)agreement: different
    documents, at least one shared salient entity, cosine ≥ ``gate``; within each block, and
    at most ``per_row`` most similar partners per row (blocking keeps 50k claims linear)."""
    import numpy as np

    doc_arr = np.asarray(docs)
    seen: dict[tuple[int, int], float] = {}
    for block in blocks(vectors):
        rows = np.asarray(block)
        sim = vectors[rows] @ vectors[rows].T
        ok = (_shared_entities([entities[i] for i in block]) > 0) & (sim >= gate)
        ok &= doc_arr[rows][:, None] != doc_arr[rows][None, :]
        masked = np.where(ok, sim, -np.inf)
        k = min(per_row, len(block))
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k] if k else np.zeros((0, 0), int)
        for i, partners in enumerate(top):
            for j in partners:
                if np.isfinite(masked[i, j]):
                    x, y = sorted((int(rows[i]), int(rows[j])))
                    seen[(x, y)] = float(masked[i, j])
    return [(x, y, sim_xy) for (x, y), sim_xy in sorted(seen.items())]


def _shared_entities(entities: Sequence[frozenset[str]]) -> npt.NDArray[np.float32]:
    """Counts of shared entities between every two rows (sparse product)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, terms in enumerate(entities):
        for term in terms:
            rows.append(i)
            cols.append(vocab.setdefault(term, len(vocab)))
    n = len(entities)
    if not cols:
        return np.zeros((n, n), dtype=np.float32)
    m = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(vocab)))
    shared: npt.NDArray[np.float32] = (m @ m.T).toarray().astype(np.float32)
    return shared


def query_matches(
    query: str,
    texts: Sequence[str],
    embedder: Embedder,
) -> list[bool]:
    """Which ``texts`` match ``query``: lexical (≥ half of its content words, or all when it
    has one or two) or embedding cosine ≥ ``QUERY_MIN_SIMILARITY``."""
    words = content_words(query)
    folded = query.casefold().strip()
    need = len(words) if len(words) <= 2 else (len(words) + 1) // 2
    lexical: list[bool] = []
    for text in texts:
        have = content_words(text)
        hits = sum(any(h == w or h.startswith(w) for h in have) for w in words)
        lexical.append(
            (bool(words) and hits >= need) or (bool(folded) and folded in text.casefold())
        )
    if not texts:
        return []
    vectors = embedder.vectors([query, *texts])
    if embedder.kind != "wordllama":
        return lexical
    sims = vectors[1:] @ vectors[0]
    return [lex or float(s) >= QUERY_MIN_SIMILARITY for lex, s in zip(lexical, sims, strict=True)]


# --------------------------------------------------------------------------------------------
# Theme labels: class-based TF-IDF of each theme against the rest

_LABEL_STOP: Final = frozenset(
    """associated association compared significant significantly difference differences
    outcome outcomes group groups also however well first time based thus important may
    might could likely potential role roles level levels high higher low lower increase
    increased increases decrease decreased decreases reduce reduced reduces improve improved
    improves effect effects ci rr hr md smd confidence interval ratio mean quality certainty
    grade bias random randomised randomized rct rcts statistically moderate very clear clearly
    risk total number rate rates other further need needs needed given like well due more less
    good many much new whether not no""".split()
)
_MAX_LABEL_WORDS: Final = 6


@dataclass(frozen=True, slots=True)
class _Term:
    key: str
    display: str
    words: int


def _claim_terms(text: str) -> dict[str, str]:
    """Unigram and bigram keys of a claim (stemmed, case-folded) -> their surface form."""
    from litdigest.digest.polarity import compound

    tokens = [w for w, _, _ in word_tokens(topic_text(compound(text)))]
    keys = [stem(w) for w in tokens]
    ok = [
        len(k) > 1 and k not in STOP_WORDS and k not in _LABEL_STOP and any(c.isalpha() for c in k)
        for k in keys
    ]
    out: dict[str, str] = {}
    for i, key in enumerate(keys):
        if not ok[i]:
            continue
        out.setdefault(key, _surface(tokens[i]))
        if i + 1 < len(keys) and ok[i + 1]:
            out.setdefault(
                f"{key} {keys[i + 1]}", f"{_surface(tokens[i])} {_surface(tokens[i + 1])}"
            )
    return out


@lru_cache(maxsize=65536)
def _surface(word: str) -> str:
    """Symbols keep their case (PD-1, STAT1, CD8+, T cells); other words are lower-cased."""
    head, sep, tail = word.partition("-cell")
    if sep:  # "T-cells" (compounded): "T cells"
        return f"{head} cell{tail.casefold()}"
    if any(ch.isdigit() for ch in word) or sum(ch.isupper() for ch in word) > 1:
        return word
    return word.casefold()


def theme_labels(
    classes: Sequence[Sequence[tuple[str, int]]], n_themes: int
) -> list[tuple[str, list[str]]]:
    """A 2-6 word label and its terms for each of the first ``n_themes`` classes.

    ``classes`` are lists of (claim text, document) pairs: the themes first, then the rest
    (e.g. each document's unshared claims) as background. A term's weight in a theme is
    ``tf/size · log(1 + A/f)``, c-TF-IDF (tf: the theme's claims containing it, f: all claims
    containing it, A: mean terms per class); only terms found in claims of two or more of the
    theme's documents are candidates while there are enough of them.
    """
    import math
    from collections import Counter

    per_class: list[list[tuple[dict[str, str], int]]] = [
        [(_claim_terms(text), doc) for text, doc in members] for members in classes
    ]
    overall: Counter[str] = Counter()
    for members in per_class:
        for terms, _ in members:
            overall.update(terms.keys())
    average = sum(overall.values()) / max(1, len(per_class))
    out: list[tuple[str, list[str]]] = []
    for members in per_class[:n_themes]:
        tf: Counter[str] = Counter()
        docs: dict[str, set[int]] = {}
        display: dict[str, str] = {}
        for terms, doc in members:
            tf.update(terms.keys())
            for key, surface in terms.items():
                docs.setdefault(key, set()).add(doc)
                display.setdefault(key, surface)
        scored = sorted(
            (
                -(tf[k] / len(members))
                * math.log(1 + average / overall[k])
                * _kind_weight(k, display[k]),
                k,
            )
            for k in tf
            if not _verbish(k)
        )
        ranked = [_Term(k, display[k], len(display[k].split())) for _, k in scored]
        shared = [t for t in ranked if len(docs[t.key]) >= 2]
        out.append(_assemble(shared, ranked))
    return out


def _verbish(key: str) -> bool:
    """Past participles and adverbs make poor labels ("provided", "adequately blinded")."""
    words = key.split()
    return words[-1].endswith(("ed", "ly")) or words[0].endswith("ly")


@lru_cache(maxsize=65536)
def _kind_weight(key: str, display: str) -> float:
    """Bigrams and salient entities (symbols, drugs, domain terms) make better labels."""
    from litdigest.digest.polarity import salient_terms

    weight = 1.5 if " " in key else 1.0
    if key.endswith("ing") and " " not in key:
        weight *= 0.5
    return weight * (2.0 if salient_terms(display) else 1.0)


def _assemble(shared: list[_Term], ranked: list[_Term]) -> tuple[str, list[str]]:
    """Up to three non-overlapping terms, 2-6 words in all; shared terms first."""
    chosen: list[_Term] = []
    for pool in (shared, ranked):
        for term in pool:
            words = sum(t.words for t in chosen)
            if len(chosen) >= 3 or words >= 4:
                break
            if words + term.words > _MAX_LABEL_WORDS:
                continue
            overlap = [t for t in chosen if set(term.key.split()) & set(t.key.split())]
            if len(overlap) == 1 and " " not in overlap[0].key and " " in term.key:
                grown = words - overlap[0].words + term.words  # "blood" -> "blood pressure"
                if grown <= _MAX_LABEL_WORDS:
                    chosen[chosen.index(overlap[0])] = term
                continue
            if overlap:
                continue
            chosen.append(term)
        if sum(t.words for t in chosen) >= 2:
            break
    if not chosen:
        return "Shared topic", []
    label = ", ".join(t.display for t in chosen)
    if len(label.split()) < 2:
        label += " claims"
    return label[0].upper() + label[1:], [t.display for t in chosen]
