"""JATS / PMC full-text XML: title, abstract, body sections and figure/table captions.

Reference lists, affiliations, author notes, funding, acknowledgements, footnotes and
supplementary-material blocks are dropped. Citation markers keep their own text
(``[12]``, ``(Smith, 2005)``) except superscript-only numeric citations, which are removed.
"""

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
    first_year,
)
from litdigest.ingest.xmlsafe import local_name, parse_xml, text_of

# Dropped wherever they occur (their tail text is kept).
_DROP = (
    "ref-list",
    "fn-group",
    "fn",
    "ack",
    "author-notes",
    "funding-group",
    "funding-statement",
    "supplementary-material",
    "table",
    "table-wrap-foot",
    "alternatives",
    "graphic",
    "inline-graphic",
    "media",
    "object-id",
    "disp-formula",
    "tex-math",
    "{http://www.w3.org/1998/Math/MathML}annotation",
    "aff",
    "permissions",
    "glossary",
    "sub-article",
    "response",
    "processing-meta",
    "counts",
)
_SKIP_SEC_TYPES = frozenset(
    {
        "supplementary-material",
        "coi-statement",
        "COI-statement",
        "funding",
        "ack",
        "data-availability",
    }
)
_SKIP_SEC_TITLE = re.compile(
    r"^(?:\d+\.?\s*)?(?:competing interests?|conflicts? of interests?|declaration of interests?"
    r"|authors?'? contributions?|contributions|acknowledge?ments?|funding(?: sources?)?"
    r"|financial (?:support|disclosure)|disclosures?|supplementary (?:materials?|information|data)"
    r"|supporting information|additional files?|electronic supplementary material"
    r"|pre-publication history|abbreviations|data availability(?: statement)?"
    r"|availability of data and materials?|ethics approval.*|consent for publication)\.?$",
    re.IGNORECASE,
)
_BLOCK_IN_P = frozenset(
    {"fig", "table-wrap", "list", "def-list", "boxed-text", "disp-quote", "statement", "sec"}
)
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_CITATION_SUP = re.compile(r"^[\s\d,;\-–—]*$")
_LABEL_END = re.compile(r"[.:]$")


def _strip_superscript_citations(root: etree._Element) -> None:
    """Remove ``<sup>`` holding only bibliography xrefs (Nature-style numeric citations)."""
    for sup in list(root.iter("sup")):
        xrefs = [x for x in sup.iter("xref") if x.get("ref-type") == "bibr"]
        if xrefs and _CITATION_SUP.match(text_of(sup)):
            _remove_keep_tail(sup)


