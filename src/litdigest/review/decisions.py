"""Review operations over the store, independent of any user interface.

The review log is the store's append-only ``review_decisions`` table; nothing here needs a
schema change:

* A claim is addressed by ``(doc_id, field, claim_index)`` in the document's *current*
  summary (the most recently stored one). Every decision written here carries the claim's
  original statement in ``statement_before``; when a document is summarized again and the
  claim at an index changes, decisions made about the old claim no longer apply to the new
  one (they apply again if the old summary is chosen again) (decisions without ``statement_before``, written by other tools, always apply).
  ``statement_before`` of an ``edit`` is therefore the *original* statement (kept for audit),
  and ``statement_after`` the reviewer's text.
* The summary under review is the most recently stored one, unless ``use_summary`` chose
  another: that choice is a decision on the pseudo-field ``"_summary"`` whose
  ``claim_index`` is the summary's row id.
* "Document done" is a decision on the pseudo-claim ``("_document", 0)``: ``accept`` marks
  the document done, ``reject`` reopens it.
* Every operation writes (and commits) its decisions before it returns, so a crash loses
  nothing. ``Reviewer.undo`` undoes the last operation of this session (all the decisions of
  an "accept all" together) and, with no session history, the latest effective decision of
  the given document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final, Literal, get_args

from pydantic import ValidationError

from litdigest.documents import Document
from litdigest.store.rows import ClaimState, Decision, ReviewAction, StoredSummary, claim_state
from litdigest.store.store import Store
from litdigest.summarize.schema import SECTIONS, Claim, DocumentSummary, Quote, Section

__all__ = [
    "DOCUMENT_FIELD",
    "DOC_STATUSES",
    "SUMMARY_FIELD",
    "Applied",
    "ClaimView",
    "DigestEntry",
    "DocStatus",
    "DocumentRow",
    "ExportStatus",
    "ReviewDocument",
    "Reviewer",
    "Selection",
    "build_digest",
    "default_selection",
]

DOCUMENT_FIELD: Final = "_document"
SUMMARY_FIELD: Final = "_summary"
DocStatus = Literal["unreviewed", "in_progress", "done"]
DOC_STATUSES: Final[tuple[DocStatus, ...]] = get_args(DocStatus)
ClaimStatus = Literal["pending", "accepted", "rejected"]
ExportStatus = Literal["accepted", "all"]


@dataclass(frozen=True, slots=True)
class ClaimView:
    """One claim of the current summary with its review state."""

    doc_id: str
    field: Section
    index: int
    claim: Claim
    status: ClaimStatus
    edited_statement: str | None
    flagged: bool
    note: str | None

    @property
    def key(self) -> str:
        return f"{self.field}:{self.index}"

    @property
    def original_statement(self) -> str:
        return self.claim.statement

    @property
    def statement(self) -> str:
        """The statement as reviewed: the edit if any, else the original."""
        return self.edited_statement if self.edited_statement is not None else self.claim.statement

    @property
    def edited(self) -> bool:
        return self.edited_statement is not None and self.edited_statement != self.claim.statement

    @property
    def quotes(self) -> list[Quote]:
        return self.claim.quotes


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """A document of the review list: what to show and filter on."""

    doc_id: str
    title: str
    year: int | None
    source: str
    status: DocStatus
    accepted: int
    rejected: int
    flagged: int
    total: int

    @property
    def pending(self) -> int:
        return self.total - self.accepted - self.rejected

    def matches(self, query: str) -> bool:
        """Case-insensitive match of every word of ``query`` in title, year, source or id."""
        hay = " ".join(
            (self.title, str(self.year or ""), self.source, self.doc_id, self.status)
        ).casefold()
        return all(word in hay for word in query.casefold().split())


@dataclass(frozen=True, slots=True)
class ReviewDocument:
    """Everything the review screens show about one document."""

    row: DocumentRow
    document: Document
    summary: DocumentSummary
    claims: tuple[ClaimView, ...]

    def claim(self, field_name: str, index: int) -> ClaimView | None:
        for view in self.claims:
            if view.field == field_name and view.index == index:
                return view
        return None


@dataclass(frozen=True, slots=True)
class Applied:
    """What one review operation wrote: the claims that got a decision (for undo)."""

    label: str
    doc_id: str
    targets: tuple[tuple[str, int, str | None], ...]  # (field, claim_index, statement_before)


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One claim of a digest, with its document and review state."""

    doc_id: str
    title: str
    year: int | None
    source: str
    doc_status: DocStatus
    field: Section
    index: int
    status: ClaimStatus
    statement: str
    original_statement: str
    edited: bool
    flagged: bool
    note: str | None
    evidence_kind: str | None
    quotes: tuple[Quote, ...]
    support: str | None = None  # "supported", "unverified" or None (not checked)
    unsupported_terms: tuple[str, ...] = ()


