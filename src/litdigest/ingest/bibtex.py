"""BibTeX entries through bibtexparser 2 (LaTeX decoded, @string macros resolved)."""

from __future__ import annotations

import re
from typing import Any

from bibtexparser import model
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import LatexDecodingMiddleware
from pylatexenc.latex2text import LatexNodes2Text

from litdigest.documents import CleanMode, Format, Metadata
from litdigest.ingest._common import (
    Detailed,
    Draft,
    assemble,
    assemble_structured,
    collapse,
    dedupe_authors,
    normalize_doi,
    parse_year,
    quiet,
    structured_draft,
)
from litdigest.ingest.decode import decode_text

_AND = re.compile(r"(?<!\s)\s+and\s+", re.IGNORECASE)  # (?<!\s): linear on long blanks
_BRACES = re.compile(r"[{}]")
# Math is decoded as text (IFN-$\gamma$ -> IFN-γ); a superscript it leaves as CD8^+ or
# CD8^{+} then reads as CD8+.
_LATEX = LatexNodes2Text(math_mode="text")
_SUPERSCRIPT = re.compile(r"(?<=\w)\^\{?([^\s{}^]{1,8})\}?")
_SKIP_TYPES = frozenset({"comment", "string", "preamble"})


def _field(entry: model.Entry, *names: str) -> str:
    for name in names:
        field = entry.fields_dict.get(name)
        if field is None:
            # Field keys keep their case in bibtexparser 2; look them up case-insensitively.
            field = next((f for f in entry.fields if f.key.lower() == name), None)
        if field is not None:
            value = collapse(_BRACES.sub("", _SUPERSCRIPT.sub(r"\1", str(field.value))))
            if value:
                return value
    return ""


def _entry_draft(entry: model.Entry) -> Draft | str:
    authors = [a for a in _AND.split(_field(entry, "author")) if a]
    if not authors:
        authors = [a for a in _AND.split(_field(entry, "editor")) if a]
    meta = Metadata(
        authors=dedupe_authors(authors),
        journal=_field(entry, "journal", "journaltitle", "booktitle", "publisher") or None,
        year=parse_year(_field(entry, "year", "date")),
        doi=normalize_doi(_field(entry, "doi")) or normalize_doi(_field(entry, "url")),
    )
    abstract = _field(entry, "abstract")
    return structured_draft(_field(entry, "title"), [abstract] if abstract else [], meta)


def read_bibtex(data: bytes, source: str, max_records: int) -> Detailed:
    text = decode_text(data, source)
    try:
        with quiet("bibtexparser"):
            library = parse_string(
                text,
                append_middleware=[LatexDecodingMiddleware(decoder=_LATEX)],
            )
    except Exception as exc:  # the parser and its middlewares raise assorted errors
        return assemble(
            [f"malformed BibTeX: {exc}"], source, Format.BIBTEX, CleanMode.STRUCTURED, 1
        )
    items: list[model.Entry | str] = []  # entries and the reasons of unparsable ones
    for block in library.blocks:
        entry: Any = block
        if isinstance(block, model.DuplicateBlockKeyBlock):
            entry = block.ignore_error_block  # same key twice: still a usable entry
        elif isinstance(block, model.ParsingFailedBlock):
            where = f" at line {block.start_line + 1}" if block.start_line is not None else ""
            err = block.error
            why = getattr(err, "abort_reason", None) or str(err) or type(err).__name__
            items.append(f"malformed BibTeX entry{where}: {collapse(why)}")
            continue
        if not isinstance(entry, model.Entry) or entry.entry_type.lower() in _SKIP_TYPES:
            continue
        items.append(entry)
    return assemble_structured(
        items,
        lambda item: item if isinstance(item, str) else _entry_draft(item),
        source,
        Format.BIBTEX,
        max_records,
        empty_reason="malformed BibTeX: no @entry found",
    )
