"""The digest as one self-contained HTML file.

Inline CSS only: no script, no stylesheet link, no image, font or other external asset, and a
Content-Security-Policy (``default-src 'none'``) that would block any that slipped in. Every
piece of untrusted text (titles, statements, quotes, authors, sources, DOIs) goes through
``html.escape``; DOI links are built as ``https://doi.org/`` + the percent-encoded DOI, so a
document can never inject markup, a script or a ``javascript:`` URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final
from urllib.parse import quote

from litdigest.digest.model import Digest, Relation
from litdigest.digest.render_md import FIELD_TAGS, describe_relation, none_found, table_cells

__all__ = ["render_html"]

_CSS: Final = """
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dee7; --accent:#2454a6; --bad:#a8321e;
  --badbg:#fdf1ee; --good:#23733b; --goodbg:#eef8f0; --quote:#f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 .8rem; padding-bottom: .3rem;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 1.07rem; margin: 0 0 .35rem; }
.meta { color: var(--muted); font-size: .92rem; }
.note { background: #fff8e1; border-left: 4px solid #e0b000; padding: .5rem .8rem;
  margin: .8rem 0; font-size: .92rem; }
nav ul { columns: 2; padding-left: 1.2rem; font-size: .92rem; }
.theme { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem;
  margin: 0 0 1rem; }
.theme .docs { color: var(--muted); font-size: .88rem; margin-bottom: .5rem; }
.synth { margin: .4rem 0 .8rem; }
.claims { list-style: none; padding: 0; margin: 0; }
.claims li { padding: .45rem 0; border-top: 1px dashed var(--line); }
.cid { font: 600 .8rem ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--muted);
  margin-right: .35rem; }
.ref { color: var(--accent); text-decoration: none; font-weight: 600; }
.tag { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: 1rem;
  background: #eef1f6; color: var(--muted); margin-left: .3rem; }
.tag.acc { background: var(--goodbg); color: var(--good); }
blockquote { margin: .3rem 0 0; padding: .35rem .7rem; background: var(--quote);
  border-left: 3px solid var(--line); color: #333b4a; font-size: .93rem; }
.rel { padding: .5rem .8rem; border-radius: 6px; margin: .5rem 0 0; font-size: .93rem; }
.rel.bad { background: var(--badbg); border-left: 4px solid var(--bad); }
.rel.good { background: var(--goodbg); border-left: 4px solid var(--good); }
.rel ul { margin: .3rem 0 0; padding-left: 1.2rem; }
ol.refs { padding-left: 2.2rem; }
ol.refs li { margin: .3rem 0; }
code { font: .8rem ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--muted); }
a { color: var(--accent); }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; margin: .5rem 0 0; }
.pair > div { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: .5rem .7rem; }
.none { color: var(--muted); font-style: italic; }
.label { font-size: 1.1rem; }
.terms { color: var(--muted); font-size: .85rem; }
table.evidence { border-collapse: collapse; width: 100%; font-size: .85rem; }
table.evidence th, table.evidence td { border: 1px solid var(--line); padding: .35rem .5rem;
  vertical-align: top; text-align: left; }
