from __future__ import annotations

import itertools
import random

import pytest

from litdigest.chunk.chunker import Chunker, sentence_spans
from litdigest.config import ChunkSettings
from litdigest.documents import Document, content_hash

SENTENCES = [
    "Type I interferon signalling shapes the tumour microenvironment.",
    "In mice, STING agonists increased CD8+ T-cell infiltration by 2.4-fold (Fig. 2).",
    "Smith et al. reported a hazard ratio of 0.62 (95% CI 0.48–0.80) in 312 patients.",
    "Does TGF-β exclude T cells from the tumour core?",
    "Yes: blocking it restored infiltration, e.g. in the EMT6 model.",
    "Dr. J. Doe noted that responses were durable!",
]


def _text(rng: random.Random, paragraphs: int) -> str:
    paras = []
    for _ in range(paragraphs):
        paras.append(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 6))))
    return "\n\n".join(paras)


def test_sentence_splitter_keeps_abbreviations_together() -> None:
    text = " ".join(SENTENCES)
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == SENTENCES


@pytest.mark.parametrize("seed", range(8))
def test_chunks_are_exact_slices_within_budget_and_cover_the_text(seed: int) -> None:
    rng = random.Random(seed)
    text = _text(rng, rng.randint(1, 30))
    settings = ChunkSettings(
        max_tokens=rng.choice([40, 64, 128]), overlap_tokens=rng.choice([0, 10, 20])
    )
    chunker = Chunker(settings)
    doc = Document(doc_id=content_hash(text), text=text, metadata={}, format="text", source="t")
    chunks = chunker.chunk_document(doc)
    assert chunks, "a non-empty text yields chunks"
    covered = [False] * len(text)
    sentence_starts = {s for s, _ in sentence_spans(text)} | {0}
    sentence_ends = {e for _, e in sentence_spans(text)}
    for i, c in enumerate(chunks):
        assert c.index == i
        assert c.text == text[c.start : c.end]
        assert c.n_tokens == chunker.count(c.text) <= settings.max_tokens
        # chunks begin and end on sentence boundaries (no sentence here exceeds the budget)
        assert c.start in sentence_starts
        assert c.end in sentence_ends
        for k in range(c.start, c.end):
            covered[k] = True
        if i:
            assert c.start > chunks[i - 1].start and c.end > chunks[i - 1].end, "progress"
    assert all(covered[k] for k, ch in enumerate(text) if not ch.isspace())


def test_overlap_repeats_trailing_sentences() -> None:
    text = " ".join(SENTENCES * 4)
    chunks = Chunker(ChunkSettings(max_tokens=60, overlap_tokens=25)).split(text)
    assert len(chunks) > 2
    overlaps = [prev[1] - cur[0] for prev, cur in itertools.pairwise(chunks)]
    assert any(o > 0 for o in overlaps)
    no_overlap = Chunker(ChunkSettings(max_tokens=60, overlap_tokens=0)).split(text)
    assert all(b[0] > a[1] for a, b in itertools.pairwise(no_overlap))


def test_oversized_sentence_is_split_at_token_windows() -> None:
    text = "Intro sentence here. " + " ".join(f"cytokine{i}" for i in range(400)) + "."
    chunker = Chunker(ChunkSettings(max_tokens=50, overlap_tokens=0))
    chunks = chunker.split(text)
    assert len(chunks) > 5
    for s, e, n in chunks:
        assert n <= 50
        assert not text[s:e].startswith(" ") and not text[s:e].endswith(" ")
    assert "".join(text[s:e] for s, e, _ in chunks).replace(" ", "") == text.replace(" ", "")


def test_empty_and_whitespace_text() -> None:
    chunker = Chunker()
    assert chunker.split("") == []
    assert chunker.split(" \n\n \t") == []


def test_no_space_language_and_special_tokens() -> None:
    text = "免疫療法は腫瘍に対する" * 200 + " <|endoftext|> end."
    chunks = Chunker(ChunkSettings(max_tokens=64, overlap_tokens=0)).split(text)
    assert all(n <= 64 for _, _, n in chunks)
    assert chunks[-1][1] == len(text)
