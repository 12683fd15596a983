"""training/: the hashed n-gram features (no ../shared needed) and the reproducibility of the
shipped role model (`make train` must rewrite it; needs ../shared and scikit-learn)."""

from __future__ import annotations

import importlib
import importlib.util
import math
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from litdigest.summarize.backends.extractive_features import (
    CONCLUSION,
    METHODS,
    NGRAM_DIM,
    RESULTS,
    ngram_columns,
    ngram_features,
)

REPO = Path(__file__).resolve().parents[1]


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


@pytest.mark.shared
@pytest.mark.slow
def test_make_train_reproduces_the_shipped_model(shared_dir: Path) -> None:
    """`make train`'s recipe (metrics.json), refitted on the committed labels, gives the shipped
    roles-v3.npz (allclose): the shipped model is what the repo's labels and code produce."""
    if importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn (the train extra) is not installed")
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "training" / "train.py"),
            "--check",
            "--shared",
            str(shared_dir),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def _training_module(name: str) -> Any:
    sys.path.insert(0, str(REPO / "training"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(REPO / "training"))


def test_sections_replay_every_heading_like_the_backend() -> None:
    """A section heading followed directly by a subsection heading is no sentence's nearest
    heading; "all" (the backend's way) still enters its section, "nearest" keeps the one before."""
    extract = _training_module("extract")
    train = _training_module("train")
    text = (
        "Abstract\nCONCLUSIONS: Exposure lowered the hormone.\n"
        "Materials and Methods\nAnimals and housing\nFish were kept in tanks.\n"
        "Results\nHormone levels fell by half.\n"
    )
    between = extract.headings_between(text)
    assert between == [
        ("Abstract", "CONCLUSIONS"),
        ("Materials and Methods", "Animals and housing"),
        ("Results",),
    ]
    sents = [
        extract.Sentence("d", extract.sentence_sha(t), i, i / 2, h, t)
        for i, (h, t) in enumerate(extract.split_sentences(text))
    ]
    all_ = [s.section for s in train.document_inputs(sents, between)]
    nearest = [s.section for s in train.document_inputs(sents)]
    assert all_ == [CONCLUSION, METHODS, RESULTS]
    assert nearest == [CONCLUSION, CONCLUSION, RESULTS]


def test_ngram_logits_from_the_sparse_bags_equal_the_dense_product() -> None:
    """The runtime's n-gram logits (bags only, neighbours by shifting) are the dense block's."""
    from litdigest.summarize.backends.extractive_roles import _ngram_logits

    x = ngram_features(["We found it.", "It may reflect this.", "Funding.", "Mice lived longer."])
    coef = np.random.default_rng(0).normal(size=(2 * NGRAM_DIM, 7)).astype(np.float32)
    np.testing.assert_allclose(_ngram_logits(x[:, :NGRAM_DIM], coef), x @ coef, atol=1e-3)
