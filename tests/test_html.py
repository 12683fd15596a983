"""HTML ingest: trafilatura main content, metadata from meta tags, robust decoding."""

from __future__ import annotations

import pytest

from litdigest.clean import clean_record
from litdigest.documents import CleanMode, Format
from litdigest.errors import InputError
from litdigest.ingest.html import decode_html, read_html

BODY = (
    "Tumour-associated macrophages restrain cytotoxic T cells through interleukin-10 and "
    "arginase, and their depletion sensitises mouse pancreatic tumours to checkpoint blockade. "
)

PAGE = f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="{{charset}}">
<title>Macrophages gate T cell entry – Journal of Tumour Immunology</title>
<meta name="citation_title" content="Macrophages gate T cell entry into pancreatic tumours">
<meta name="citation_author" content="Raman, Priya">
<meta name="citation_author" content="Kowalczyk, Tomasz">
<meta name="citation_journal_title" content="Journal of Tumour Immunology">
<meta name="citation_publication_date" content="2023/03/14">
<meta name="citation_doi" content="10.1234/JTI.2023.0077">
</head><body>
<header><nav><a href="/">Home</a> <a href="/subscribe">Subscribe</a></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<article>
<h1>Macrophages gate T cell entry into pancreatic tumours</h1>
<p>{BODY * 3}</p>
<p>Größere Kohorten bestätigen diesen Befund: {BODY * 2}</p>
<p>{BODY.replace("mouse", "human")} Stromal remodelling follows within days.</p>
</article>
<footer>© 2023 Example Publisher. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>
"""


def test_read_html_content_and_metadata() -> None:
    (record,) = read_html(PAGE.replace("{charset}", "utf-8").encode("utf-8"), "page.html")
    assert record.format is Format.HTML
    assert record.clean_mode is CleanMode.EXTRACTED
    assert record.text.split("\n")[0] == "Macrophages gate T cell entry into pancreatic tumours"
    assert "Größere Kohorten" in record.text
    assert "cookies" not in record.text
    meta = record.metadata
    assert meta.title == "Macrophages gate T cell entry into pancreatic tumours"
    assert meta.authors == ["Raman, Priya", "Kowalczyk, Tomasz"]
    assert meta.journal == "Journal of Tumour Immunology"
    assert meta.year == 2023
    assert meta.doi == "10.1234/jti.2023.0077"


def test_declared_latin1_is_decoded() -> None:
    # Pages declaring ISO-8859-1 are in practice windows-1252 (the en dash in the <title>).
    data = PAGE.replace("{charset}", "iso-8859-1").encode("cp1252")
    (record,) = read_html(data, "page.html")
    assert "Größere Kohorten" in record.text


def test_undeclared_legacy_encoding_is_detected() -> None:
    text = (
        "<html><body><p>"
        + ("Größere Kohorten bestätigen die Ergebnisse. " * 20)
        + "</p></body></html>"
    )
    assert "Größere" in decode_html(text.encode("cp1252"))


def test_cleaned_html_record_keeps_title_first() -> None:
    (record,) = read_html(PAGE.replace("{charset}", "utf-8").encode("utf-8"), "page.html")
    doc = clean_record(record)
    assert doc.text.split("\n")[0] == "Macrophages gate T cell entry into pancreatic tumours"
    assert "Stromal remodelling follows within days." in doc.text


@pytest.mark.parametrize(
    "data", [b"", b"   ", b"<html><head><title>x</title></head><body><nav>Home</nav></body></html>"]
)
def test_no_content_raises_input_error(data: bytes) -> None:
    with pytest.raises(InputError):
        read_html(data, "empty.html")
