"""PubMed records: efetch XML (``PubmedArticleSet``) and MEDLINE text (``PMID- ...``)."""

from __future__ import annotations

import re

from lxml import etree

from litdigest.documents import Format, Metadata
from litdigest.ingest._common import (
    Detailed,
    Draft,
    assemble_structured,
    collapse,
    dedupe_authors,
    first_doi,
    parse_year,
    structured_draft,
)
from litdigest.ingest.decode import decode_text
from litdigest.ingest.xmlsafe import local_name, parse_xml, text_of

_BRACKETED_TITLE = re.compile(r"^\[(.+)\](\.?)$")
_MEDLINE_LINE = re.compile(r"^([A-Z][A-Z0-9]{1,3}) *- ?(.*)$")
_MEDLINE_DOI = re.compile(r"^(\S+)\s*\[doi\]", re.IGNORECASE)
_MEDLINE_SECTION = re.compile(r"(?<=[.?!])\s+(?=[A-Z][A-Z0-9 ,/&()-]{2,}: )")
_RECORD_TAGS = frozenset({"PubmedArticle", "PubmedBookArticle"})


def _title(text: str) -> str:
    """PubMed puts translated titles in brackets: ``[Title in English].``"""
    text = collapse(text)
    match = _BRACKETED_TITLE.match(text)
    return match.group(1) + match.group(2) if match else text


def _abstract_paragraphs(abstract: etree._Element | None) -> list[str]:
    if abstract is None:
        return []
    paras: list[str] = []
    for node in abstract.iterfind("AbstractText"):
        text = text_of(node)
        if not text:
            continue
        label = collapse(node.get("Label"))
        if label and label.upper() not in {"UNLABELLED", "UNASSIGNED"}:
            text = f"{label}: {text}"
        paras.append(text)
    return paras


def _authors(author_list: etree._Element | None) -> list[str]:
    if author_list is None:
        return []
    names: list[str] = []
    for author in author_list.iterfind("Author"):
        if author.get("ValidYN") == "N":
            continue
        last = text_of(author.find("LastName"))
        first = text_of(author.find("ForeName")) or text_of(author.find("Initials"))
        if last:
            names.append(f"{last}, {first}" if first else last)
        else:
            names.append(text_of(author.find("CollectiveName")))
    return dedupe_authors(names)


def _pub_year(date: etree._Element | None) -> int | None:
    if date is None:
        return None
    return parse_year(text_of(date.find("Year"))) or parse_year(text_of(date.find("MedlineDate")))


def _doi_from_ids(id_list: etree._Element | None) -> str | None:
    if id_list is None:
        return None
    return first_doi(
        text_of(node) for node in id_list.iterfind("ArticleId") if node.get("IdType") == "doi"
    )


def _article_draft(rec: etree._Element) -> Draft | str:
    citation = rec.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    if citation is None or article is None:
        return "PubmedArticle without MedlineCitation/Article"
    title = _title(text_of(article.find("ArticleTitle"))) or _title(
        text_of(article.find("VernacularTitle"))
    )
    paras = _abstract_paragraphs(article.find("Abstract"))
    if not paras:
        for other in article.iterfind("OtherAbstract"):
            if other.get("Language", "eng") == "eng":
                paras = _abstract_paragraphs(other)
                break
    journal_el = article.find("Journal")
    journal = ""
    year = None
    if journal_el is not None:
        journal = text_of(journal_el.find("Title")) or text_of(journal_el.find("ISOAbbreviation"))
        year = _pub_year(journal_el.find("JournalIssue/PubDate"))
    journal = journal or text_of(citation.find("MedlineJournalInfo/MedlineTA"))
    year = year or _pub_year(article.find("ArticleDate"))
    doi = first_doi(
        text_of(loc)
        for loc in article.iterfind("ELocationID")
        if loc.get("EIdType") == "doi" and loc.get("ValidYN", "Y") == "Y"
    )
    doi = doi or _doi_from_ids(rec.find("PubmedData/ArticleIdList"))
    meta = Metadata(
        authors=_authors(article.find("AuthorList")),
        journal=journal or None,
        year=year,
        doi=doi,
    )
    return structured_draft(title, paras, meta)


