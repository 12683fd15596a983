"""Ingest: find input files, detect their format by content and read them into records.

``read_file`` returns the usable records of a file and raises ``InputError`` only when
there are none; ``read_file_detailed`` also returns the per-record problems of
multi-record files (RIS, BibTeX, MEDLINE, PubMed XML) so they can be reported while the
good records are still used.
"""

from __future__ import annotations

from pathlib import Path

from litdigest.config import IngestSettings
from litdigest.documents import CleanMode, Format, Metadata, RawRecord
from litdigest.errors import InputError
from litdigest.ingest._common import Detailed
from litdigest.ingest.decode import binary_kind, decode_text, head_text
from litdigest.ingest.detect import detect_format
from litdigest.ingest.files import human_size, iter_input_files, load_bytes
from litdigest.ingest.markdown import markdown_to_text

__all__ = [
    "detect_format",
    "iter_input_files",
    "read_bytes",
    "read_bytes_detailed",
    "read_file",
    "read_file_detailed",
]

_DEFAULTS = IngestSettings()


def _single(
    text: str,
    source: str,
    fmt: Format,
    metadata: Metadata | None = None,
    mode: CleanMode = CleanMode.SCRAPED,
) -> list[RawRecord]:
    return [
        RawRecord(
            text=text,
            metadata=metadata or Metadata(),
            format=fmt,
            source=source,
            clean_mode=mode,
        )
    ]


def read_bytes_detailed(
    data: bytes,
    source: str,
    fmt: Format | None = None,
    *,
    settings: IngestSettings | None = None,
    path: Path | None = None,
) -> Detailed:
    """Records and per-record errors of one document; raises ``InputError`` for file-level problems."""
    settings = settings or _DEFAULTS
    if not data:
        raise InputError(source, "empty file")
    if len(data) > settings.max_file_bytes:
        raise InputError(
            source,
            f"file too large: {human_size(len(data))} exceeds the limit of"
            f" {human_size(settings.max_file_bytes)} (ingest.max_file_bytes)",
        )
    if data.isspace() or (len(data) <= 4096 and not head_text(data).strip("\ufeff\x00 \t\r\n\f\v")):
        raise InputError(source, "file contains only whitespace")
    if fmt is None:
        kind = binary_kind(data)
        if kind:
            raise InputError(source, f"binary file: {kind}")
        fmt = detect_format(data, path if path is not None else Path(source))
    limit = settings.max_records_per_file
    if fmt is Format.PDF:
        from litdigest.ingest.pdf import read_pdf

        return read_pdf(data, source), []
    if fmt is Format.HTML:
        from litdigest.ingest.html import read_html

        return read_html(data, source), []
    if fmt is Format.RIS:
        from litdigest.ingest.ris import read_ris

        return read_ris(data, source, limit)
    if fmt is Format.BIBTEX:
        from litdigest.ingest.bibtex import read_bibtex

        return read_bibtex(data, source, limit)
    if fmt is Format.PUBMED_XML:
        from litdigest.ingest.pubmed import read_pubmed_xml

        return read_pubmed_xml(data, source, limit)
    if fmt is Format.MEDLINE:
        from litdigest.ingest.pubmed import read_medline

        return read_medline(data, source, limit)
    if fmt is Format.JATS:
        from litdigest.ingest.jats import read_jats

        return read_jats(data, source, limit)
    text = decode_text(data, source)
    if not text.strip():
        raise InputError(source, "file contains only whitespace")
    if fmt is Format.MARKDOWN:
        plain, meta = markdown_to_text(text)
        if not plain:
            raise InputError(source, "Markdown file has no text")
        # Markdown is authored (a note, or a page already reduced to its content): no page
        # chrome to cut around, so the main-content search would only cut dense lists away.
        return _single(plain, source, Format.MARKDOWN, meta, CleanMode.EXTRACTED), []
    return _single(text, source, Format.TEXT), []


def _usable(detailed: Detailed, source: str) -> list[RawRecord]:
    records, errors = detailed
    if records:
        return records
    if not errors:
        raise InputError(source, "no usable record")
    if len(errors) == 1:
        raise errors[0]
    first = errors[0]
    raise InputError(
        source,
        f"no usable record: all {len(errors)} records are malformed"
        f" (first: {first.source}: {first.reason})",
    )


def read_bytes(
    data: bytes, source: str, fmt: Format | None = None, *, settings: IngestSettings | None = None
) -> list[RawRecord]:
    """Usable records of one in-memory document (``source`` names it in records and errors)."""
    return _usable(read_bytes_detailed(data, source, fmt, settings=settings), source)


def read_file_detailed(path: Path, settings: IngestSettings) -> Detailed:
    """Good records and per-record errors; raises ``InputError`` when the file itself is unusable."""
    data = load_bytes(path, settings)
    return read_bytes_detailed(data, str(path), settings=settings, path=path)


def read_file(path: Path, settings: IngestSettings) -> list[RawRecord]:
    """Usable records of one file; ``InputError`` (one line) when there is none."""
    return _usable(read_file_detailed(path, settings), str(path))
