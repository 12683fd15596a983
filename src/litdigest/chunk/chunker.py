"""Token-aware chunking that respects paragraph and sentence boundaries.

Every chunk records its character span in the cleaned text, and ``chunk.text`` is exactly
``text[chunk.start:chunk.end]``, so quotes found in a chunk map back to the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from litdigest.chunk.tokens import get_encoding
from litdigest.config import ChunkSettings
from litdigest.documents import Chunk, Document

# Abbreviations after which a period does not end a sentence.
_ABBREV = frozenset(
    "al fig figs e.g eg i.e ie etc vs cf ref refs no nos vol approx ca dr prof mr mrs ms st "
    "jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co resp suppl eq sp spp var".split()
)
# Candidate sentence end: . ! ? (with closing quotes/brackets) then whitespace and an upper-case
# letter, digit or opening quote/bracket.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Stripped (start, end) spans of the sentences in text[start:end]."""
    end = len(text) if end is None else end
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if text[m.start()] == ".":
            word = _WORD_BEFORE.search(text, max(pos, m.start() - 12), m.start())
            token = word.group(1).lower().strip(".") if word else ""
            if token in _ABBREV or (len(token) == 1 and token.isalpha()):
                continue  # "et al. Smith", "Fig. 2", "J. Smith"
        yield from _strip(text, pos, m.end())
        pos = m.end()
    yield from _strip(text, pos, end)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int  # exclusive; trailing whitespace excluded
    n_tokens: int
    paragraph_end: bool


def _spans(text: str, pattern: re.Pattern[str], start: int, end: int) -> Iterator[tuple[int, int]]:
    """Non-blank pieces of text[start:end] split after each match, stripped of whitespace."""
    pos = start
    for m in pattern.finditer(text, start, end):
        yield from _strip(text, pos, m.end())
        pos = m.end()
    yield from _strip(text, pos, end)


def _strip(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


class Chunker:
    """Splits text into chunks of at most ``max_tokens`` tokens with sentence overlap."""

    def __init__(self, settings: ChunkSettings | None = None) -> None:
        self.settings = settings or ChunkSettings()
        self.encoding = get_encoding(self.settings.encoding)

    def count(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def _units(self, text: str) -> list[_Unit]:
        units: list[_Unit] = []
        for p_start, p_end in _spans(text, _PARAGRAPH_BREAK, 0, len(text)):
            sentences = list(sentence_spans(text, p_start, p_end))
            for i, (s, e) in enumerate(sentences):
                last = i == len(sentences) - 1
                n = self.count(text[s:e])
                if n <= self.settings.max_tokens:
                    units.append(_Unit(s, e, n, last))
                else:
                    pieces = self._split_long(text, s, e)
                    for j, (ps, pe, pn) in enumerate(pieces):
                        units.append(_Unit(ps, pe, pn, last and j == len(pieces) - 1))
        return units

    def _split_long(self, text: str, start: int, end: int) -> list[tuple[int, int, int]]:
        """Split one over-long sentence at token windows, snapping to whitespace when possible."""
        limit = self.settings.max_tokens
        pieces: list[tuple[int, int, int]] = []
        pos = start
        while pos < end:
            tokens = self.encoding.encode_ordinary(text[pos:end])
            if len(tokens) <= limit:
                pieces.extend((s, e, self.count(text[s:e])) for s, e in _strip(text, pos, end))
                break
            # Cut before the first token that does not fit; a token may end inside a
            # multi-byte character, so round down to a whole character.
            n_bytes = sum(len(b) for b in self.encoding.decode_tokens_bytes(tokens[:limit]))
            head = text[pos:end].encode("utf-8")[:n_bytes].decode("utf-8", errors="ignore")
            cut = pos + len(head)
            space = text.rfind(" ", pos + 1, cut)
            if space > pos + (cut - pos) // 2:
                cut = space
            if cut <= pos:
                cut = pos + 1
            for s, e in _strip(text, pos, cut):
                pieces.append((s, e, self.count(text[s:e])))
            pos = cut
        return pieces

    def split(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, n_tokens) of each chunk of ``text``."""
        units = self._units(text)
        limit, overlap = self.settings.max_tokens, self.settings.overlap_tokens
        out: list[tuple[int, int, int]] = []
        i = 0
        while i < len(units):
            j, total = i, units[i].n_tokens
            while j + 1 < len(units) and total + units[j + 1].n_tokens <= limit:
                j += 1
                total += units[j].n_tokens
            start, end = units[i].start, units[j].end
            n = self.count(text[start:end])
            while n > limit and j > i:  # BPE across joins rarely exceeds the sum; be exact
                j -= 1
                end = units[j].end
                n = self.count(text[start:end])
            out.append((start, end, n))
            if j + 1 >= len(units):
                break
            # Next chunk starts with trailing units of this one, up to the overlap budget,
            # leaving room for the next new unit so that every chunk makes progress.
            budget = min(overlap, limit - units[j + 1].n_tokens)
            k, carried = j + 1, 0
            while k - 1 > i and carried + units[k - 1].n_tokens <= budget:
                k -= 1
                carried += units[k].n_tokens
            i = k
        return out

    def chunk_document(self, doc: Document) -> list[Chunk]:
        return [
            Chunk(doc_id=doc.doc_id, index=n, start=s, end=e, n_tokens=t, text=doc.text[s:e])
            for n, (s, e, t) in enumerate(self.split(doc.text))
        ]
