"""Bytes to text: BOMs, UTF-8, UTF-16, legacy 8-bit encodings; refuse binary data."""

from __future__ import annotations

import codecs
import re

from litdigest.errors import InputError

# (signature, offset, description); checked before any decoding.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
    (b"BM", 0, ""),  # checked with a size sanity test below
    (b"RIFF", 0, "a RIFF media file"),
    (b"PK\x03\x04", 0, "a ZIP archive (e.g. .docx/.epub/.zip), which is not supported"),
    (b"PK\x05\x06", 0, "an empty ZIP archive"),
    (b"\x1f\x8b", 0, "a gzip archive; decompress it first"),
    (b"BZh", 0, ""),
    (b"\xfd7zXZ\x00", 0, "an xz archive; decompress it first"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"Rar!\x1a\x07", 0, "a RAR archive"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        0,
        "a legacy Microsoft Office file (.doc/.xls), which is not supported",
    ),
    (b"\x7fELF", 0, "an executable"),
    (b"SQLite format 3\x00", 0, "an SQLite database"),
    (b"ftyp", 4, "a video/image container"),
    (b"\x00\x00\x01\x00", 0, "an icon image"),
    (b"wOFF", 0, "a web font"),
    (b"%!PS", 0, "a PostScript file, which is not supported"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_ESCAPED = re.compile(r"[\udc80-\udcff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LATIN_ALPHABETS = frozenset(
    {
        "Basic Latin",
        "Latin-1 Supplement",
        "Latin Extended-A",
        "Latin Extended-B",
        "Latin Extended Additional",
        "General Punctuation",
        "Currency Symbols",
        "Letterlike Symbols",
        "Spacing Modifier Letters",
        "Control character",
    }
)
_HEAD = 65536


def binary_kind(data: bytes) -> str | None:
    """Describe ``data`` if it is a known binary format (PDF excluded), else None."""
    for magic, offset, what in _MAGIC:
        if data.startswith(magic, offset):
            if magic == b"BM":
                if len(data) > 14 and int.from_bytes(data[2:6], "little") == len(data):
                    return "a BMP image"
                continue
            if magic == b"BZh":
                if data[3:4].isdigit() and data[4:10] == b"1AY&SY":
                    return "a bzip2 archive; decompress it first"
                continue
            return what
    return None


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the NULs sit in every other byte of mostly-ASCII text."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    sample = sample[: len(sample) - len(sample) % 2]
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.9 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.9 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _legacy_decode(data: bytes) -> str | None:
    """Decode non-UTF-8 text: Western text as cp1252, other scripts as charset-normalizer says."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 4 * _HEAD]).best()
    if best is not None and not set(best.alphabets) <= _LATIN_ALPHABETS:
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:
            return None
    return data.decode("cp1252", errors="replace")


def decode_text(data: bytes, source: str) -> str:
    """Decode a text file, raising ``InputError`` for binary or undecodable data."""
    kind = binary_kind(data)
    if kind:
        raise InputError(source, f"binary file: {kind}")
    encoding = _bom_encoding(data)
    if encoding is None and b"\x00" in data:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise InputError(source, "binary file: contains NUL bytes, not text")
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            text = data.decode(encoding, errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            escaped = data.decode("utf-8", errors="surrogateescape")
            bad = len(_ESCAPED.findall(escaped))
            good = len(_NON_ASCII.findall(escaped)) - bad
            if good >= bad:
                # Mostly valid UTF-8 with a few stray bytes.
                text = data.decode("utf-8", errors="replace")
            else:
                legacy = _legacy_decode(data)
                if legacy is None:
                    raise InputError(source, "cannot decode the file as text") from None
                text = legacy
    text = text.lstrip("\ufeff")
    head = text[:_HEAD]
    if head and len(_CONTROL.findall(head)) > max(8, len(head) // 100):
        raise InputError(source, "binary file: too many control characters for text")
    return text


def head_text(data: bytes, limit: int = _HEAD) -> str:
    """A cheap, lenient decoding of the first bytes, good enough for format detection."""
    encoding = _bom_encoding(data)
    if encoding is None and b"\x00" in data[:4096]:
        encoding = _utf16_without_bom(data)
    if encoding is not None:
        chunk = data[: limit * 2]
        if encoding.startswith("utf-16") or encoding == "utf-32":
            chunk = chunk[: len(chunk) - len(chunk) % 4]
        return chunk.decode(encoding, errors="replace").lstrip("\ufeff")
    return data[:limit].decode("utf-8", errors="replace")
