"""A tiny PDF writer for tests: positioned lines of Helvetica text, in columns, on pages.

Lines are placed with absolute coordinates, in the order given (the content-stream order, which
is the reading order a text extractor follows). A line may be set "justified": its words are
then placed by TJ kerning offsets with no space characters between them, as typesetting
software does for justified text.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

PAGE_WIDTH = 612
PAGE_HEIGHT = 792


@dataclass(frozen=True)
class Line:
    x: float
    y: float
    text: str
    size: float = 9.5
    justified: bool = False


def escape(text: str) -> str:
    """``text`` as the inside of a PDF literal string."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _show(line: Line) -> str:
    if not line.justified:
        return f"({escape(line.text)}) Tj"
    # Word gaps as kerning (thousandths of the font size): no space glyphs in the stream.
    parts = " -200 ".join(f"({escape(w)})" for w in line.text.split())
    return f"[{parts}] TJ"


def _content(lines: list[Line]) -> bytes:
    ops = [
        f"BT /F1 {line.size:g} Tf 1 0 0 1 {line.x:g} {line.y:g} Tm {_show(line)} ET"
        for line in lines
    ]
    return "\n".join(ops).encode("latin-1")


def make_pdf(pages: list[list[Line]], info: dict[str, str] | None = None) -> bytes:
    """A PDF of positioned lines in one Helvetica font (WinAnsi encoding)."""
    return pages_pdf([_content(lines) for lines in pages], info)


def pages_pdf(
    streams: list[bytes],
    info: dict[str, str] | None = None,
    *,
    encoding: str | None = "WinAnsiEncoding",
) -> bytes:
    """A PDF whose page i draws content stream ``streams[i]`` with one Helvetica font /F1
    (``encoding=None``: no /Encoding entry); xref offsets computed by hand."""
    n_pages = len(streams)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode(),
    ]
    for i, stream in enumerate(streams):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Contents {4 + 2 * i} 0 R /Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    font_encoding = f" /Encoding /{encoding}" if encoding else ""
    objects.append(
        f"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica{font_encoding} >>".encode()
    )
    return assemble(objects, info)


def assemble(objects: list[bytes], info: dict[str, str] | None = None) -> bytes:
    """A PDF file from its numbered objects (1: catalog), with an optional /Info dictionary."""
    trailer_extra = b""
    if info:
        entries = " ".join(f"/{k} ({escape(v)})" for k, v in info.items())
        objects.append(f"<< {entries} >>".encode("latin-1"))
        trailer_extra = b" /Info %d 0 R" % len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1) + trailer_extra + b" >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


class Column:
    """Fills a column top-down with wrapped paragraphs and headings, 12 pt apart."""

    def __init__(self, x: float, top: float, bottom: float, width_chars: int = 50) -> None:
        self.x, self.y, self.bottom, self.width = x, top, bottom, width_chars
        self.lines: list[Line] = []

    def full(self) -> bool:
        return self.y < self.bottom

    def add(self, text: str, *, size: float = 9.5, justified: bool = False) -> None:
        self.lines.append(Line(self.x, self.y, text, size, justified))
        self.y -= size + 2.5

    def paragraph(self, text: str, *, justified: bool = False) -> list[str]:
        """Wrap ``text`` into the column; returns the lines that did not fit."""
        wrapped = textwrap.wrap(text, self.width)
        for k, line in enumerate(wrapped):
            if self.full():
                return wrapped[k:]
            last = k == len(wrapped) - 1
            self.add(line, justified=justified and not last)
        return []
