"""PDF text layer through pypdf; encrypted, image-only and truncated PDFs are refused."""

from __future__ import annotations

import io
import re

from litdigest.documents import CleanMode, Format, Metadata, RawRecord
from litdigest.errors import InputError
from litdigest.ingest._common import collapse, dedupe_authors, one_line, quiet

_EOF_WINDOW = 2048
_JUNK_TITLE = re.compile(
    r"^(?:untitled|microsoft word\b.*|.*\.(?:docx?|pdf|tex|dvi|indd|qxd|rtf)|title|document\d*"
    r"|slide \d+|\W*)$",
    re.IGNORECASE,
)
_AUTHOR_SPLIT = re.compile(r"(?<!\s)(?:\s*;\s*|\s+and\s+)")  # (?<!\s): linear on blanks


def _metadata(reader: object) -> Metadata:
    info = getattr(reader, "metadata", None)
    if info is None:
        return Metadata()
    title = collapse(str(info.title or "")) if getattr(info, "title", None) else ""
    author = collapse(str(info.author or "")) if getattr(info, "author", None) else ""
    if _JUNK_TITLE.match(title):
        title = ""
    authors = [a for a in _AUTHOR_SPLIT.split(author) if a] if author else []
    return Metadata(title=title or None, authors=dedupe_authors(authors))


def read_pdf(data: bytes, source: str) -> list[RawRecord]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise InputError(source, "truncated PDF: no %%EOF end marker (incomplete download?)")
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
            meta = _metadata(reader)
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
    if not pages:
        raise InputError(source, "PDF has no pages")
    text = "\n\n".join(p.strip("\n") for p in pages)
    visible = len("".join(text.split()))
    if visible < min(200, 20 * len(pages)):
        raise InputError(source, "PDF has no text layer (scanned images?); run OCR on it first")
    return [
        RawRecord(
            text=text, metadata=meta, format=Format.PDF, source=source, clean_mode=CleanMode.PDF
        )
    ]
