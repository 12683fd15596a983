"""Cleaning: turn a ``RawRecord`` into a ``Document`` with clean article text and metadata."""

from __future__ import annotations

from litdigest.clean.boilerplate import strip_boilerplate
from litdigest.clean.metadata import extract_metadata
from litdigest.clean.normalize import normalize_text
from litdigest.clean.pdf_repair import looks_hard_wrapped, repair_pdf_text
from litdigest.config import CleanSettings
from litdigest.documents import CleanMode, CleanStats, Document, RawRecord, content_hash
from litdigest.errors import InputError

__all__ = ["clean_record", "clean_text"]


def clean_text(
    text: str, mode: CleanMode, settings: CleanSettings | None = None
) -> tuple[str, CleanStats]:
    """Clean one text according to ``mode``; returns the text and what was done."""
    settings = settings or CleanSettings()
    stats = CleanStats(chars_in=len(text), lines_in=text.count("\n") + 1 if text else 0)
    out = normalize_text(text)
    if mode is CleanMode.PDF or (mode is CleanMode.SCRAPED and looks_hard_wrapped(out)):
        out, repair = repair_pdf_text(out, dehyphenate=settings.repair_hyphenation)
        stats.hyphenations_repaired = repair.hyphenations_repaired
        stats.line_breaks_joined = repair.line_breaks_joined
    if mode is not CleanMode.STRUCTURED:
        out, bp = strip_boilerplate(
            out,
            drop_references=settings.drop_references,
            find_region=mode is not CleanMode.EXTRACTED,
        )
        stats.lines_kept = bp.lines_kept
        stats.lines_dropped = bp.lines_dropped
        stats.duplicates_dropped = bp.duplicates_dropped
    else:
        stats.lines_kept = out.count("\n") + 1 if out else 0
    out = out.strip()
    stats.chars_out = len(out)
    return out, stats


def clean_record(record: RawRecord, settings: CleanSettings | None = None) -> Document:
    """Clean a record and fill metadata the text states but the record lacks."""
    text, stats = clean_text(record.text, record.clean_mode, settings)
    if not text:
        raise InputError(record.source, "no article text left after cleaning")
    found = extract_metadata(record.text, text)
    metadata = record.metadata.merged(found)
    return Document(
        doc_id=content_hash(text),
        text=text,
        metadata=metadata,
        format=record.format,
        source=record.source,
        stats=stats,
    )
