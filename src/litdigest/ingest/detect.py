"""Format detection by content; the file extension only breaks ties."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

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


# --- files that are not articles ------------------------------------------------------------
# A corpus folder often holds a LICENSE, a README, a script or a spreadsheet next to the
# articles. These are skipped (never cleaned, never sent to a model) unless the user asks for
# everything (``ingest.include_all`` / ``--include-all``).

_PROJECT_FILES: Final = {
    "license": "a licence",
    "licence": "a licence",
    "copying": "a licence",
    "copyright": "a licence",
    "notice": "a licence notice",
    "readme": "a README",
    "changelog": "a changelog",
    "authors": "a project file",
    "contributors": "a project file",
    "contributing": "a project file",
    "code_of_conduct": "a project file",
    "makefile": "source code",
    "dockerfile": "source code",
    "citation": "a project file",
}
_PREFIX_NAMES: Final = frozenset({"license", "licence", "copying", "readme", "changelog"})
_CODE_EXT: Final = frozenset(
    ".py .pyi .ipynb .js .mjs .cjs .ts .tsx .jsx .c .h .cc .cpp .cxx .hpp .java .kt .scala .go"
    " .rs .rb .php .pl .pm .sh .bash .zsh .fish .ps1 .bat .cmd .r .jl .swift .cs .lua .sql"
    " .css .scss .json .jsonl .yaml .yml .toml .ini .cfg .conf .lock .cff .vim .el".split()
)
_TABLE_EXT: Final = frozenset(
    ".csv .tsv .tab .xlsx .xls .ods .parquet .feather .arrow .npy .npz .h5 .hdf5 .sav .dta"
    " .pkl .pickle .sqlite .sqlite3 .db".split()
)
_TEXTISH_EXT: Final = frozenset({"", ".txt", ".md", ".rst", ".markdown", ".text"})
_LICENCE_TEXT = re.compile(
    r"Permission is hereby granted, free of charge|GNU (?:LESSER |AFFERO )?GENERAL PUBLIC"
    r" LICENSE|Apache License,? Version 2\.0|Redistribution and use in source and binary forms"
    r"|THE SOFTWARE IS PROVIDED \"?AS IS\"?|Mozilla Public License,? (?:v\. |version )?2\.0"
    r"|This is free and unencumbered software released into the public domain",
    re.IGNORECASE,
)
_CODE_LINE = re.compile(
    r"^\s*(?:(?:def|class|import|from|return|if|elif|else|for|while|try|except|finally|with"
    r"|function|var|let|const|public|private|static|void|int|package|using|fn|impl|struct"
    r"|#include|#define|#!)\b|//|/\*|\*/|[{}\])]+;?\s*$)|[;{]\s*$|^\s*[\w.\[\]\"']+\s*[:+\-*/]?="
    r"\s*\S",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n\s*\n")
_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]+")


def non_article_name(path: Path) -> str | None:
    """Why the file's name says it is not an article (a licence, README, code, table), or None."""
    suffix = path.suffix.lower()
    stem = path.name.lower().removesuffix(suffix).replace("-", "_")
    prefix = stem.split("_")[0]  # LICENSE-MIT, README_fr
    kind = _PROJECT_FILES.get(stem) or (
        _PROJECT_FILES.get(prefix) if prefix in _PREFIX_NAMES else None
    )
    if kind is not None and suffix in _TEXTISH_EXT:
        return kind
    if suffix in _CODE_EXT:
        return "source code or a data file"
    if suffix in _TABLE_EXT:
        return "a data table"
    return None


def _is_table(lines: list[str]) -> bool:
    for sep in ("\t", ",", ";", "|"):
        counts = [line.count(sep) for line in lines]
        common = max(set(counts), key=counts.count)
        if common >= 2 and counts.count(common) >= 0.8 * len(lines):
            return True
    return False


def has_prose(text: str, min_words: int = 6) -> bool:
    """True if ``text`` holds at least one sentence of ``min_words`` or more words."""
    for sentence in _SENTENCE_END.split(text):
        words = _WORD.findall(sentence)
        tokens = sentence.split()
        if len(words) >= min_words and len(words) >= 0.6 * len(tokens):
            return True
    return False


def non_article_text(text: str) -> str | None:
    """Why the text itself is not an article (licence, code, table, no prose), or None."""
    head = text[:4000]
    if _LICENCE_TEXT.search(head) and len(text) < 60_000:
        return "a licence"
    lines = [line for line in head.splitlines() if line.strip()][:80]
    if len(lines) >= 5:
        if sum(bool(_CODE_LINE.search(line)) for line in lines) >= 0.5 * len(lines):
            return "source code"
        if _is_table(lines):
            return "a data table"
    if not has_prose(text):
        return "no prose sentences"
    return None
