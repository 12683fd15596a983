"""Format detection by content; the file extension only breaks ties."""

from __future__ import annotations

import re
from pathlib import Path

from litdigest.documents import Format
from litdigest.ingest.decode import head_text

_PROLOG = re.compile(
    r"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.DOTALL | re.IGNORECASE
)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_JATS_MARKERS = re.compile(
    r"<(?:front|article-meta|journal-meta|article-title)\b|JATS|archivearticle|journalpublishing"
    r"|jats\.nlm\.nih\.gov",
    re.IGNORECASE,
)
_PUBMED = re.compile(r"<Pubmed(?:Book)?Article(?:Set)?\b")
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"</?(?:p|div|span|a|br|li|ul|ol|td|tr|table|h[1-6]|script|style|meta|link|body|head|title"
    r"|section|article|nav|header|footer|em|strong|b|i|img|form|input|button)\b[^<>]*>",
    re.IGNORECASE,
)
_HTML_BLOCK = re.compile(r"<(?:p|div|body|table|section|article|ul|h[1-6])\b", re.IGNORECASE)
_RIS_TY = re.compile(r"^TY\s{1,2}-(?: |$)", re.MULTILINE)
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]\s{1,2}-(?: |$)", re.MULTILINE)
_MEDLINE_PMID = re.compile(r"^PMID- ", re.MULTILINE)
_MEDLINE_TAG = re.compile(r"^[A-Z][A-Z0-9 ]{3}- ", re.MULTILINE)
_BIB_ENTRY = re.compile(r"^[ \t]*@[A-Za-z]+[ \t]*[{(][^,\n{}]*,", re.MULTILINE)
_BIB_FIRST = re.compile(r"\A(?:[ \t]*(?:%[^\n]*)?\n)*[ \t]*@[A-Za-z]+[ \t]*[{(]")
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
# Link text and target exclude their own opening bracket, so matching stays linear on
# hostile input such as "![a](![a](..." (which took minutes with a 64 KiB head).
_MD_LINK = re.compile(r"!?\[[^\[\]\n]+\]\([^()\s]+(?:\s+\"[^\"\n]*\")?\)")
_MD_OTHER = re.compile(
    r"^ {0,3}(?:```|~~~)|\*\*\S[^*\n]*\*\*|^ {0,3}\[[^\]]+\]:\s+\S", re.MULTILINE
)

_MARKDOWN_EXT = frozenset({".md", ".markdown", ".mdown", ".mkd", ".rmd", ".qmd"})
_HTML_EXT = frozenset({".html", ".htm", ".xhtml", ".shtml"})


def root_element(head: str) -> str | None:
    """Name of the first element after the XML prolog, if the text starts with markup."""
    end = _PROLOG.match(head)
    rest = head[end.end() if end else 0 :]
    match = _ROOT.match(rest)
    return match.group(1) if match else None


def detect_format(data: bytes, path: Path | None = None) -> Format:
    """Detect a document's format from its content, using the extension only as a tie-breaker."""
    if b"%PDF-" in data[:1024]:
        return Format.PDF
    head = head_text(data)
    suffix = path.suffix.lower() if path is not None else ""
    stripped = head.lstrip()
    if stripped.startswith("<"):
        root = root_element(stripped)
        local = (root or "").rsplit(":", 1)[-1]
        if local in {"PubmedArticleSet", "PubmedArticle", "PubmedBookArticle"}:
            return Format.PUBMED_XML
        if local in {"article", "pmc-articleset"} and (
            _JATS_MARKERS.search(head) or suffix == ".nxml"
        ):
            return Format.JATS
        if local.lower() == "html" or _HTML_START.search(head[:4096]):
            return Format.HTML
        if _PUBMED.search(head[:4096]):
            return Format.PUBMED_XML
        if suffix == ".nxml":
            return Format.JATS
    elif _HTML_START.search(head[:2048]):
        return Format.HTML
    if _MEDLINE_PMID.search(head) and len(_MEDLINE_TAG.findall(head[:8192])) >= 3:
        return Format.MEDLINE
    if _RIS_TY.search(head) and len(_RIS_TAG.findall(head[:8192])) >= 3:
        return Format.RIS
    if _BIB_FIRST.match(head) or len(_BIB_ENTRY.findall(head)) >= 2:
        return Format.BIBTEX
    tags = len(_HTML_TAG.findall(head[:16384]))
    if tags >= 8 and _HTML_BLOCK.search(head[:16384]):
        return Format.HTML
    if suffix in _HTML_EXT and tags:
        return Format.HTML
    if suffix == ".ris" and _RIS_TY.search(head):
        return Format.RIS
    if suffix == ".bib" and _BIB_ENTRY.search(head):
        return Format.BIBTEX
    if suffix in _MARKDOWN_EXT or _looks_like_markdown(head):
        return Format.MARKDOWN
    return Format.TEXT


def _looks_like_markdown(head: str) -> bool:
    headings = len(_MD_HEADING.findall(head))
    links = len(_MD_LINK.findall(head))
    other = len(_MD_OTHER.findall(head))
    return headings >= 2 or (headings >= 1 and links + other >= 1) or links >= 3 or other >= 3