def _book_draft(rec: etree._Element) -> Draft | str:
    doc = rec.find("BookDocument")
    if doc is None:
        return "PubmedBookArticle without BookDocument"
    book = doc.find("Book")
    chapter = _title(text_of(doc.find("ArticleTitle")))
    book_title = _title(text_of(book.find("BookTitle"))) if book is not None else ""
    authors: list[str] = []
    for author_list in doc.iterfind("AuthorList"):
        if author_list.get("Type", "authors") == "authors":
            authors = _authors(author_list)
            break
    if not authors and book is not None:
        authors = _authors(book.find("AuthorList"))
    meta = Metadata(
        authors=authors,
        journal=book_title if chapter and book_title else None,
        year=_pub_year(book.find("PubDate")) if book is not None else None,
        doi=_doi_from_ids(doc.find("ArticleIdList"))
        or _doi_from_ids(rec.find("PubmedBookData/ArticleIdList")),
    )
    return structured_draft(chapter or book_title, _abstract_paragraphs(doc.find("Abstract")), meta)


def _record_draft(item: etree._Element) -> Draft | str:
    return _article_draft(item) if local_name(item.tag) == "PubmedArticle" else _book_draft(item)


def read_pubmed_xml(data: bytes, source: str, max_records: int) -> Detailed:
    root = parse_xml(data, source)
    name = local_name(root.tag)
    if name in _RECORD_TAGS:
        items = [root]
    elif name == "PubmedArticleSet":
        items = [el for el in root if local_name(el.tag) in _RECORD_TAGS]
    else:
        items = []
    return assemble_structured(
        items,
        _record_draft,
        source,
        Format.PUBMED_XML,
        max_records,
        empty_reason="no PubmedArticle records in the PubMed XML",
    )


# -- MEDLINE text ---------------------------------------------------------------------------


def _medline_records(text: str) -> list[list[tuple[str, str]]]:
    """Split MEDLINE text into records of (tag, value) with continuation lines joined."""
    records: list[list[tuple[str, str]]] = []
    fields: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            if fields:
                records.append(fields)
                fields = []
            continue
        if line[:1] == " ":
            if fields:
                tag, value = fields[-1]
                fields[-1] = (tag, f"{value} {line.strip()}")
            continue
        match = _MEDLINE_LINE.match(line)
        if match is None:
            fields.append(("?", line.strip()))
            continue
        if match.group(1) == "PMID" and fields:
            records.append(fields)
            fields = []
        fields.append((match.group(1), match.group(2).strip()))
    if fields:
        records.append(fields)
    return records


def _medline_draft(fields: list[tuple[str, str]]) -> Draft | str:
    values: dict[str, list[str]] = {}
    for tag, value in fields:
        values.setdefault(tag, []).append(value)
    unknown = len(values.get("?", []))
    if unknown and unknown * 2 >= len(fields):
        return "malformed MEDLINE record: most lines are not 'TAG - value' fields"

    def first(*tags: str) -> str:
        for tag in tags:
            for value in values.get(tag, []):
                if value.strip():
                    return value
        return ""

    title = _title(first("TI", "BTI"))
    abstract = first("AB")
    authors = dedupe_authors(values.get("FAU") or values.get("AU") or values.get("CN") or [])
    ids = values.get("LID", []) + values.get("AID", [])
    doi = first_doi(m.group(1) for m in map(_MEDLINE_DOI.match, ids) if m)
    meta = Metadata(
        authors=authors,
        journal=first("JT", "TA") or None,
        year=parse_year(first("DP")),
        doi=doi,
    )
    return structured_draft(title, _MEDLINE_SECTION.split(abstract) if abstract else [], meta)


def read_medline(data: bytes, source: str, max_records: int) -> Detailed:
    text = decode_text(data, source)
    return assemble_structured(
        _medline_records(text),
        _medline_draft,
        source,
        Format.MEDLINE,
        max_records,
        empty_reason="no MEDLINE records found",
    )
