"""RIS records through rispy, tolerant of one-space ``TY - `` tags and a missing ``ER``."""

from __future__ import annotations

import re
from typing import Any

import rispy
from rispy.config import TAG_KEY_MAPPING

from litdigest.documents import Format, Metadata
from litdigest.ingest._common import (
    Detailed,
    Draft,
    assemble_structured,
    collapse,
    dedupe_authors,
    first_doi,
    first_year,
    structured_draft,
)
from litdigest.ingest.decode import decode_text

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])\s{1,2}-(?: (.*)|\s*)$")
_ALL_TAGS = {tag: tag for tag in TAG_KEY_MAPPING}
_LIST_TAGS = ["A1", "A2", "A3", "A4", "AU", "KW", "N1", "UR", "L1", "L2"]


class _Parser(rispy.RisParser):  # type: ignore[misc]
    """rispy's parser with tags kept as keys and 1-2 spaces accepted before the dash."""

    PATTERN = _TAG_LINE.pattern

    def parse_line(self, line: str) -> tuple[str | None, str]:
        match = _TAG_LINE.match(line)
        if match:
            return match.group(1), (match.group(2) or "").strip()
        return None, line.strip()


def _chunks(text: str) -> list[list[str]]:
    """Lines of each ``TY`` ... ``ER`` record; text outside records is ignored."""
    chunks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = _TAG_LINE.match(line)
        tag = match.group(1) if match else None
        if tag == "TY":
            if current is not None:
                chunks.append(current)
            current = [line]
        elif current is not None:
            current.append(line)
            if tag == "ER":
                chunks.append(current)
                current = None
    if current is not None:
        chunks.append(current)
    return chunks


def _values(entry: dict[str, Any], *tags: str) -> list[str]:
    out: list[str] = []
    for tag in tags:
        value = entry.get(tag)
        if isinstance(value, list):
            out.extend(str(v) for v in value)
        elif value:
            out.append(str(value))
    return [v for v in (collapse(v) for v in out) if v]


def _first(entry: dict[str, Any], *tags: str) -> str:
    values = _values(entry, *tags)
    return values[0] if values else ""


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = "".join(value.split()).casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _abstract(entry: dict[str, Any]) -> list[str]:
    """Abstract paragraphs from AB or N2: exporters often fill both; keep the longer one only."""
    ab = _unique(_values(entry, "AB"))
    n2 = _unique(_values(entry, "N2"))
    return max(ab, n2, key=lambda paras: sum(len(p) for p in paras))


def _entry_draft(entry: dict[str, Any]) -> Draft | str:
    for tag, values in dict(entry.pop("UK", None) or {}).items():
        entry.setdefault(tag, values)  # tags rispy does not know (U2, L3, ...) land under "UK"
    title = _first(entry, "T1", "TI", "CT", "BT")
    journal = _first(entry, "JF", "JO")
    if not journal and _first(entry, "T1", "TI"):
        journal = _first(entry, "T2")  # the secondary title is the journal when JF/JO are absent
    journal = journal or _first(entry, "JA", "J2")
    meta = Metadata(
        authors=dedupe_authors(_values(entry, "AU", "A1")),
        journal=journal or None,
        year=first_year(_values(entry, "PY", "Y1", "DA", "Y2")),
        doi=first_doi(_values(entry, "DO", "U2", "UR", "L3")),
    )
    return structured_draft(title, _abstract(entry), meta)


def read_ris(data: bytes, source: str, max_records: int) -> Detailed:
    text = decode_text(data, source)
    parser = _Parser(mapping=_ALL_TAGS, list_tags=_LIST_TAGS, enforce_list_tags=False)

    def chunk_draft(lines: list[str]) -> Draft | str:
        if not lines[-1].startswith("ER"):
            lines = [*lines, "ER  - "]
        try:
            entries = parser.parse_lines(iter(lines))
        except Exception as exc:  # rispy raises assorted errors on odd input
            return f"malformed RIS record: {exc}"
        return _entry_draft(entries[0]) if entries else "malformed RIS record"

    return assemble_structured(
        _chunks(text),
        chunk_draft,
        source,
        Format.RIS,
        max_records,
        empty_reason="malformed RIS: no record starts with a 'TY  - ' line",
    )
