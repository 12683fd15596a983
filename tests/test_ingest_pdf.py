"""PDF ingest on PDFs generated in the test: text layer, metadata and the refusals."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from litdigest.config import IngestSettings
from litdigest.documents import CleanMode, Format
from litdigest.errors import InputError
from litdigest.ingest import read_bytes, read_file
from tests.pdf_writer import escape, pages_pdf

LINES = [
    "Immunogenic cell death releases calreticulin and ATP from dying tumour cells.",
    "Dendritic cells then cross-present tumour antigens to CD8+ T cells.",
    "Anthracyclines and oxaliplatin are classical inducers of this process.",
]


def make_text_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A minimal PDF with a Helvetica text layer, one line of ``pages[i]`` under the other."""
    streams: list[bytes] = []
    for lines in pages:
        ops = " ".join(f"({escape(line)}) Tj T*" for line in lines)
        streams.append(f"BT /F1 11 Tf 72 720 Td 14 TL {ops} ET".encode("latin-1"))
    return pages_pdf(streams, info, encoding=None)


def _blank_pdf(pages: int = 2, password: str | None = None, owner: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if password is not None:
        writer.encrypt(password, owner_password=owner, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_text_layer_pages_and_metadata(tmp_path: Path) -> None:
    data = make_text_pdf(
        [LINES, ["Second page: PD-1 blockade synergises with chemotherapy."]],
        info={"Title": "The secret ally", "Author": "Galluzzi, L; Kroemer, G"},
    )
    path = tmp_path / "paper.bin"
    path.write_bytes(data)
    (record,) = read_file(path, IngestSettings())
    assert record.format is Format.PDF
    assert record.clean_mode is CleanMode.PDF
    assert record.source == str(path)
    for line in LINES:
        assert line in record.text
    first, second = record.text.split("\n\f\n")  # a form feed between pages
    assert "calreticulin" in first
    assert second.startswith("Second page: PD-1 blockade")
    assert record.metadata.title == "The secret ally"
    assert record.metadata.authors == ["Galluzzi, L", "Kroemer, G"]


def test_junk_pdf_title_ignored() -> None:
    data = make_text_pdf([LINES], info={"Title": "Microsoft Word - draft3.docx"})
    (record,) = read_bytes(data, "x.pdf")
    assert record.metadata.title is None


def test_no_text_layer() -> None:
    with pytest.raises(InputError, match="no text layer"):
        read_bytes(_blank_pdf(), "scan.pdf")


def test_encrypted_with_password() -> None:
    with pytest.raises(InputError, match="encrypted PDF: a password is required"):
        read_bytes(_blank_pdf(password="secret"), "locked.pdf")


def test_encrypted_with_empty_user_password_is_decrypted() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_text_pdf([LINES])))
    writer.encrypt("", owner_password="owner-only", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    (record,) = read_bytes(buf.getvalue(), "owner-locked.pdf")
    assert "calreticulin" in record.text


def test_truncated_pdf() -> None:
    data = make_text_pdf([LINES])
    with pytest.raises(InputError, match="truncated PDF"):
        read_bytes(data[: len(data) // 2], "cut.pdf")


def test_corrupt_pdf_with_eof_marker() -> None:
    data = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ngarbage\n%%EOF\n"
    with pytest.raises(InputError) as info:
        read_bytes(data, "broken.pdf")
    assert "\n" not in str(info.value)


def test_pypdf_is_quiet_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    data = make_text_pdf([LINES])
    broken_xref = data.replace(b"startxref\n", b"startxref\n1").replace(b"xref\n0", b"xref\n1")
    (record,) = read_bytes(broken_xref, "odd.pdf")  # pypdf repairs the xref, noisily
    assert "calreticulin" in record.text
    captured = capfd.readouterr()
    assert captured.err == ""
