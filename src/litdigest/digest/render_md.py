"""The digest as Markdown, JSON and CSV (the evidence table), plus the wording shared with
the HTML renderer and the TUI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Literal

from litdigest.digest.model import Digest, Relation, TableRow, one_line, trim
from litdigest.text import md_escape

__all__ = [
    "FIELD_TAGS",
    "describe_relation",
    "none_found",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_text",
    "table_cells",
]

FIELD_TAGS = {
    "mechanism": "mechanism",
    "evidence": "evidence",
    "therapeutic_implication": "implication",
}
_TABLE_CHARS = 160


def _md(text: str) -> str:
    """Untrusted text for Markdown (``litdigest.text.md_escape``), also safe in a table cell."""
    return md_escape(text).replace("|", "\\|")


def _cites(digest: Digest, cites: Sequence[int]) -> str:
    return "; ".join(f"C{c} [{digest.claim(c).ref}]" for c in cites)


def describe_relation(digest: Digest, rel: Relation) -> str:
    a, b = digest.claim(rel.a), digest.claim(rel.b)
    if rel.kind == "agree":
        return f"[{a.ref}] and [{b.ref}] agree ({rel.detail}) on {rel.target} (C{a.id}, C{b.id})"
    what = "opposite directions" if rel.opposition == "opposite" else "an effect vs no effect"
    return (
        f"[{a.ref}] and [{b.ref}] disagree on {rel.target}: {what} ({rel.detail}; "
        f"C{a.id} vs C{b.id})"
    )


def none_found(digest: Digest, kind: Literal["disagree", "agree"]) -> str:
    """The explicit sentence shown when no relation of ``kind`` was found."""
    what = "disagreements" if kind == "disagree" else "agreements"
    return (
        f"No {what} found among {len(digest.claims)} claims from "
        f"{len(digest.references)} documents."
    )


def table_cells(digest: Digest, row: TableRow, *, limit: int | None = _TABLE_CHARS) -> list[str]:
    """Mechanism, evidence (with kind) and implication cells of one evidence-table row."""

    def cell(ids: list[int], *, kinds: bool = False) -> str:
        parts = []
        for cid in ids:
            c = digest.claim(cid)
            kind = f" ({c.evidence_kind.replace('_', ' ')})" if kinds and c.evidence_kind else ""
            text = trim(c.statement, limit) if limit else one_line(c.statement)
            parts.append(f"C{c.id}{kind}: {text}")
        return " · ".join(parts) or "—"

    return [cell(row.mechanism), cell(row.evidence, kinds=True), cell(row.implication)]


def _claim_md(digest: Digest, cid: int) -> list[str]:
    c = digest.claim(cid)
    tags = [FIELD_TAGS[c.field]]
    if c.support == "unverified":
        tags.append("unverified: " + "; ".join(c.unsupported_terms))
    if c.evidence_kind:
        tags.append(c.evidence_kind.replace("_", " "))
    if c.status == "accepted":
        tags.append("accepted")
    if c.edited:
        tags.append("edited")
    return [
        f"- **C{c.id}** {_md(c.statement)} [{c.ref}] *({', '.join(tags)})*",
        f"  > “{_md(c.quote)}”",
    ]


def _relations_md(digest: Digest, kind: Literal["disagree", "agree"]) -> list[str]:
    """Each flagged pair with both statements and quotes side by side (a two-column table)."""
    title = "disagree" if kind == "disagree" else "agree"
    lines = [f"## Where the documents {title}", ""]
    relations = digest.disagreements if kind == "disagree" else digest.agreements
    if not relations:
        return [*lines, none_found(digest, kind), ""]
    for rel in relations:
        a, b = digest.claim(rel.a), digest.claim(rel.b)
        lines += [
            f"**{_md(describe_relation(digest, rel))}**",
            "",
            f"| C{a.id} [{a.ref}] | C{b.id} [{b.ref}] |",
            "| --- | --- |",
            f"| {_md(a.statement)} | {_md(b.statement)} |",
            f"| “{_md(a.quote)}” | “{_md(b.quote)}” |",
            "",
        ]
    return lines


def _themes_md(digest: Digest) -> list[str]:
    lines = ["## Themes shared by several documents", ""]
    if not digest.themes:
        return [*lines, "No theme is shared by two or more documents.", ""]
    for t in digest.themes:
        refs = ", ".join(f"[{r}]" for r in t.documents)
        lines += [f"### {t.id}. {_md(t.label)}", "", f"*Documents: {refs}*", ""]
        if t.heading:
            lines += [f"**{_md(t.heading)}** ({_cites(digest, t.heading_cites)})", ""]
        if t.paragraph:
            lines.append(
                " ".join(f"{_md(s.text)} ({_cites(digest, s.cites)})" for s in t.paragraph)
            )
            lines.append("")
        for cid in t.claims:
            lines.extend(_claim_md(digest, cid))
        for rel in t.disagreements:
            lines.append(f"- ⚠ Disagreement: {_md(describe_relation(digest, rel))}")
        for rel in t.agreements:
            lines.append(f"- ✓ Agreement: {_md(describe_relation(digest, rel))}")
        lines.append("")
    return lines


def _only_in_md(digest: Digest) -> list[str]:
    if not digest.only_in:
        return []
    lines = ["## Only in one document", ""]
    for ref, ids in digest.only_in.items():
        lines += [f"### Only in [{ref}]", ""]
        for cid in ids:
            lines.extend(_claim_md(digest, cid))
        lines.append("")
    return lines


def _table_md(digest: Digest) -> list[str]:
    lines = [
        "## Evidence table",
        "",
        "| Document | Mechanism | Evidence (kind) | Implication |",
        "| --- | --- | --- | --- |",
    ]
    for row in digest.table:
        cells = [_md(c) for c in table_cells(digest, row)]
        lines.append(f"| [{row.ref}] | {' | '.join(cells)} |")
    return [*lines, ""]


def render_markdown(digest: Digest) -> str:
    lines: list[str] = ["# Literature digest", ""]
    lines.append(
        f"{len(digest.references)} documents · {len(digest.claims)} claims · "
        f"{len(digest.themes)} themes · claims: "
        f"{'accepted by review' if digest.status == 'accepted' else 'all (not rejected)'}"
        + (f" · query: “{_md(digest.query)}”" if digest.query else "")
        + f" · grouping: {digest.embedding} · synthesis: {_md(digest.synthesis)}"
    )
    lines.append("")
    for w in digest.warnings:
        lines += [f"> Note: {_md(w)}", ""]
    if not digest.claims:
        lines += ["No claims match.", ""]
        return "\n".join(lines)
    lines += _relations_md(digest, "disagree")
    lines += _relations_md(digest, "agree")
    lines += _themes_md(digest)
    lines += _only_in_md(digest)
    lines += _table_md(digest)
    lines += ["## References", ""]
    for ref in digest.references:
        lines.append(f"{ref.n}. {_md(ref.citation())} `{ref.doc_id}`")
    lines.append("")
    return "\n".join(lines)


def render_json(digest: Digest) -> str:
    return json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render_csv(digest: Digest) -> str:
    """The evidence table as CSV: one row per document, full statements."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ref", "doc_id", "title", "mechanism", "evidence", "implication"])
    for row in digest.table:
        ref = digest.reference(row.ref)
        cells = table_cells(digest, row, limit=None)
        writer.writerow([row.ref, ref.doc_id, _csv_safe(ref.title or ""), *map(_csv_safe, cells)])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """No formula injection when the CSV is opened in a spreadsheet."""
    flat = one_line(text)
    return "'" + flat if flat[:1] in ("=", "+", "-", "@") else flat


