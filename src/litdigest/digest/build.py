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

from litdigest.digest.cluster import (
    LEXICAL_THRESHOLD,
    THEME_THRESHOLD,
    Embedder,
    candidate_pairs,
    query_matches,
    theme_groups,
    theme_labels,
)
from litdigest.digest.model import (
    Digest,
    DigestClaim,
    Reference,
    Relation,
    Status,
    TableRow,
    Theme,
    one_line,
    topic_text,
)
from litdigest.digest.polarity import (
    NULL_MIN_SIMILARITY,
    RELATION_MIN_SIMILARITY,
    Parsed,
    compare,
    salient_terms,
)
from litdigest.summarize.schema import SECTIONS, DocumentSummary, Section

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from litdigest.digest.synthesis import Synthesizer
    from litdigest.documents import Metadata
    from litdigest.store.store import Store

__all__ = ["assemble", "build_digest"]


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
    support: str | None = None  # "unverified": its quotes do not support it (issue 14)
    unsupported_terms: tuple[str, ...] = ()


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
                    claim.support if claim.support == "unverified" else None,
                    tuple(claim.unsupported_terms) if claim.support == "unverified" else (),
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
            support=r.support,
            unsupported_terms=r.unsupported_terms,
        )
    return claims, sorted(refs.values(), key=lambda ref: ref.n)


def _group(
    claims: dict[int, DigestClaim],
    ids: list[int],
    vectors: npt.NDArray[np.float32],
    entities: list[frozenset[str]],
    threshold: float,
) -> tuple[list[Theme], dict[int, list[int]]]:
    """Themes spanning two or more documents (largest first, numbered T1…), and per document
    the claims no other document touches ("Only in [n]")."""
    refs = [claims[i].ref for i in ids]
    themes: list[Theme] = []
    only_in: dict[int, list[int]] = {}
    for group in theme_groups(vectors, refs, entities, threshold):
        cids = sorted(ids[g] for g in group)
        documents = sorted({claims[c].ref for c in cids})
        if len(documents) >= 2:
            themes.append(
                Theme(id="", label="", claims=_ordered(cids, claims), documents=documents)
            )
        else:
            only_in.setdefault(documents[0], []).extend(cids)
    _attach(themes, only_in, claims, {c: vectors[k] for k, c in enumerate(ids)}, threshold)
    themes.sort(key=lambda t: (-len(t.documents), -len(t.claims), t.claims[0]))
    for k, theme in enumerate(themes, 1):
        theme.id = f"T{k}"
    background = [
        [(claims[c].statement, ref) for c in cids] for ref, cids in sorted(only_in.items())
    ]
    classes = [[(claims[c].statement, claims[c].ref) for c in t.claims] for t in themes]
    for theme, (label, terms) in zip(
        themes, theme_labels(classes + background, len(themes)), strict=True
    ):
        theme.label, theme.terms = label, terms
    return themes, {ref: sorted(cids) for ref, cids in sorted(only_in.items())}


def _attach(
    themes: list[Theme],
    only_in: dict[int, list[int]],
    claims: dict[int, DigestClaim],
    vector_of: dict[int, npt.NDArray[np.float32]],
    threshold: float,
) -> None:
    """Moves an unshared claim into the theme whose members it is closest to on average,
    when that mean cosine is ≥ ``threshold`` (its own document's claims clustered first)."""
    import numpy as np

    if not themes or not only_in:
        return
    centroids = np.stack([np.mean([vector_of[c] for c in t.claims], axis=0) for t in themes])
    for ref in list(only_in):
        keep: list[int] = []
        for cid in only_in[ref]:
            means = centroids @ vector_of[cid]
            best = int(np.argmax(means))
            if means[best] >= threshold:
                themes[best].claims = _ordered([*themes[best].claims, cid], claims)
                themes[best].documents = sorted({*themes[best].documents, ref})
            else:
                keep.append(cid)
        if keep:
            only_in[ref] = keep
        else:
            del only_in[ref]


def _ordered(cids: list[int], claims: dict[int, DigestClaim]) -> list[int]:
    """Field order, accepted claims first, then by document."""
    order = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(cids, key=lambda c: (order[claims[c].field], claims[c].status != "accepted", c))


