"""PDF text layer, page by page; encrypted, image-only and truncated PDFs are refused.

pypdfium2 (PDFium) reads the text layer: it keeps the spaces of justified text and the
reading order of columns. pypdf is the fallback when pypdfium2 is missing or cannot open the
file. With ``LITDIGEST_PDF_BACKEND=pdftotext`` and poppler's ``pdftotext`` on PATH the text
comes from that program, run as a subprocess (poppler is GPL: never imported or bundled).

Pages are joined with a form feed (``\\f``) on a line of its own, so that the cleaner can
tell running heads and footers from the text. Metadata comes from page 1 (title from the
largest type, byline under it), then from the page text (DOI, journal, year: see
``clean.metadata.pdf_metadata``), then from the document information dictionary, whose title
is ignored when it looks like a file name.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field

from litdigest.clean.metadata import parse_pdf_byline, pdf_metadata
from litdigest.documents import CleanMode, Format, Metadata, RawRecord
from litdigest.errors import InputError
from litdigest.ingest._common import collapse, dedupe_authors, one_line, quiet

__all__ = ["PAGE_BREAK", "PAGE_SEPARATOR", "read_pdf"]

PAGE_BREAK = "\f"
# Pages are joined with a form feed on a line of its own: text normalised without it (which
# deletes control characters) still has a blank line between the pages.
PAGE_SEPARATOR = f"\n{PAGE_BREAK}\n"
_EOF_WINDOW = 2048
_BACKEND_ENV = "LITDIGEST_PDF_BACKEND"
_PDFTOTEXT_TIMEOUT = 120
_JUNK_TITLE = re.compile(
    r"^(?:untitled|microsoft word\b.*|.*\.(?:docx?|pdf|tex|dvi|indd|qxd|rtf)|title|document\d*"
    r"|slide \d+|\W*"
    # Typesetting job names: "pone.0115884 1..14", "9785973141004535 1..11", "ms123_final".
    r"|.*\d+\s*\.\.\s*\d+|[\w.-]*\d[\w.-]*)$",
    re.IGNORECASE,
)
_AUTHOR_SPLIT = re.compile(r"(?<!\s)(?:\s*;\s*|\s+and\s+)")  # (?<!\s): linear on blanks
# PDFium is not thread-safe: one document at a time in this process.
_PDFIUM_LOCK = threading.Lock()
# PDFium marks a hyphen it took for a soft hyphen with U+FFFE (U+FFFF is not a character).
_MARKED_HYPHEN_RE = re.compile("\ufffe(?=[ \t]*\r?\n)")


@dataclass
class _Extracted:
    pages: list[str]
    info: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    byline: str | None = None


def _info_metadata(info: dict[str, str]) -> Metadata:
    title = collapse(info.get("Title") or "")
    author = collapse(info.get("Author") or "")
    if _JUNK_TITLE.match(title):
        title = ""
    authors = [a for a in _AUTHOR_SPLIT.split(author) if a] if author else []
    return Metadata(title=title or None, authors=dedupe_authors(authors))


def _clean_page(text: str) -> str:
    """One page's text without PDFium's hyphen marks and stray form feeds.

    PDFium marks a line-end hyphen it took for a soft hyphen with U+FFFE, at the end of the
    line or, when it joined the two lines itself, inside the line ("median\ufffejoining").
    Either way the line break and the hyphen are put back, and the cleaner decides whether
    the word is one ("preservation") or a compound ("median-joining").
    """
    text = _MARKED_HYPHEN_RE.sub("-", text).replace("\ufffe", "-\n")
    return text.replace("\uffff", "").replace(PAGE_BREAK, "\n")


def _with_pdfium(data: bytes, source: str) -> _Extracted | None:
    """Pages and page-1 layout through pypdfium2; None when it is missing or fails to open."""
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return None
    with _PDFIUM_LOCK:
        return _pdfium_pages(data, source)


def _pdfium_pages(data: bytes, source: str) -> _Extracted | None:
    import pypdfium2 as pdfium

    from litdigest.ingest.pdf_layout import page_one_layout

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputError(source, "encrypted PDF: a password is required to read it") from None
        return None  # let pypdf try, and word the error
    try:
        pages: list[str] = []
        for page in pdf:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
        layout = page_one_layout(pdf[0]) if len(pdf) else None
        info = {k: str(v) for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
    except pdfium.PdfiumError as exc:
        raise InputError(source, f"corrupt PDF: {one_line(str(exc))}") from None
    finally:
        pdf.close()
    return _Extracted(
        pages=pages,
        info=info,
        title=layout.title if layout else None,
        byline=layout.byline if layout else None,
    )


def _with_pypdf(data: bytes, source: str) -> _Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    with quiet("pypdf"):
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    decrypted = reader.decrypt("")
                except DependencyError:
                    raise InputError(
                        source,
                        "encrypted PDF uses AES; install the 'cryptography' package to read it",
                    ) from None
                if not decrypted:
                    raise InputError(source, "encrypted PDF: a password is required to read it")
            pages = [page.extract_text() or "" for page in reader.pages]
            meta = reader.metadata
            info = {}
            if meta is not None:
                info = {"Title": str(meta.title or ""), "Author": str(meta.author or "")}
        except InputError:
            raise
        except FileNotDecryptedError:
            raise InputError(source, "encrypted PDF: a password is required to read it") from None
        except RecursionError:
            raise InputError(source, "corrupt PDF: object structure too deeply nested") from None
        except PdfReadError as exc:
            raise InputError(source, f"corrupt or truncated PDF: {one_line(str(exc))}") from None
        except Exception as exc:  # pypdf surfaces damaged files as assorted low-level errors
            reason = one_line(str(exc)) or type(exc).__name__
            raise InputError(source, f"corrupt PDF: {reason}") from None
    return _Extracted(pages=pages, info=info)


def _pdftotext_pages(data: bytes) -> list[str] | None:
    """Pages from poppler's pdftotext (a subprocess), or None when it is absent or fails."""
    binary = shutil.which("pdftotext")
    if binary is None:
        return None
    try:
        done = subprocess.run(
            [binary, "-enc", "UTF-8", "-", "-"],
            input=data,
            capture_output=True,
            timeout=_PDFTOTEXT_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    pages = done.stdout.decode("utf-8", errors="replace").split(PAGE_BREAK)
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page with a form feed
    return pages


def _extract(data: bytes, source: str) -> _Extracted:
    backend = os.environ.get(_BACKEND_ENV, "").strip().lower()
    extracted = None if backend == "pypdf" else _with_pdfium(data, source)
    if extracted is None:
        extracted = _with_pypdf(data, source)
    if backend == "pdftotext":
        pages = _pdftotext_pages(data)
        if pages:
            extracted.pages = pages
    return extracted


def _metadata(extracted: _Extracted, pages: list[str]) -> Metadata:
    found = pdf_metadata(pages)
    authors = parse_pdf_byline(extracted.byline) if extracted.byline else []
    layout = Metadata(title=extracted.title, authors=authors)
    return layout.merged(found).merged(_info_metadata(extracted.info))


def read_pdf(data: bytes, source: str) -> list[RawRecord]:
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise InputError(source, "truncated PDF: no %%EOF end marker (incomplete download?)")
    extracted = _extract(data, source)
    if not extracted.pages:
        raise InputError(source, "PDF has no pages")
    pages = [_clean_page(p).strip("\r\n") for p in extracted.pages]
    text = PAGE_SEPARATOR.join(pages)
    visible = len("".join(text.split()))
    if visible < min(200, 20 * len(pages)):
        raise InputError(source, "PDF has no text layer (scanned images?); run OCR on it first")
    return [
        RawRecord(
            text=text,
            metadata=_metadata(extracted, pages),
            format=Format.PDF,
            source=source,
            clean_mode=CleanMode.PDF,
        )
    ]
