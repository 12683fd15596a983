"""Safe XML parsing: no DTD loading, no entity expansion, no network, no huge trees."""

from __future__ import annotations

import html.entities
import re

from lxml import etree

from litdigest.errors import InputError
from litdigest.ingest._common import one_line
from litdigest.ingest.decode import decode_text

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_NAMED_REF = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_ENCODING_DECL = re.compile(r"\A(<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']")


def _parser() -> etree.XMLParser:
    # A fresh parser per document: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=False,
    )


def _named_to_numeric(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name in _XML_PREDEFINED:
        return match.group(0)
    codepoint = html.entities.name2codepoint.get(name.decode("ascii"))
    return b"&#%d;" % codepoint if codepoint is not None else b""


def local_name(tag: object) -> str:
    """Element name without namespace; '' for comments and processing instructions."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def parse_xml(data: bytes, source: str) -> etree._Element:
    """Parse ``data`` safely; documents declaring entities are refused outright."""
    if _ENTITY_DECL.search(data):
        raise InputError(source, "XML declares entities (<!ENTITY>); refused for safety")
    # Without the DTD, HTML-style named references (&nbsp;) would be dropped or rejected.
    data = _NAMED_REF.sub(_named_to_numeric, data)
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if "UTF-8" not in str(exc) and "encoding" not in str(exc):
            raise InputError(source, f"malformed XML: {one_line(str(exc))}") from None
    except ValueError as exc:
        raise InputError(source, f"malformed XML: {one_line(str(exc))}") from None
    # Mislabelled or legacy encoding: decode leniently and parse as UTF-8.
    text = _ENCODING_DECL.sub(r"\1", decode_text(data, source).lstrip())
    try:
        return etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(source, f"malformed XML: {one_line(str(exc))}") from None


def text_of(el: etree._Element | None) -> str:
    """All text inside ``el``, whitespace collapsed."""
    if el is None:
        return ""
    text = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return " ".join(text.split())