def _remove_keep_tail(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


def _inline(el: etree._Element, parts: list[str], deferred: list[etree._Element]) -> None:
    """Text of ``el``; block-level children are collected in ``deferred`` instead."""
    if el.text:
        parts.append(el.text)
    for child in el:
        name = local_name(child.tag)
        if name in _BLOCK_IN_P:
            deferred.append(child)
            parts.append(" ")
        elif name:
            _inline(child, parts, deferred)
        if child.tail:
            parts.append(child.tail)


def _caption(el: etree._Element) -> str:
    label = text_of(el.find("label"))
    caption = el.find("caption")
    text = ""
    if caption is not None:
        pieces = [text_of(c) for c in caption if local_name(c.tag) in {"title", "p"}]
        text = " ".join(p if _LABEL_END.search(p) else p + "." for p in pieces if p)
        text = text or text_of(caption)
    if not text:
        return ""
    if not label:
        return text
    return f"{label} {text}" if _LABEL_END.search(label) else f"{label}. {text}"


class _Writer:
    def __init__(self) -> None:
        self.blocks: list[str] = []

    def add(self, text: str) -> None:
        text = collapse(text)
        if text:
            self.blocks.append(text)

    def children(self, el: etree._Element) -> None:
        for child in el:
            self.block(child)

    def block(self, el: etree._Element) -> None:
        name = local_name(el.tag)
        if not name or name in {"label", "caption", "object-id"}:
            return
        if name == "sec":
            self.section(el)
        elif name == "title":
            self.add(text_of(el))
        elif name in {"fig", "fig-group", "table-wrap", "table-wrap-group", "boxed-text"}:
            if name.endswith("-group"):
                self.children(el)
                return
            self.add(_caption(el))
            if name == "boxed-text":
                self.children(el)
        elif name in {"list", "def-list"}:
            for item in el:
                if local_name(item.tag) in {"list-item", "def-item"}:
                    self.paragraph(item)
        elif name in {"disp-quote", "statement", "floats-group", "body", "app", "app-group"}:
            self.children(el)
        else:
            self.paragraph(el)

    def paragraph(self, el: etree._Element) -> None:
        parts: list[str] = []
        deferred: list[etree._Element] = []
        _inline(el, parts, deferred)
        self.add("".join(parts))
        for child in deferred:
            self.block(child)

    def section(self, sec: etree._Element) -> None:
        title = text_of(sec.find("title"))
        if sec.get("sec-type") in _SKIP_SEC_TYPES or (title and _SKIP_SEC_TITLE.match(title)):
            return
        label = text_of(sec.find("label"))
        if title:
            self.add(f"{label} {title}" if label and not title.startswith(label) else title)
        for child in sec:
            if local_name(child.tag) not in {"title", "label"}:
                self.block(child)


def _metadata(article: etree._Element) -> tuple[str, Metadata]:
    meta_el = article.find("front/article-meta")
    journal_meta = article.find("front/journal-meta")
    if meta_el is None:
        return "", Metadata()
    title = text_of(meta_el.find("title-group/article-title"))
    subtitle = text_of(meta_el.find("title-group/subtitle"))
    if title and subtitle:
        title = f"{title}: {subtitle}"
    authors: list[str] = []
    for contrib in meta_el.iterfind("contrib-group/contrib"):
        if contrib.get("contrib-type", "author") != "author":
            continue
        name = contrib.find("name")
        if name is None:
            name = contrib.find("name-alternatives/name")
        if name is not None:
            surname = text_of(name.find("surname"))
            given = text_of(name.find("given-names"))
            authors.append(f"{surname}, {given}" if surname and given else surname or given)
        else:
            authors.append(text_of(contrib.find("collab")))
    journal = ""
    if journal_meta is not None:
        journal = text_of(journal_meta.find("journal-title-group/journal-title")) or text_of(
            journal_meta.find("journal-title")
        )
        if not journal:
            for jid in journal_meta.iterfind("journal-id"):
                if jid.get("journal-id-type") in {"nlm-ta", "iso-abbrev"}:
                    journal = text_of(jid)
                    break
    dates = list(meta_el.iterfind("pub-date"))
    preferred = [
        d
        for d in dates
        if (d.get("pub-type") or d.get("date-type") or "") in {"epub", "ppub", "pub", "collection"}
    ]
    year = first_year(text_of(date.find("year")) for date in preferred + dates)
    doi = first_doi(
        text_of(aid) for aid in meta_el.iterfind("article-id") if aid.get("pub-id-type") == "doi"
    )
    meta = Metadata(
        title=title or None,
        authors=dedupe_authors(authors),
        journal=journal or None,
        year=year,
        doi=doi,
    )
    return title, meta


def _article_draft(article: etree._Element) -> Draft | str:
    title, meta = _metadata(article)
    _strip_superscript_citations(article)
    for el in article.iter(*_DROP):
        if el.tail and el.tail[0].isalnum():
            el.tail = " " + el.tail  # "written<disp-formula/>in which" must not glue words
    etree.strip_elements(article, *_DROP, with_tail=False)
    writer = _Writer()
    writer.add(title)
    meta_el = article.find("front/article-meta")
    if meta_el is not None:
        for abstract in meta_el.iterfind("abstract"):
            if abstract.get("abstract-type") in {"toc", "teaser", "graphical", "web-summary"}:
                continue
            heading = text_of(abstract.find("title"))
            if heading:
                writer.add(heading)
            for child in abstract:
                if local_name(child.tag) != "title":
                    writer.block(child)
    for part in ("body", "floats-group"):
        container = article.find(part)
        if container is not None:
            writer.children(container)
    if not writer.blocks:
        return "JATS article has no title, abstract or body text"
    return Draft(metadata=meta, blocks=writer.blocks)


def read_jats(data: bytes, source: str, max_records: int) -> Detailed:
    root = parse_xml(data, source)
    if isinstance(root.tag, str) and root.tag.startswith("{"):
        for el in root.iter():  # a default namespace on JATS elements: drop it
            if (
                isinstance(el.tag, str)
                and el.tag.startswith("{")
                and not el.tag.startswith(_MATHML)
            ):
                el.tag = local_name(el.tag)
    if local_name(root.tag) == "article":
        articles = [root]
    else:
        articles = [el for el in root.iter() if local_name(el.tag) == "article"]
    return assemble_structured(
        articles,
        _article_draft,
        source,
        Format.JATS,
        max_records,
        empty_reason="not a JATS article: no <article> element",
    )
