"""Cleaning: turn a ``RawRecord`` into a ``Document`` with clean article text and metadata."""

from __future__ import annotations

from litdigest.clean.boilerplate import strip_boilerplate
from litdigest.clean.metadata import extract_metadata
from litdigest.clean.normalize import normalize_text
from litdigest.clean.pdf_pages import clean_pages
from litdigest.clean.pdf_repair import looks_hard_wrapped, repair_pdf_text
from litdigest.clean.pdf_sections import clean_pdf_sections
from litdigest.config import CleanSettings
from litdigest.documents import CleanMode, CleanStats, Document, Metadata, RawRecord, content_hash
from litdigest.errors import InputError

__all__ = ["clean_record", "clean_text"]


_PAGE_BREAK = "\f"


def _clean_pdf(text: str, settings: CleanSettings, stats: CleanStats, title: str | None) -> str:
    """A PDF text layer, pages separated by form feeds: page furniture and tables out, lines
    joined into paragraphs, back matter and front-matter boilerplate out, the title first."""
    pages = [normalize_text(page) for page in text.split(_PAGE_BREAK)]
    pages, page_stats = clean_pages(pages)
    out, repair = repair_pdf_text(
        f"\n{_PAGE_BREAK}\n".join(pages), dehyphenate=settings.repair_hyphenation, layout=True
    )
    stats.hyphenations_repaired = repair.hyphenations_repaired
    stats.line_breaks_joined = repair.line_breaks_joined
    out, sections = clean_pdf_sections(out, title)
    stats.lines_kept = sections.paragraphs_kept
    stats.lines_dropped = (
        sections.paragraphs_dropped + page_stats.furniture_lines + page_stats.table_lines
    )
    return out


def clean_text(
    text: str,
    mode: CleanMode,
    settings: CleanSettings | None = None,
    *,
    title: str | None = None,
) -> tuple[str, CleanStats]:
    """Clean one text according to ``mode``; returns the text and what was done.

    ``title`` (PDF mode) is the title read from the PDF's layout; it becomes the first line.
    """
    settings = settings or CleanSettings()
    stats = CleanStats(chars_in=len(text), lines_in=text.count("\n") + 1 if text else 0)
    if mode is CleanMode.PDF:
        out = _clean_pdf(text, settings, stats, title).strip()
        stats.chars_out = len(out)
        return out, stats
    out = normalize_text(text)
    wrapped = mode is CleanMode.SCRAPED and looks_hard_wrapped(out)
    if wrapped:
        out, repair = repair_pdf_text(out, dehyphenate=settings.repair_hyphenation)
        stats.hyphenations_repaired = repair.hyphenations_repaired
        stats.line_breaks_joined = repair.line_breaks_joined
    if mode is not CleanMode.STRUCTURED:
        out, bp = strip_boilerplate(
            out,
            drop_references=settings.drop_references,
            find_region=mode is not CleanMode.EXTRACTED,
            comment_tail=not wrapped,  # in PDF text a "Comment" heading is a section
        )
        stats.lines_kept = bp.lines_kept
        stats.lines_dropped = bp.lines_dropped
        stats.duplicates_dropped = bp.duplicates_dropped
    else:
        stats.lines_kept = out.count("\n") + 1 if out else 0
    out = out.strip()
    stats.chars_out = len(out)
    return out, stats


def _complete(metadata: Metadata) -> bool:
    """Every field known (a PDF's page 1 and footers often state them all): nothing to look
    for in the text."""
    return bool(
        metadata.title and metadata.authors and metadata.journal and metadata.year and metadata.doi
    )


def clean_record(record: RawRecord, settings: CleanSettings | None = None) -> Document:
    """Clean a record and fill metadata the text states but the record lacks."""
    title = record.metadata.title if record.clean_mode is CleanMode.PDF else None
    text, stats = clean_text(record.text, record.clean_mode, settings, title=title)
    if not text:
        raise InputError(record.source, "no article text left after cleaning")
    metadata = record.metadata
    if not _complete(metadata):
        metadata = metadata.merged(extract_metadata(record.text, text))
    return Document(
        doc_id=content_hash(text),
        text=text,
        metadata=metadata,
        format=record.format,
        source=record.source,
        stats=stats,
    )