table.evidence th { background: #eef1f6; }
@media print { .theme { break-inside: avoid; } }
"""


def _e(text: str) -> str:
    return escape(" ".join(str(text).split()), quote=True)


def _ref(n: int) -> str:
    return f'<a class="ref" href="#ref-{n}">[{n}]</a>'


def _cites(digest: Digest, cites: Sequence[int]) -> str:
    parts = [f'<a href="#c{c}">C{c}</a>&nbsp;{_ref(digest.claim(c).ref)}' for c in cites]
    return '<span class="meta">(' + "; ".join(parts) + ")</span>"


def _relation(digest: Digest, rel: Relation) -> str:
    """A flagged pair: what is shared, then both statements and quotes side by side."""
    a, b = digest.claim(rel.a), digest.claim(rel.b)
    cls = "bad" if rel.kind == "disagree" else "good"
    label = "Disagreement" if rel.kind == "disagree" else "Agreement"
    sides = "".join(
        f"<div>{_link(c.id)} {_ref(c.ref)} {_e(c.statement)}"
        f"<blockquote>“{_e(c.quote)}”</blockquote></div>"
        for c in (a, b)
    )
    return (
        f'<div class="rel {cls}"><strong>{label}:</strong> {_e(describe_relation(digest, rel))}'
        f'<div class="pair">{sides}</div></div>'
    )


def _link(cid: int) -> str:
    return f'<a class="cid" href="#c{cid}">C{cid}</a>'


def _claim(digest: Digest, cid: int) -> str:
    c = digest.claim(cid)
    tags = f'<span class="tag">{FIELD_TAGS[c.field]}</span>'
    if c.evidence_kind:
        tags += f'<span class="tag">{_e(c.evidence_kind.replace("_", " "))}</span>'
    if c.status == "accepted":
        tags += '<span class="tag acc">accepted</span>'
    if c.edited:
        tags += '<span class="tag">edited</span>'
    if c.support == "unverified":
        terms = "; ".join(c.unsupported_terms)
        tags += f'<span class="tag" title="{_e(terms)}">unverified: {_e(terms)}</span>'
    return (
        f'<li id="c{c.id}"><span class="cid">C{c.id}</span>{_e(c.statement)} '
        f"{_ref(c.ref)}{tags}<blockquote>“{_e(c.quote)}”</blockquote></li>"
    )


def render_html(digest: Digest) -> str:
    """The whole digest as one HTML document (UTF-8, no external resources)."""
    out = _head(digest)
    if not digest.claims:
        out.append("<p>No claims match.</p></main></body></html>")
        return "\n".join(out) + "\n"
    out.extend(_contents(digest))
    out.extend(_overview(digest))
    out.extend(_themes(digest))
    out.extend(_only_in(digest))
    out.extend(_table(digest))
    out.extend(_references(digest))
    return "\n".join(out) + "\n"


def _head(digest: Digest) -> list[str]:
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Literature digest</title>",
        f"<style>{_CSS}</style>",
        "</head><body><main>",
        "<h1>Literature digest</h1>",
    ]
    status = "accepted by review" if digest.status == "accepted" else "all (not rejected)"
    summary = (
        f"{len(digest.references)} documents · {len(digest.claims)} claims · "
        f"{len(digest.themes)} themes · claims: {status}"
    )
    if digest.query:
        summary += f" · query: “{digest.query}”"
    summary += f" · grouping: {digest.embedding} · synthesis: {digest.synthesis}"
    out.append(f'<p class="meta">{_e(summary)}</p>')
    for w in digest.warnings:
        out.append(f'<p class="note">{_e(w)}</p>')
    return out


def _contents(digest: Digest) -> list[str]:
    out = ["<nav><h2>Contents</h2><ul>"]
    out.append('<li><a href="#disagree">Where the documents disagree</a></li>')
    out.append('<li><a href="#agree">Where the documents agree</a></li>')
    out.append('<li><a href="#themes">Themes shared by several documents</a></li>')
    if digest.only_in:
        out.append('<li><a href="#only-in">Only in one document</a></li>')
    out.append('<li><a href="#table">Evidence table</a></li>')
    out.append('<li><a href="#references">References</a></li></ul></nav>')
    return out


def _overview(digest: Digest) -> list[str]:
    out: list[str] = []
    for kind, title, relations in (
        ("disagree", "Where the documents disagree", digest.disagreements),
        ("agree", "Where the documents agree", digest.agreements),
    ):
        out.append(f'<section id="{kind}"><h2>{title}</h2>')
        if relations:
            out.extend(_relation(digest, rel) for rel in relations)
        else:
            out.append(f'<p class="none">{_e(none_found(digest, kind))}</p>')  # type: ignore[arg-type]
        out.append("</section>")
    return out


def _themes(digest: Digest) -> list[str]:
    out = ['<section id="themes"><h2>Themes shared by several documents</h2>']
    if not digest.themes:
        out.append('<p class="none">No theme is shared by two or more documents.</p>')
    for t in digest.themes:
        docs = " ".join(_ref(r) for r in t.documents)
        out.append(f'<article class="theme" id="{t.id}">')
        out.append(f'<h3 class="label">{t.id}. {_e(t.label)}</h3>')
        out.append(
            f'<div class="docs">{len(t.claims)} claims · {len(t.documents)} documents {docs}</div>'
        )
        if t.heading:
            out.append(f"<p><strong>{_e(t.heading)}</strong> {_cites(digest, t.heading_cites)}</p>")
        if t.paragraph:
            sentences = " ".join(f"{_e(s.text)} {_cites(digest, s.cites)}" for s in t.paragraph)
            out.append(f'<p class="synth">{sentences}</p>')
        out.append('<ul class="claims">')
        out.extend(_claim(digest, cid) for cid in t.claims)
        out.append("</ul>")
        out.extend(_relation(digest, rel) for rel in t.disagreements)
        out.extend(_relation(digest, rel) for rel in t.agreements)
        out.append("</article>")
    out.append("</section>")
    return out


def _only_in(digest: Digest) -> list[str]:
    if not digest.only_in:
        return []
    out = ['<section id="only-in"><h2>Only in one document</h2>']
    for ref, ids in digest.only_in.items():
        out.append(f'<article class="theme"><h3>Only in {_ref(ref)}</h3><ul class="claims">')
        out.extend(_claim(digest, cid) for cid in ids)
        out.append("</ul></article>")
    out.append("</section>")
    return out


def _table(digest: Digest) -> list[str]:
    out = [
        '<section id="table"><h2>Evidence table</h2><table class="evidence">',
        "<tr><th>Document</th><th>Mechanism</th><th>Evidence (kind)</th><th>Implication</th></tr>",
    ]
    for row in digest.table:
        cells = "".join(f"<td>{_e(c)}</td>" for c in table_cells(digest, row))
        out.append(f"<tr><td>{_ref(row.ref)}</td>{cells}</tr>")
    out.append("</table></section>")
    return out


def _references(digest: Digest) -> list[str]:
    out = ['<section id="references"><h2>References</h2><ol class="refs">']
    for ref in digest.references:
        doi = ""
        if ref.doi:
            href = "https://doi.org/" + quote(ref.doi.strip(), safe="/:;()._-")
            doi = f' <a href="{escape(href, quote=True)}" rel="noreferrer">doi</a>'
        out.append(
            f'<li id="ref-{ref.n}">{_e(ref.citation())}{doi} <code>{_e(ref.doc_id)}</code></li>'
        )
    out.append("</ol></section></main></body></html>")
    return out
