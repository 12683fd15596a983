"""Core data types shared by ingest, clean, chunk and later stages."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Format(StrEnum):
    """Detected input format of a document."""

    TEXT = "text"  # plain text, e.g. a scraped page copied from a browser
    HTML = "html"
    PDF = "pdf"
    RIS = "ris"
    BIBTEX = "bibtex"
    PUBMED_XML = "pubmed-xml"
    MEDLINE = "medline"
    JATS = "jats"
    MARKDOWN = "markdown"


class CleanMode(StrEnum):
    """How much cleaning a record's text needs."""

    SCRAPED = "scraped"  # page text with site chrome, paywalls, reference lists...
    PDF = "pdf"  # PDF text layer: broken lines, lost hyphens, then boilerplate
    STRUCTURED = "structured"  # text from structured fields (RIS, PubMed, JATS): light repair only
    EXTRACTED = "extracted"  # main content already isolated (HTML via trafilatura): residual boilerplate only


class Metadata(BaseModel):
    """Bibliographic metadata; every field may be unknown."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, description="Article title.")
    authors: list[str] = Field(
        default_factory=list, description="Authors, 'Family, Given' when known."
    )
    journal: str | None = Field(default=None, description="Journal or venue name.")
    year: int | None = Field(default=None, description="Publication year.")
    doi: str | None = Field(default=None, description="DOI, lower-case, without a resolver prefix.")

    def merged(self, other: Metadata) -> Metadata:
        """Fill fields that are empty here with values from ``other``."""
        return Metadata(
            title=self.title or other.title,
            authors=self.authors or other.authors,
            journal=self.journal or other.journal,
            year=self.year or other.year,
            doi=self.doi or other.doi,
        )


class RawRecord(BaseModel):
    """One record as read from an input file, before cleaning."""

    text: str = Field(description="Body text as read (may contain boilerplate).")
    metadata: Metadata = Field(default_factory=Metadata)
    format: Format
    source: str = Field(
        description="Path of the input file, with '#n' for the n-th record of many."
    )
    clean_mode: CleanMode = CleanMode.SCRAPED


class CleanStats(BaseModel):
    """What cleaning did to one document."""

    chars_in: int = 0
    chars_out: int = 0
    lines_in: int = 0
    lines_kept: int = 0
    lines_dropped: int = 0
    hyphenations_repaired: int = 0
    line_breaks_joined: int = 0
    duplicates_dropped: int = 0


class Document(BaseModel):
    """A cleaned document, ready to chunk and summarize."""

    doc_id: str = Field(description="Content hash of the cleaned text (sha256, 16 hex digits).")
    text: str = Field(description="Cleaned article text.")
    metadata: Metadata
    format: Format
    source: str
    stats: CleanStats = Field(default_factory=CleanStats)


def content_hash(text: str) -> str:
    """The ``doc_id`` of a cleaned text: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Chunk(BaseModel):
    """A token-bounded slice of a document's cleaned text."""

    doc_id: str
    index: int
    start: int = Field(
        description="Character offset of the chunk's first character in the cleaned text."
    )
    end: int = Field(description="Character offset just past the chunk's last character.")
    n_tokens: int
    text: str
