"""Embeddings (WordLlama via ``litdigest.llm.embed``, hashed bag-of-words fallback), the
agglomerative clustering of claims into themes, and the query filter."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from litdigest.digest.model import content_words

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CLUSTER_THRESHOLD",
    "LEXICAL_THRESHOLD",
    "QUERY_MIN_SIMILARITY",
    "Embedder",
    "cluster",
    "query_matches",
]

# Calibrated on the seeds + 50 Cochrane abstracts (WordLlama 256-d): paraphrases of one
# finding score 0.6-0.9, claims on one topic from different reviews 0.45-0.6, unrelated
# claims < 0.35. 0.55 merges the first and keeps the last apart.
CLUSTER_THRESHOLD: Final = 0.55
QUERY_MIN_SIMILARITY: Final = 0.45
LEXICAL_THRESHOLD: Final = 0.35  # the hashed bag-of-words fallback is sparser
_HASH_DIM: Final = 2048


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
    """Average-linkage agglomerative clustering on cosine similarity (rows L2-normalised).

    Repeatedly merges the two groups with the highest mean pairwise similarity while it is
    ≥ ``threshold`` (Lance-Williams update, O(n²) memory). Groups come back as sorted index
    lists, ordered by their smallest index.
    """
    import numpy as np

    n = len(vectors)
    if n == 0:
        return []
    sim = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n, dtype=np.float64)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        flat = int(np.argmax(sim))
        i, j = divmod(flat, n)
        if not sim[i, j] >= threshold:
            break
        merged = (sizes[i] * sim[i] + sizes[j] * sim[j]) / (sizes[i] + sizes[j])
        sim[i, :] = merged
        sim[:, i] = merged
        sim[i, i] = -np.inf
        sim[j, :] = -np.inf
        sim[:, j] = -np.inf
        sizes[i] += sizes[j]
        members[i].extend(members[j])
        members[j] = []
    groups = [sorted(m) for m in members if m]
    return sorted(groups, key=lambda g: g[0])


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
