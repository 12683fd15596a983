"""Shared pieces of the readers: record drafts, numbering, DOI/year/whitespace helpers."""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from litdigest.documents import CleanMode, Format, Metadata, RawRecord
from litdigest.errors import InputError

Detailed = tuple[list[RawRecord], list[InputError]]
T = TypeVar("T")

_WS = re.compile(r"\s+")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI_TRAIL = ".,;:)]}>\"'"
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


def collapse(text: str | None) -> str:
    """Single spaces, no leading/trailing whitespace."""
    return _WS.sub(" ", text).strip() if text else ""


def one_line(text: str) -> str:
    """A reason string fit for a single-line error message."""
    return collapse(text)[:300]


@contextlib.contextmanager
def quiet(logger_name: str) -> Iterator[None]:
    """Silence a library's logger and Python warnings while it parses one document."""
    logger = logging.getLogger(logger_name)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def normalize_doi(value: str | None) -> str | None:
    """``10.xxxx/yyy`` in lower case, without resolver prefix, or None."""
    if not value:
        return None
    value = _DOI_PREFIX.sub("", value.strip())
    match = _DOI.search(value)
    if not match:
        return None
    return match.group(0).rstrip(_DOI_TRAIL).lower()


def parse_year(value: str | None) -> int | None:
    if not value:
        return None
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def first_doi(values: Iterable[str | None]) -> str | None:
    """The first of ``values`` that holds a DOI, normalised."""
    return next((doi for doi in map(normalize_doi, values) if doi), None)


def first_year(values: Iterable[str | None]) -> int | None:
    """The first year found in ``values``."""
    return next((year for year in map(parse_year, values) if year), None)


def dedupe_authors(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        name = collapse(name).strip(" ,;")
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out


@dataclass(slots=True)
class Draft:
    """One record's text blocks and metadata, before numbering."""

    metadata: Metadata
    blocks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(b for b in self.blocks if b)


def structured_draft(
    title: str | None, paragraphs: Sequence[str], metadata: Metadata
) -> Draft | str:
    """Title + paragraphs, or an error reason when the record has neither title nor abstract."""
    title = collapse(title)
    paras = [p for p in (collapse(p) for p in paragraphs) if p]
    if not title and not paras:
        return "record has neither a title nor an abstract"
    if title and not metadata.title:
        metadata = metadata.model_copy(update={"title": title})
    return Draft(metadata=metadata, blocks=[title, *paras] if title else paras)


def assemble(
    drafts: Sequence[Draft | str],
    source: str,
    fmt: Format,
    mode: CleanMode,
    max_records: int,
    *,
    empty_reason: str = "no records found",
) -> Detailed:
    """Number drafts (``source#n`` when there are several) into records and per-record errors."""
    records: list[RawRecord] = []
    errors: list[InputError] = []
    if not drafts:
        errors.append(InputError(source, empty_reason))
        return records, errors
    many = len(drafts) > 1
    for n, draft in enumerate(drafts[:max_records], start=1):
        src = f"{source}#{n}" if many else source
        if isinstance(draft, str):
            errors.append(InputError(src, one_line(draft)))
            continue
        records.append(
            RawRecord(
                text=draft.text, metadata=draft.metadata, format=fmt, source=src, clean_mode=mode
            )
        )
    if len(drafts) > max_records:
        errors.append(
            InputError(
                source,
                f"holds {len(drafts)} records; only the first {max_records} were read"
                " (ingest.max_records_per_file)",
            )
        )
    return records, errors


def assemble_structured(
    items: Sequence[T],
    draft: Callable[[T], Draft | str],
    source: str,
    fmt: Format,
    max_records: int,
    *,
    empty_reason: str,
) -> Detailed:
    """``assemble`` the drafts of the first ``max_records`` items (the rest counted, not read)."""
    drafts: list[Draft | str] = [draft(item) for item in items[:max_records]]
    drafts.extend([""] * (len(items) - len(drafts)))
    return assemble(
        drafts, source, fmt, CleanMode.STRUCTURED, max_records, empty_reason=empty_reason
    )