def _table(claims: dict[int, DigestClaim], references: list[Reference]) -> list[TableRow]:
    by_ref: dict[int, list[int]] = {}
    for cid in sorted(claims):
        by_ref.setdefault(claims[cid].ref, []).append(cid)
    rows: list[TableRow] = []
    for ref in references:
        mine = by_ref.get(ref.n, [])
        rows.append(
            TableRow(
                ref=ref.n,
                mechanism=[c for c in mine if claims[c].field == "mechanism"],
                evidence=[c for c in mine if claims[c].field == "evidence"],
                implication=[c for c in mine if claims[c].field == "therapeutic_implication"],
            )
        )
    return rows


def _relate(
    claims: dict[int, DigestClaim],
    ids: list[int],
    vectors: npt.NDArray[np.float32],
    themes: list[Theme],
    gate: float,
    entities: list[frozenset[str]],
) -> tuple[list[Relation], list[Relation]]:
    """Agreements and disagreements between claims of different documents that share a
    salient entity in a compatible setting (``polarity.compare``), among candidate pairs."""
    theme_of = {c: t for t in themes for c in t.claims}
    parsed = [Parsed.of(claims[i].statement, entities[k]) for k, i in enumerate(ids)]
    disagreements: list[Relation] = []
    agreements: list[Relation] = []
    for x, y, sim in candidate_pairs(vectors, [claims[i].ref for i in ids], entities, gate):
        if not parsed[x].assertions or not parsed[y].assertions:
            continue
        found = compare(parsed[x], parsed[y], allow_null=sim >= NULL_MIN_SIMILARITY)
        if found is None:
            continue
        kind, opposition, target, detail = found
        a, b = ids[x], ids[y]
        relation = Relation(kind, a, b, target, detail, opposition)  # type: ignore[arg-type]
        (agreements if kind == "agree" else disagreements).append(relation)
        for theme in {id(t): t for t in (theme_of.get(a), theme_of.get(b)) if t}.values():
            (theme.agreements if kind == "agree" else theme.disagreements).append(relation)
    key = lambda r: (r.a, r.b)  # noqa: E731
    return sorted(disagreements, key=key), sorted(agreements, key=key)


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
    raw = _select(store, status)
    if query and query.strip() and raw:
        keep = query_matches(query, [f"{r.statement} {r.quote}" for r in raw], embedder)
        raw = [r for r, k in zip(raw, keep, strict=True) if k]
    claims, references = _number(raw)
    digest = assemble(claims, references, embedder, status=status, query=query)
    if synthesizer is not None:
        _synthesize(digest, synthesizer)
    return digest


def assemble(
    claims: dict[int, DigestClaim],
    references: list[Reference],
    embedder: Embedder,
    *,
    status: Status = "all",
    query: str | None = None,
) -> Digest:
    """Themes, "Only in" sections, the evidence table and the relations of numbered claims."""
    ids = sorted(claims)
    vectors = embedder.vectors([topic_text(claims[i].statement) for i in ids])
    warnings = [embedder.warning] if embedder.warning else []
    entities = [salient_terms(claims[i].statement) for i in ids]
    threshold = THEME_THRESHOLD if embedder.kind == "wordllama" else LEXICAL_THRESHOLD
    themes, only_in = _group(claims, ids, vectors, entities, threshold)
    gate = RELATION_MIN_SIMILARITY if embedder.kind == "wordllama" else LEXICAL_THRESHOLD
    disagreements, agreements = _relate(claims, ids, vectors, themes, gate, entities)
    return Digest(
        status=status,
        query=query or None,
        claims=claims,
        themes=themes,
        references=references,
        disagreements=disagreements,
        agreements=agreements,
        embedding=embedder.kind,
        synthesis="extractive",
        only_in=only_in,
        table=_table(claims, references),
        warnings=warnings,
    )


def _synthesize(digest: Digest, synthesizer: Synthesizer) -> None:
    asyncio.run(synthesizer.synthesize(digest.themes, digest.claims))
    digest.synthesis = synthesizer.label
    if synthesizer.dropped:
        digest.warnings.append(
            f"{synthesizer.dropped} synthesized sentence(s) dropped: missing or invalid citations"
        )
    if synthesizer.failed:
        digest.warnings.append(
            f"synthesis failed for {synthesizer.failed} theme(s); extractive headings kept"
        )
