"""training/ helpers that run without ../shared: the hashed n-gram features."""

from __future__ import annotations

import math
import zlib

import numpy as np

from litdigest.summarize.backends.extractive_features import (
    NGRAM_DIM,
    ngram_columns,
    ngram_features,
)


def _crc(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


def test_ngram_columns_hash_words_bigrams_and_numbers() -> None:
    got = ngram_columns("may reflect 12 cells")
    words = ["may", "reflect", "0", "cells"]
    pairs = [("may", "reflect"), ("reflect", "0"), ("0", "cells")]
    want = {_crc(w) % NGRAM_DIM for w in words}
    want |= {(_crc(a) * 1000003 + _crc(b)) % NGRAM_DIM for a, b in pairs}
    assert got == sorted(want)
    assert ngram_columns("may reflect 7 cells") == got  # every number is one token
    assert ngram_columns("") == []


def test_ngram_features_bag_and_neighbours() -> None:
    x = ngram_features(["We found it.", "It may reflect this.", "Funding."])
    assert x.shape == (3, 2 * NGRAM_DIM)
    bag = x[:, :NGRAM_DIM]
    for row, text in zip(bag, ["we found it.", "it may reflect this.", "funding."], strict=True):
        cols = ngram_columns(text)
        assert np.count_nonzero(row) == len(cols)
        assert math.isclose(float(np.linalg.norm(row)), 20.0, rel_tol=1e-5)
    around = x[:, NGRAM_DIM:]
    np.testing.assert_allclose(around[0], 0.25 * bag[1])
    np.testing.assert_allclose(around[1], 0.25 * (bag[0] + bag[2]))
    np.testing.assert_allclose(around[2], 0.25 * bag[1])
