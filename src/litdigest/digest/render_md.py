"""The digest as Markdown and JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from litdigest.digest.model import FIELD_TITLES, Digest, Relation, one_line
from litdigest.summarize.schema import SECTIONS

__all__ = ["describe_relation", "render_json", "render_markdown"]


def _md(text: str) -> str:
    """Untrusted text for Markdown: no raw HTML, no emphasis or link syntax, one line."""
    text = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


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


def _claim_md(digest: Digest, cid: int) -> list[str]:
    c = digest.claim(cid)
    tags = []
    if c.evidence_kind:
        tags.append(c.evidence_kind.replace("_", " "))
    if c.status == "accepted":
        tags.append("accepted")
    if c.edited:
        tags.append("edited")
    tag = f" *({', '.join(tags)})*" if tags else ""
    return [f"- **C{c.id}** {_md(c.statement)} [{c.ref}]{tag}", f"  > “{_md(c.quote)}”"]


def render_markdown(digest: Digest) -> str:
    lines: list[str] = ["# Literature digest", ""]
    n_claims = len(digest.claims)
    lines.append(
        f"{len(digest.references)} documents · {n_claims} claims · {len(digest.themes)} themes · "
        f"claims: {'accepted by review' if digest.status == 'accepted' else 'all (not rejected)'}"
        + (f" · query: “{_md(digest.query)}”" if digest.query else "")
        + f" · grouping: {digest.embedding} · synthesis: {_md(digest.synthesis)}"
    )
    lines.append("")
    for w in digest.warnings:
        lines += [f"> Note: {_md(w)}", ""]
    if not digest.claims:
        lines += ["No claims match.", ""]
        return "\n".join(lines)
    if digest.disagreements:
        lines += ["## Where the documents disagree", ""]
        for rel in digest.disagreements:
            a, b = digest.claim(rel.a), digest.claim(rel.b)
            lines.append(f"- **{_md(describe_relation(digest, rel))}**")
            lines.append(f"  - C{a.id} [{a.ref}]: {_md(a.statement)}")
            lines.append(f"  - C{b.id} [{b.ref}]: {_md(b.statement)}")
        lines.append("")
    shared = [
        t for t in digest.themes if len(t.documents) >= 2 and (t.agreements or not t.disagreements)
    ]
    if digest.agreements:
        lines += ["## Where the documents agree", ""]
        for rel in digest.agreements:
            lines.append(f"- {_md(describe_relation(digest, rel))}")
        lines.append("")
    if shared:
        lines += ["## Themes shared by several documents", ""]
        for t in shared:
            refs = ", ".join(f"[{r}]" for r in t.documents)
            lines.append(f"- {refs} share the theme {t.id}: “{_md(t.heading)}”")
        lines.append("")
    for section in SECTIONS:
        themes = [t for t in digest.themes if t.field == section]
        if not themes:
            continue
        lines += [f"## {FIELD_TITLES[section]}", ""]
        singles = [t for t in themes if len(t.claims) == 1]
        for t in [t for t in themes if len(t.claims) > 1]:
            refs = ", ".join(f"[{r}]" for r in t.documents)
            cite = f" ({_cites(digest, t.heading_cites)})" if t.heading_cites else ""
            lines += [f"### {t.id}. {_md(t.heading)}{cite}", "", f"*Documents: {refs}*", ""]
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
        if singles:
            lines += [f"### Other {FIELD_TITLES[section].lower()} claims", ""]
            for t in singles:
                lines.extend(_claim_md(digest, t.claims[0]))
                for rel in t.disagreements:
                    lines.append(f"  - ⚠ Disagreement: {_md(describe_relation(digest, rel))}")
            lines.append("")
    lines += ["## References", ""]
    for ref in digest.references:
        lines.append(f"{ref.n}. {_md(ref.citation())} `{ref.doc_id}`")
    lines.append("")
    return "\n".join(lines)


def render_json(digest: Digest) -> str:
    return json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n"
