"""The extractive backend's word-cached WordLlama sentence vectors: a cold cache (words
tokenised together as pre-tokenised input, summed per token count) gives the vectors of
tokenising and summing every word alone, and a warm cache gives them again."""

from __future__ import annotations

import numpy as np
import pytest

from litdigest.summarize.backends import extractive_features
from litdigest.summarize.backends.extractive_features import _WordEmbedder

TEXTS = [
    "IFN-γ from CD8+ T cells raises PD-L1 (HR 0.60; 95% CI 0.46–0.79).",
    "Anti-CTLA-4 ± anti-PD-1 prolonged survival in Foxp3-DTR mice ▁underscore ×2.",
    "Über-naïve café Tregs — 10⁻³ µg/kg, TGF-β1/SMAD2 signalling (Fig. 2b) 😀.",
    "",
    "supercalifragilisticexpialidociousimmunotherapyresistance word word word",
]


def _reference(embedder: _WordEmbedder, text: str) -> np.ndarray:
    vocab = embedder.matrix.shape[0]
    ids = [
        i
        for word in text.split()
        for i in embedder.tokenizer.encode(word, add_special_tokens=False).ids
        if 0 <= i < vocab
    ]
    if not ids:
        return np.zeros(embedder.matrix.shape[1], dtype=np.float32)
    vector: np.ndarray = embedder.matrix[ids].sum(axis=0) / len(ids)
    unit: np.ndarray = vector / np.linalg.norm(vector)
    return unit


@pytest.fixture(scope="module")
def embedder() -> _WordEmbedder:
    return _WordEmbedder()


def test_token_ids_are_those_of_each_word_alone(embedder: _WordEmbedder) -> None:
    words = sorted({w for t in TEXTS for w in t.split()})
    alone = [e.ids for e in embedder.tokenizer.encode_batch(words, add_special_tokens=False)]
    assert embedder._token_ids(words) == alone


def test_cold_and_warm_cache_give_the_word_by_word_vectors(embedder: _WordEmbedder) -> None:
    embedder._reset()
    cold = embedder.embed(TEXTS)
    warm = embedder.embed(TEXTS)
    assert np.array_equal(cold, warm)
    for row, text in zip(cold, TEXTS, strict=True):
        np.testing.assert_allclose(row, _reference(embedder, text), rtol=0, atol=1e-6)
    assert not cold[3].any()  # the empty text


def test_cache_reset_mid_document(embedder: _WordEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    both = f"{TEXTS[0]} {TEXTS[1]}"
    embedder._reset()
    expected = embedder.embed([both])
    embedder._reset()
    monkeypatch.setattr(extractive_features, "_MAX_WORDS", 20)
    embedder.embed(TEXTS[:1])  # its words fill the cache near its limit
    # the unseen words of ``both`` overflow the cache: it starts afresh with all of them
    assert np.array_equal(embedder.embed([both]), expected)
    assert len(embedder.index) == len(set(both.split()))
