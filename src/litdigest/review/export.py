"""Digest export: reviewed claims across documents as Markdown, JSON or CSV.

Every format carries the review state of each claim: its status, whether it was edited (with
the original statement), whether it is flagged, and the reviewer's note. ``status="accepted"``
(the default) exports only accepted claims, so a rejected claim never reaches that digest;
``status="all"`` exports every claim of every current summary.

Nothing in an export depends on the clock, so exporting the same store twice gives the same
bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, Final, Literal

from litdigest.review.decisions import DigestEntry, ExportStatus, Reviewer, build_digest
from litdigest.store.store import Store
from litdigest.summarize.schema import SECTION_TITLES, SECTIONS, evidence_kind_label
from litdigest.text import md_escape

__all__ = [
    "EXPORT_FORMATS",
    "ExportFormat",
    "export_digest",
    "render_csv",
    "render_digest",
    "render_json",
    "render_markdown",
]

ExportFormat = Literal["md", "json", "csv"]
EXPORT_FORMATS: Final[tuple[ExportFormat, ...]] = ("md", "json", "csv")
SUFFIXES: Final[dict[ExportFormat, str]] = {"md": ".md", "json": ".json", "csv": ".csv"}

CSV_COLUMNS: Final[tuple[str, ...]] = (
    "field",
    "doc_id",
    "title",
    "year",
    "source",
    "claim_index",
    "status",
    "statement",
    "edited",
    "original_statement",
    "flagged",
    "note",
    "evidence_kind",
    "quotes",
    "quote_spans",
    "document_status",
    "support",
    "unsupported_terms",
)


# --------------------------------------------------------------------------------------------
# Markdown


_md = md_escape


def _cite(entry: DigestEntry) -> str:
    year = f" ({entry.year})" if entry.year else ""
    return f"*{_md(entry.title)}*{year} · `{entry.doc_id}`"


def render_markdown(entries: Sequence[DigestEntry], status: ExportStatus = "accepted") -> str:
    """A Markdown digest: one section per field, each claim citing its document and quotes."""
    heading = "accepted claims" if status == "accepted" else "all claims, with review state"
    lines = [f"# litdigest digest: {heading}", ""]
    documents = {e.doc_id for e in entries}
    lines.append(f"{len(entries)} claim(s) from {len(documents)} document(s).")
    for section in SECTIONS:
        section_entries = [e for e in entries if e.field == section]
        lines += ["", f"## {SECTION_TITLES[section]}", ""]
        if not section_entries:
            lines.append("_No claims._")
            continue
        for n, entry in enumerate(section_entries, 1):
            if n > 1:
                lines.append("")
            tags: list[str] = []
            if status == "all":
                tags.append(entry.status)
            if entry.evidence_kind:
                tags.append(evidence_kind_label(entry.evidence_kind))
            if entry.edited:
                tags.append("edited")
            if entry.flagged:
                tags.append("flagged")
            if entry.support == "unverified":
                tags.append("unverified")
            tag = f"*[{', '.join(tags)}]* " if tags else ""
            lines.append(f"{n}. {tag}{_md(entry.statement)} — {_cite(entry)}")
            if entry.support == "unverified":
                terms = "; ".join(entry.unsupported_terms) or "unknown"
                lines.append(f"   - Not supported by its quotes: {_md(terms)}")
            if entry.edited:
                lines.append(f"   - Original statement: {_md(entry.original_statement)}")
            if entry.note:
                lines.append(f"   - Reviewer note: {_md(entry.note)}")
            for quote in entry.quotes:
                lines.append("")
                lines.append(f"   > {_md(quote.text)} (chars {quote.start}–{quote.end})")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# JSON


def _entry_json(entry: DigestEntry) -> dict[str, Any]:
    return {
        "field": entry.field,
        "doc_id": entry.doc_id,
        "title": entry.title,
        "year": entry.year,
        "source": entry.source,
        "claim_index": entry.index,
        "status": entry.status,
        "statement": entry.statement,
        "edited": entry.edited,
        "original_statement": entry.original_statement,
        "flagged": entry.flagged,
        "note": entry.note,
        "evidence_kind": entry.evidence_kind,
        "quotes": [{"text": q.text, "start": q.start, "end": q.end} for q in entry.quotes],
        "document_status": entry.doc_status,
        "support": entry.support,
        "unsupported_terms": list(entry.unsupported_terms),
    }


def render_json(entries: Sequence[DigestEntry], status: ExportStatus = "accepted") -> str:
    """``{"status": ..., "claims": [...]}``, claims grouped by field in digest order."""
    payload = {"status": status, "claims": [_entry_json(e) for e in entries]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# CSV

_FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def render_csv(entries: Sequence[DigestEntry], status: ExportStatus = "accepted") -> str:
    """One row per claim (columns ``CSV_COLUMNS``); quotes joined with `` | ``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        data = _entry_json(entry)
        data["quotes"] = " | ".join(q.text for q in entry.quotes)
        data["quote_spans"] = " ".join(f"{q.start}-{q.end}" for q in entry.quotes)
        data["unsupported_terms"] = " | ".join(entry.unsupported_terms)
        writer.writerow([_cell(data[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def render_digest(
    entries: Sequence[DigestEntry], fmt: ExportFormat, status: ExportStatus = "accepted"
) -> str:
    if fmt == "md":
        return render_markdown(entries, status)
    if fmt == "json":
        return render_json(entries, status)
    if fmt == "csv":
        return render_csv(entries, status)
    raise ValueError(f"unknown export format {fmt!r}")


def export_digest(
    source: Store | Reviewer, fmt: ExportFormat, status: ExportStatus = "accepted"
) -> str:
    """The digest of a store (or of an open ``Reviewer``) in ``fmt``."""
    reviewer = source if isinstance(source, Reviewer) else Reviewer(source)
    return render_digest(build_digest(reviewer, status), fmt, status)
