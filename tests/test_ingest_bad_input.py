"""Bad input: every problem is a one-line ``InputError``, never a crash or a hang."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest

from litdigest.config import IngestSettings
from litdigest.documents import Format
from litdigest.errors import InputError
from litdigest.ingest import read_bytes, read_file

SETTINGS = IngestSettings()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def _error(path: Path, settings: IngestSettings = SETTINGS) -> InputError:
    with pytest.raises(InputError) as info:
        read_file(path, settings)
    err = info.value
    assert "\n" not in str(err)
    assert err.source == str(path)
    return err


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file or directory" in _error(tmp_path / "absent.txt").reason


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert "directory" in _error(tmp_path).reason


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "empty" in _error(path).reason


@pytest.mark.parametrize(
    "data",
    [b"   \n\t\r\n  ", codecs.BOM_UTF8 + b"  \n", codecs.BOM_UTF16_LE + " \n ".encode("utf-16-le")],
)
def test_whitespace_only(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(data)
    assert "whitespace" in _error(path).reason


def test_oversized_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Cytokines " * 50)

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file must not be opened")

    monkeypatch.setattr(Path, "open", no_open)
    err = _error(path, IngestSettings(max_file_bytes=100))
    assert "too large" in err.reason
    assert "100 bytes" in err.reason


def test_png_refused(tmp_path: Path) -> None:
    path = tmp_path / "figure.txt"
    path.write_bytes(PNG + b"\x00" * 64)
    assert "PNG image" in _error(path).reason


def test_zip_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("paper.txt", "T cells")
    path = tmp_path / "paper.docx"
    path.write_bytes(buf.getvalue())
    assert "ZIP archive" in _error(path).reason


def test_nul_bytes_in_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(b"Interleukin-2 drives T cell expansion.\x00\x00\x01 more text here " * 3)
    assert "binary" in _error(path).reason


def test_random_binary_without_signature(tmp_path: Path) -> None:
    path = tmp_path / "blob.dat"
    path.write_bytes(bytes(range(1, 32)) * 40)
    assert "binary" in _error(path).reason


def test_invalid_utf8_in_mostly_utf8_text_is_replaced() -> None:
    data = "Tumour-infiltrating lymphocytes — naïve T cells in café study.\n".encode() * 3
    data += b"one stray byte \xff here\n"
    (record,) = read_bytes(data, "mixed.txt")
    assert "naïve T cells in café" in record.text
    assert "\ufffd" in record.text


def test_latin1_text_decoded() -> None:
    data = "Müller's naïve T cells: a résumé of 1990s café-au-lait immunology.\n".encode("latin-1")
    (record,) = read_bytes(data, "latin1.txt")
    assert "Müller's naïve T cells: a résumé" in record.text


def test_cp1252_smart_quotes() -> None:
    data = "The \u201ccold\u201d tumour \u2013 a review\n".encode("cp1252")
    (record,) = read_bytes(data, "cp1252.txt")
    assert "The \u201ccold\u201d tumour \u2013 a review" in record.text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    text = "Regulatory T cells (Tregs) suppress anti-tumour immunity — ΔCT values.\n"
    (record,) = read_bytes(bom + text.encode(codec), "u16.txt")
    assert record.text == text


def test_utf8_bom_stripped() -> None:
    (record,) = read_bytes(codecs.BOM_UTF8 + b"Macrophage polarisation.\n", "bom.txt")
    assert record.text == "Macrophage polarisation.\n"


def test_malformed_ris_without_records(tmp_path: Path) -> None:
    path = tmp_path / "bad.ris"
    path.write_text("AU  - Doe, J\nTI  - No type line\nPY  - 2020\nER  - \n")
    err = _error_bytes(path.read_bytes(), str(path), Format.RIS)
    assert "malformed RIS" in err.reason


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param(
            "bad.bib", "@article{key, title = {Never closed, year = 2020\n", "BibTeX", id="bibtex"
        ),
        pytest.param(
            "bad.txt",
            "PMID- 1\nOWN - NLM\nDP  - 2001\nSO  - Nowhere.\n",
            "neither a title nor an abstract",
            id="medline-without-title-or-abstract",
        ),
        pytest.param(
            "bad.xml",
            "<PubmedArticleSet><PubmedArticle><MedlineCitation>",
            "malformed XML",
            id="malformed-xml",
        ),
        pytest.param(
            "empty.xml",
            "<PubmedArticleSet></PubmedArticleSet>",
            "no PubmedArticle",
            id="pubmed-xml-without-articles",
        ),
    ],
)
def test_malformed_record_file(tmp_path: Path, name: str, content: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert reason in _error(path).reason


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><Article>
<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE article [
<!ENTITY a "lollollollollollollollollollol">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<article><front><article-meta><title-group><article-title>&h;</article-title></title-group>
</article-meta></front></article>
"""


@pytest.mark.timeout(10)
@pytest.mark.parametrize("data", [XXE, BOMB], ids=["xxe", "billion-laughs"])
def test_entity_attacks_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "attack.xml"
    path.write_bytes(data)
    err = _error(path)
    assert "entities" in err.reason
    assert "root:" not in str(err)


@pytest.mark.timeout(10)
def test_external_dtd_is_not_fetched() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE article SYSTEM "http://example.invalid/jats.dtd">\n'
        b"<article><front><article-meta><title-group><article-title>Safe&nbsp;title"
        b"</article-title></title-group></article-meta></front></article>"
    )
    (record,) = read_bytes(data, "x.nxml")
    assert record.metadata.title == "Safe title"  # &nbsp; mapped, whitespace collapsed


def _error_bytes(data: bytes, source: str, fmt: Format | None = None) -> InputError:
    with pytest.raises(InputError) as info:
        read_bytes(data, source, fmt)
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize(
    "name", ["with space.txt", "new\nline.txt", "ünïcödé-免疫.txt", "semi;colon#hash.ris"]
)
def test_odd_file_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("B cells make antibodies.\n")
    (record,) = read_file(path, SETTINGS)
    assert record.source == str(path)
    assert "B cells" in record.text


@pytest.mark.parametrize("declared", ["UTF-8", "ISO-8859-1"])
def test_latin1_xml_with_any_declaration(declared: str) -> None:
    xml = (
        f'<?xml version="1.0" encoding="{declared}"?><PubmedArticleSet><PubmedArticle>'
        "<MedlineCitation><Article><ArticleTitle>Müller café T cells</ArticleTitle></Article>"
        "</MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    (record,) = read_bytes(xml.encode("latin-1"), "latin1.xml")
    assert record.metadata.title == "Müller café T cells"


def test_utf16_without_bom() -> None:
    text = "Cancer-associated fibroblasts exclude T cells from tumour nests.\n"
    (record,) = read_bytes(text.encode("utf-16-le"), "nobom.txt")
    assert record.text == text


def test_namespaced_jats() -> None:
    data = (
        b'<article xmlns="http://jats.nlm.nih.gov/ns"><front><article-meta><title-group>'
        b"<article-title>Namespaced review of gamma-delta T cells</article-title></title-group>"
        b"</article-meta></front><body><sec><title>Intro</title><p>Gamma-delta T cells.</p>"
        b"</sec></body></article>"
    )
    (record,) = read_bytes(data, "ns.nxml")
    assert record.format is Format.JATS
    assert (
        record.text == "Namespaced review of gamma-delta T cells\n\nIntro\n\nGamma-delta T cells."
    )