@dataclass(slots=True)
class _Loaded:
    stored: StoredSummary
    summary: DocumentSummary


def _title(document: Document | None, summary: DocumentSummary) -> str:
    title = summary.metadata.title or (document.metadata.title if document else None)
    if title:
        return " ".join(title.split())
    name = PurePath(summary.source.split("#", 1)[0]).name
    return name or summary.doc_id


def _year(document: Document | None, summary: DocumentSummary) -> int | None:
    return summary.metadata.year or (document.metadata.year if document else None)


class Reviewer:
    """Review operations on one store (use it from the thread that opened the store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._history: list[Applied] = []
        self._summaries: dict[str, _Loaded] = {}
        self._order: list[str] = []
        self._documents: dict[str, Document] = {}
        self._search: dict[str, str] = {}  # doc_id -> casefolded authors, journal, full text
        self.reload()

    # ---- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the summaries (e.g. after a document was summarized again)."""
        by_doc: dict[str, dict[int, StoredSummary]] = {}
        for stored in self.store.iter_summaries():  # oldest first
            by_doc.setdefault(stored.doc_id, {})[stored.id] = stored
        loaded: dict[str, _Loaded] = {}
        kept: list[str] = []
        for doc_id, stored_by_id in by_doc.items():
            pinned = self._pinned(doc_id)
            chosen = stored_by_id.get(pinned) if pinned is not None else None
            stored = chosen if chosen is not None else stored_by_id[max(stored_by_id)]
            cached = self._summaries.get(doc_id)
            if cached is not None and cached.stored.id == stored.id:
                loaded[doc_id] = cached
                kept.append(doc_id)
                continue
            try:
                summary = DocumentSummary.model_validate_json(stored.summary_json)
            except ValidationError:
                continue  # unreadable summary: nothing to review
            loaded[doc_id] = _Loaded(stored, summary)
            kept.append(doc_id)
        self._summaries = loaded
        self._order = kept
        self._search.clear()  # a new summary may bring other metadata

    def _pinned(self, doc_id: str) -> int | None:
        pinned: int | None = None
        for decision in self.store.decisions(doc_id):
            if decision.field == SUMMARY_FIELD and decision.action == "accept":
                pinned = decision.claim_index
        return pinned

    def use_summary(self, doc_id: str, summary_id: int) -> None:
        """Review the stored summary ``summary_id`` of ``doc_id`` from now on (recorded)."""
        self.store.record_decision(doc_id, SUMMARY_FIELD, summary_id, "accept")
        self.reload()

    def summary_id(self, doc_id: str) -> int | None:
        loaded = self._summaries.get(doc_id)
        return None if loaded is None else loaded.stored.id

    def document_ids(self) -> list[str]:
        """Ids of the documents that have a summary, in the order they were first summarized."""
        return list(self._order)

    def summary(self, doc_id: str) -> DocumentSummary | None:
        loaded = self._summaries.get(doc_id)
        return None if loaded is None else loaded.summary

    def _document(self, doc_id: str) -> Document | None:
        if doc_id not in self._documents:
            document = self.store.get_document(doc_id)
            if document is None:
                return None
            self._documents[doc_id] = document
        return self._documents[doc_id]

    # ---- state ---------------------------------------------------------------------------

    def _states(self, doc_id: str, summary: DocumentSummary) -> dict[tuple[str, int], ClaimState]:
        originals: dict[tuple[str, int], str] = {
            (section, i): claim.statement for section, i, claim in summary.iter_claims()
        }
        logs: dict[tuple[str, int], list[Decision]] = {}
        for decision in self.store.decisions(doc_id):
            key = (decision.field, decision.claim_index)
            if decision.field == SUMMARY_FIELD:
                continue
            if decision.field != DOCUMENT_FIELD:
                original = originals.get(key)
                if original is None:
                    continue  # no such claim in the current summary
                if decision.statement_before is not None and decision.statement_before != original:
                    continue  # made about a different claim (an older summary)
            logs.setdefault(key, []).append(decision)
        return {key: claim_state(key[0], key[1], log) for key, log in logs.items()}

    def _views(
        self, doc_id: str, summary: DocumentSummary, states: dict[tuple[str, int], ClaimState]
    ) -> tuple[ClaimView, ...]:
        views: list[ClaimView] = []
        for section, i, claim in summary.iter_claims():
            state = states.get((section, i))
            views.append(
                ClaimView(
                    doc_id=doc_id,
                    field=section,
                    index=i,
                    claim=claim,
                    status=state.status if state else "pending",
                    edited_statement=state.statement if state else None,
                    flagged=state.flagged if state else False,
                    note=state.note if state else None,
                )
            )
        return tuple(views)

    def _row(
        self,
        doc_id: str,
        summary: DocumentSummary,
        states: dict[tuple[str, int], ClaimState],
        views: Sequence[ClaimView],
    ) -> DocumentRow:
        document = self._document(doc_id)
        marker = states.get((DOCUMENT_FIELD, 0))
        if marker is not None and marker.status == "accepted":
            status: DocStatus = "done"
        elif any(state.decisions for state in states.values()):
            status = "in_progress"
        else:
            status = "unreviewed"
        return DocumentRow(
            doc_id=doc_id,
            title=_title(document, summary),
            year=_year(document, summary),
            source=summary.source,
            status=status,
            accepted=sum(v.status == "accepted" for v in views),
            rejected=sum(v.status == "rejected" for v in views),
            flagged=sum(v.flagged for v in views),
            total=len(views),
        )

    def load(self, doc_id: str) -> ReviewDocument | None:
        """The document, its current summary and every claim's state (None if not reviewable)."""
        summary = self.summary(doc_id)
        document = self._document(doc_id)
        if summary is None or document is None:
            return None
        states = self._states(doc_id, summary)
        views = self._views(doc_id, summary, states)
        return ReviewDocument(self._row(doc_id, summary, states, views), document, summary, views)

    def row(self, doc_id: str) -> DocumentRow | None:
        summary = self.summary(doc_id)
        if summary is None:
            return None
        states = self._states(doc_id, summary)
        return self._row(doc_id, summary, states, self._views(doc_id, summary, states))

    def list_documents(
        self, *, query: str = "", status: DocStatus | None = None
    ) -> list[DocumentRow]:
        """Reviewable documents, optionally filtered by text (every word) and status."""
        rows: list[DocumentRow] = []
        for doc_id in self._order:
            row = self.row(doc_id)
            if row is None:
                continue
            if status is not None and row.status != status:
                continue
            if query and not self._matches(row, query):
                continue
            rows.append(row)
        return rows

    def _matches(self, row: DocumentRow, query: str) -> bool:
        """Every word of ``query`` (case-insensitive) in the row (title, year, source, id,
        status) or in the authors, journal or full cleaned text."""
        if row.matches(query):
            return True
        if row.doc_id not in self._search:
            document = self._document(row.doc_id)
            summary = self.summary(row.doc_id)
            parts: list[str] = []
            for metadata in (
                document.metadata if document else None,
                summary.metadata if summary else None,
            ):
                if metadata is not None:
                    parts += [*metadata.authors, metadata.journal or ""]
            parts.append(document.text if document else "")
            self._search[row.doc_id] = "\n".join(parts).casefold()
        hay = self._search[row.doc_id]
        return all(row.matches(word) or word in hay for word in query.casefold().split())

    def claims(self, doc_id: str) -> tuple[ClaimView, ...]:
        loaded = self.load(doc_id)
        return () if loaded is None else loaded.claims

    # ---- operations ----------------------------------------------------------------------

    def _require(self, doc_id: str, field_name: str, index: int) -> ClaimView:
        for view in self.claims(doc_id):
            if view.field == field_name and view.index == index:
                return view
        raise KeyError(f"no claim {field_name}[{index}] in the current summary of {doc_id}")

    def _decide(
        self,
        label: str,
        doc_id: str,
        field_name: str,
        index: int,
        action: ReviewAction,
        *,
        statement_after: str | None = None,
        note: str | None = None,
    ) -> Applied:
        view = self._require(doc_id, field_name, index)
        self.store.record_decision(
            doc_id,
            field_name,
            index,
            action,
            statement_before=view.original_statement,
            statement_after=statement_after,
            note=note,
        )
        applied = Applied(label, doc_id, ((field_name, index, view.original_statement),))
        self._history.append(applied)
        return applied

    def accept(self, doc_id: str, field_name: str, index: int) -> Applied:
        return self._decide("accept", doc_id, field_name, index, "accept")

    def reject(self, doc_id: str, field_name: str, index: int) -> Applied:
        return self._decide("reject", doc_id, field_name, index, "reject")

    def edit(self, doc_id: str, field_name: str, index: int, statement: str) -> Applied:
        """Replace the statement (the quotes stay); the original is kept in the log."""
        text = statement.strip()
        if not text:
            raise ValueError("an edited statement cannot be empty")
        return self._decide("edit", doc_id, field_name, index, "edit", statement_after=text)

    def flag(self, doc_id: str, field_name: str, index: int, note: str | None = None) -> Applied:
        text = (note or "").strip() or None
        return self._decide("flag", doc_id, field_name, index, "flag", note=text)

    def unflag(self, doc_id: str, field_name: str, index: int) -> Applied:
        return self._decide("unflag", doc_id, field_name, index, "unflag")

    def accept_all(self, doc_id: str) -> Applied | None:
        """Accept every claim that is still pending (rejected ones stay rejected)."""
        pending = [v for v in self.claims(doc_id) if v.status == "pending"]
        if not pending:
            return None
        with self.store.transaction():
            for view in pending:
                self.store.record_decision(
                    doc_id,
                    view.field,
                    view.index,
                    "accept",
                    statement_before=view.original_statement,
                )
        applied = Applied(
            "accept all",
            doc_id,
            tuple((v.field, v.index, v.original_statement) for v in pending),
        )
        self._history.append(applied)
        return applied

    def set_done(self, doc_id: str, done: bool = True) -> Applied:
        """Mark the document done (or reopen it)."""
        if self.summary(doc_id) is None:
            raise KeyError(f"no summary of {doc_id} to review")
        self.store.record_decision(doc_id, DOCUMENT_FIELD, 0, "accept" if done else "reject")
        applied = Applied("done" if done else "reopen", doc_id, ((DOCUMENT_FIELD, 0, None),))
        self._history.append(applied)
        return applied

    def is_done(self, doc_id: str) -> bool:
        row = self.row(doc_id)
        return row is not None and row.status == "done"

    def undo(self, doc_id: str | None = None) -> Applied | None:
        """Undo the last operation of this session; with none, the latest decision of
        ``doc_id`` still in effect. Returns what was undone, or None if nothing was."""
        if self._history:
            applied = self._history.pop()
        elif doc_id is not None:
            found = self._latest_effective(doc_id)
            if found is None:
                return None
            applied = Applied(
                f"{found.action}",
                doc_id,
                ((found.field, found.claim_index, found.statement_before),),
            )
        else:
            return None
        with self.store.transaction():
            for field_name, index, before in applied.targets:
                self.store.record_decision(
                    applied.doc_id, field_name, index, "undo", statement_before=before
                )
        return applied

    def _latest_effective(self, doc_id: str) -> Decision | None:
        summary = self.summary(doc_id)
        if summary is None:
            return None
        latest: Decision | None = None
        for state in self._states(doc_id, summary).values():
            if state.decisions and (latest is None or state.decisions[-1].id > latest.id):
                latest = state.decisions[-1]
        return latest

    @property
    def can_undo_in_session(self) -> bool:
        return bool(self._history)

    # ---- digest --------------------------------------------------------------------------

    def digest(self, status: ExportStatus = "accepted") -> list[DigestEntry]:
        return build_digest(self, status)


