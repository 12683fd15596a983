"""Cross-document digest: claims grouped by field and theme, agreements and disagreements.

``build_digest`` reads the latest stored summary of every document and:

1. **selects claims**: ``status="all"`` takes every stored claim except those a reviewer
   rejected; ``status="accepted"`` only claims a reviewer accepted. Edited statements
   (review ``edit`` decisions) replace the summarizer's statement in both modes, and accepted
   claims are listed first and preferred as a theme's heading;
2. **filters** by ``query`` (optional): a claim is kept when most of the query's content words
   occur in its statement or quote (light stemming), or when its embedding is close to the
   query's (cosine ≥ ``QUERY_MIN_SIMILARITY``);
3. **groups** the claims of each field (mechanism, evidence, therapeutic implication) into
   themes by clustering their static embeddings (``litdigest.digest.cluster``);
4. **heads** each theme with the statement of its most central claim (highest mean similarity
   to the other members, accepted claims first), trimmed; with an LLM ``Synthesizer``
   (``litdigest.digest.synthesis``) the heading and a short paragraph are written by the
   model, and every synthesized sentence must cite claim ids of the theme;
5. **compares** claims of different documents with the offline polarity detector
   (``litdigest.digest.polarity``).

Every claim cites its document ``[n]`` and carries its verbatim quote; the reference list is
built from the documents' metadata. Renderers live in ``render_md`` and ``render_html``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from litdigest.digest.cluster import LEXICAL_THRESHOLD, Embedder, cluster, query_matches
from litdigest.digest.model import (
    Digest,
    DigestClaim,
    Reference,
    Relation,
    Status,
    Theme,
    one_line,
    topic_text,
    trim,
)
from litdigest.digest.polarity import (
    NULL_MIN_SIMILARITY,
    RELATION_MIN_SIMILARITY,
    Parsed,
    compare,
)
from litdigest.summarize.schema import SECTIONS, DocumentSummary, Section

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from litdigest.digest.synthesis import Synthesizer
    from litdigest.documents import Metadata
    from litdigest.store.store import Store

__all__ = ["build_digest"]


@dataclass
class _Loaded:
    summary: DocumentSummary
    metadata: Metadata
    source: str


@dataclass(frozen=True, slots=True)
class _Raw:
    """A selected claim before numbering."""

    loaded: _Loaded
    section: Section
    index: int
    statement: str
    quote: str
    kind: str | None
    accepted: bool
    edited: bool


def _load(store: Store) -> list[_Loaded]:
    """The latest stored summary of each document, in order of first storage."""
    latest: dict[str, DocumentSummary] = {}
    for row in store.iter_summaries():
        try:
            latest[row.doc_id] = DocumentSummary.model_validate_json(row.summary_json)
        except ValueError:
            continue
    out: list[_Loaded] = []
    for doc_id, summary in latest.items():
        doc = store.get_document(doc_id)
        meta = summary.metadata if doc is None else doc.metadata.merged(summary.metadata)
        out.append(_Loaded(summary, meta, summary.source if doc is None else doc.source))
    return out


def _select(store: Store, status: Status) -> list[_Raw]:
    """Stored claims not rejected (``all``) or accepted (``accepted``), edits applied."""
    raw: list[_Raw] = []
    for loaded in _load(store):
        summary = loaded.summary
        decisions = store.current_decisions(summary.doc_id)
        for section, index, claim in summary.iter_claims():
            state = decisions.get((section, index))
            accepted = state is not None and state.status == "accepted"
            if state is not None and state.status == "rejected":
                continue
            if status == "accepted" and not accepted:
                continue
            statement = (
                state.statement if state is not None and state.statement else claim.statement
            )
            edited = state is not None and bool(state.statement)
            kind = claim.evidence_kind.value if claim.evidence_kind is not None else None
            raw.append(
                _Raw(
                    loaded,
                    section,
                    index,
                    one_line(statement),
                    claim.quotes[0].text,
                    kind,
                    accepted,
                    edited,
                )
            )
    return raw


def _number(raw: list[_Raw]) -> tuple[dict[int, DigestClaim], list[Reference]]:
    """Documents numbered in order of first claim; claims in (field, document) order."""
    refs: dict[str, Reference] = {}
    for r in raw:
        doc_id = r.loaded.summary.doc_id
        if doc_id not in refs:
            m = r.loaded.metadata
            refs[doc_id] = Reference(
                n=len(refs) + 1,
                doc_id=doc_id,
                title=one_line(m.title) if m.title else None,
                authors=list(m.authors),
                year=m.year,
                journal=m.journal,
                doi=m.doi,
                source=r.loaded.source,
            )
    field_order = {s: i for i, s in enumerate(SECTIONS)}
    ordered = sorted(
        raw, key=lambda r: (field_order[r.section], refs[r.loaded.summary.doc_id].n, r.index)
    )
    claims: dict[int, DigestClaim] = {}
    for i, r in enumerate(ordered, 1):
        doc_id = r.loaded.summary.doc_id
        claims[i] = DigestClaim(
            id=i,
            doc_id=doc_id,
            ref=refs[doc_id].n,
            field=r.section,
            index=r.index,
            statement=r.statement,
            quote=r.quote,
            evidence_kind=r.kind,
            status="accepted" if r.accepted else "pending",
            edited=r.edited,
        )
    return claims, sorted(refs.values(), key=lambda ref: ref.n)


def _group(
    claims: dict[int, DigestClaim],
    ids: list[int],
    vectors: npt.NDArray[np.float32],
    threshold: float,
) -> list[Theme]:
    """Themes per field (clustered), numbered T1… in field order, largest first."""
    row = {cid: k for k, cid in enumerate(ids)}
    themes: list[Theme] = []
    for section in SECTIONS:
        members = [i for i in ids if claims[i].field == section]
        if not members:
            continue
        sub = vectors[[row[i] for i in members]]
        field_themes: list[Theme] = []
        for group in cluster(sub, threshold):
            cids = [members[g] for g in group]
            sims = sub[group] @ sub[group].T
            central = _central(cids, sims, claims)
            ordered = sorted(cids, key=lambda c: (claims[c].status != "accepted", c != central, c))
            field_themes.append(
                Theme(
                    id="",
                    field=section,
                    heading=trim(claims[central].statement),
                    heading_claim=central,
                    claims=ordered,
                    documents=sorted({claims[c].ref for c in cids}),
                )
            )
        field_themes.sort(key=lambda t: (-len(t.documents), -len(t.claims), t.claims[0]))
        themes.extend(field_themes)
    for k, theme in enumerate(themes, 1):
        theme.id = f"T{k}"
    return themes


def _relate(
    claims: dict[int, DigestClaim],
    ids: list[int],
    vectors: npt.NDArray[np.float32],
    themes: list[Theme],
    gate: float,
) -> tuple[list[Relation], list[Relation]]:
    """Agreements and disagreements between claims of different documents."""
    theme_of = {c: t for t in themes for c in t.claims}
    disagreements: list[Relation] = []
    agreements: list[Relation] = []
    parsed = {i: Parsed.of(claims[i].statement) for i in ids}
    sims_all = vectors @ vectors.T
    for x, a in enumerate(ids):
        if not parsed[a].assertions:
            continue
        for y in range(x + 1, len(ids)):
            b = ids[y]
            ca, cb = claims[a], claims[b]
            if ca.doc_id == cb.doc_id or not parsed[b].assertions or sims_all[x, y] < gate:
                continue
            found = compare(
                parsed[a], parsed[b], allow_null=bool(sims_all[x, y] >= NULL_MIN_SIMILARITY)
            )
            if found is None:
                continue
            kind, opposition, target, detail = found
            if kind == "agree" and theme_of[a] is not theme_of[b]:
                continue  # agreement is reported within a theme only
            relation = Relation(kind, a, b, target, detail, opposition)  # type: ignore[arg-type]
            if kind == "agree":
                agreements.append(relation)
                theme_of[a].agreements.append(relation)
                continue
            disagreements.append(relation)
            theme_of[a].disagreements.append(relation)
            if theme_of[b] is not theme_of[a]:
                theme_of[b].disagreements.append(relation)
    return disagreements, agreements


def build_digest(
    store: Store,
    *,
    status: Status = "all",
    query: str | None = None,
    embedder: Embedder | None = None,
    synthesizer: Synthesizer | None = None,
) -> Digest:
    """Select, filter, group and compare the stored claims (see the module docstring)."""
    embedder = embedder or Embedder()
    warnings: list[str] = []
    raw = _select(store, status)
    if query and query.strip() and raw:
        keep = query_matches(query, [f"{r.statement} {r.quote}" for r in raw], embedder)
        raw = [r for r, k in zip(raw, keep, strict=True) if k]
    claims, references = _number(raw)
    ids = sorted(claims)
    vectors = embedder.vectors([topic_text(claims[i].statement) for i in ids])
    if embedder.warning:
        warnings.append(embedder.warning)
    themes = _group(claims, ids, vectors, embedder.threshold)
    gate = RELATION_MIN_SIMILARITY if embedder.kind == "wordllama" else LEXICAL_THRESHOLD
    disagreements, agreements = _relate(claims, ids, vectors, themes, gate)
    digest = Digest(
        status=status,
        query=query or None,
        claims=claims,
        themes=themes,
        references=references,
        disagreements=disagreements,
        agreements=agreements,
        embedding=embedder.kind,
        synthesis="extractive",
        warnings=warnings,
    )
    if synthesizer is not None:
        _synthesize(digest, synthesizer)
    return digest


def _synthesize(digest: Digest, synthesizer: Synthesizer) -> None:
    multi = [t for t in digest.themes if len(t.claims) >= 2]
    asyncio.run(synthesizer.synthesize(multi, digest.claims))
    digest.synthesis = synthesizer.label
    if synthesizer.dropped:
        digest.warnings.append(
            f"{synthesizer.dropped} synthesized sentence(s) dropped: missing or invalid citations"
        )
    if synthesizer.failed:
        digest.warnings.append(
            f"synthesis failed for {synthesizer.failed} theme(s); extractive headings kept"
        )


def _central(cids: list[int], sims: npt.NDArray[np.float32], claims: dict[int, DigestClaim]) -> int:
    """The member with the highest mean similarity to the others (accepted claims first)."""
    import numpy as np

    if len(cids) == 1:
        return cids[0]
    means = (sims.sum(axis=1) - np.diag(sims)) / (len(cids) - 1)
    order = sorted(
        range(len(cids)),
        key=lambda k: (claims[cids[k]].status != "accepted", -float(means[k]), cids[k]),
    )
    return cids[order[0]]