def render_text(digest: Digest) -> str:
    """Plain text overview (themes with labels and documents, flags, "Only in" counts) for
    terminals: no markup, one item per line."""
    lines = [
        f"{len(digest.references)} documents · {len(digest.claims)} claims · "
        f"{len(digest.themes)} themes",
        "",
    ]
    for kind, title in (("disagree", "Disagreements"), ("agree", "Agreements")):
        relations = digest.disagreements if kind == "disagree" else digest.agreements
        lines.append(f"{title}:")
        if not relations:
            lines.append(f"  {none_found(digest, kind)}")  # type: ignore[arg-type]
        for rel in relations:
            a, b = digest.claim(rel.a), digest.claim(rel.b)
            mark = "⚠" if kind == "disagree" else "✓"
            lines.append(f"  {mark} {describe_relation(digest, rel)}")
            lines.append(f"      C{a.id} [{a.ref}] “{one_line(a.quote)}”")
            lines.append(f"      C{b.id} [{b.ref}] “{one_line(b.quote)}”")
        lines.append("")
    lines.append("Themes:")
    for t in digest.themes:
        refs = ", ".join(f"[{r}]" for r in t.documents)
        flags = len(t.disagreements) + len(t.agreements)
        flag = f" · {flags} flagged pair(s)" if flags else ""
        lines.append(f"  {t.id}. {t.label} — {len(t.claims)} claims from {refs}{flag}")
        for cid in t.claims:
            c = digest.claim(cid)
            lines.append(
                f"      C{c.id} [{c.ref}] ({FIELD_TAGS[c.field]}) {trim(c.statement, 110)}"
            )
    if not digest.themes:
        lines.append("  No theme is shared by two or more documents.")
    if digest.only_in:
        lines += ["", "Only in one document:"]
        for ref, ids in digest.only_in.items():
            lines.append(f"  Only in [{ref}]: {len(ids)} claim(s)")
    return "\n".join(lines) + "\n"