def build_digest(
    reviewer: Reviewer, status: ExportStatus = "accepted", doc_ids: Iterable[str] | None = None
) -> list[DigestEntry]:
    """Claims across documents, grouped by field (mechanism, evidence, therapeutic
    implication) and in document order within a field: only accepted ones, or all."""
    by_field: dict[Section, list[DigestEntry]] = {section: [] for section in SECTIONS}
    for doc_id in reviewer.document_ids() if doc_ids is None else doc_ids:
        loaded = reviewer.load(doc_id)
        if loaded is None:
            continue
        for view in loaded.claims:
            if status == "accepted" and view.status != "accepted":
                continue
            by_field[view.field].append(
                DigestEntry(
                    doc_id=doc_id,
                    title=loaded.row.title,
                    year=loaded.row.year,
                    source=loaded.row.source,
                    doc_status=loaded.row.status,
                    field=view.field,
                    index=view.index,
                    status=view.status,
                    statement=view.statement,
                    original_statement=view.original_statement,
                    edited=view.edited,
                    flagged=view.flagged,
                    note=view.note,
                    evidence_kind=(
                        view.claim.evidence_kind.value if view.claim.evidence_kind else None
                    ),
                    quotes=tuple(view.quotes),
                    support=view.claim.support,
                    unsupported_terms=tuple(view.claim.unsupported_terms),
                )
            )
    return [entry for section in SECTIONS for entry in by_field[section]]


@dataclass(frozen=True)
class Selection:
    """Which claims a digest or an export takes by default, and a line saying why."""

    status: ExportStatus
    decided: int  # claims accepted or rejected so far

    @property
    def description(self) -> str:
        if self.status == "accepted":
            return (
                f"accepted claims only ({self.decided} claim(s) reviewed; "
                "--status all for every claim)"
            )
        return "all claims (no review decisions yet)"


def default_selection(reviewer: Reviewer) -> Selection:
    """The one default of ``digest``, ``export`` and the review app's digest screen:
    accepted claims once any claim has been accepted or rejected, otherwise all claims."""
    decided = 0
    for doc_id in reviewer.document_ids():
        row = reviewer.row(doc_id)
        if row is not None:
            decided += row.accepted + row.rejected
    return Selection("accepted" if decided else "all", decided)
