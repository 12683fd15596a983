"""Review operations over the store (no user interface)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.review.decisions import DOCUMENT_FIELD, SUMMARY_FIELD, Reviewer, build_digest
from litdigest.store.store import Store
from tests.test_tui_support import ALPHA_TEXT, add_document, sample_store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "review.db"
    sample_store(path)
    return path


def test_lists_documents_with_status_and_counts(db: Path) -> None:
    with Store(db) as store:
        reviewer = Reviewer(store)
        rows = reviewer.list_documents()
        assert [r.title for r in rows] == [
            "Alpha: PD-1 and the exhausted T cell",
            "Beta: STING agonists and dendritic cells",
        ]
        alpha = rows[0]
        assert (alpha.status, alpha.total, alpha.accepted, alpha.year) == ("unreviewed", 6, 0, 2024)
        reviewer.accept(alpha.doc_id, "mechanism", 0)
        reviewer.reject(alpha.doc_id, "evidence", 1)
        reviewer.flag(alpha.doc_id, "evidence", 0, "check the mouse model")
        row = reviewer.row(alpha.doc_id)
        assert row is not None
        assert (row.status, row.accepted, row.rejected, row.flagged, row.pending) == (
            "in_progress",
            1,
            1,
            1,
            4,
        )
        assert [r.title for r in reviewer.list_documents(status="unreviewed")] == [
            "Beta: STING agonists and dendritic cells"
        ]
        assert [r.doc_id for r in reviewer.list_documents(query="sting dendritic")] == [
            rows[1].doc_id
        ]
        assert reviewer.list_documents(query="nothing like this") == []


def test_claim_states_and_edit_keeps_original(db: Path) -> None:
    with Store(db) as store:
        reviewer = Reviewer(store)
        alpha = reviewer.document_ids()[0]
        reviewer.edit(alpha, "mechanism", 1, "  Progenitors carry the response.  ")
        view = reviewer.load(alpha)
        assert view is not None
        claim = view.claim("mechanism", 1)
        assert claim is not None
        assert claim.statement == "Progenitors carry the response."
        assert claim.original_statement == "TCF1 progenitors sustain the checkpoint response."
        assert claim.edited and claim.status == "pending"
        assert claim.quotes[0].text in ALPHA_TEXT  # the quotes stay
        log = store.decisions(alpha)[-1]
        assert (log.action, log.statement_before, log.statement_after) == (
            "edit",
            "TCF1 progenitors sustain the checkpoint response.",
            "Progenitors carry the response.",
        )
        with pytest.raises(ValueError):
            reviewer.edit(alpha, "mechanism", 1, "   ")
        with pytest.raises(KeyError):
            reviewer.accept(alpha, "mechanism", 99)


def test_accept_all_leaves_rejected_and_undo_reverts_the_group(db: Path) -> None:
    with Store(db) as store:
        reviewer = Reviewer(store)
        alpha = reviewer.document_ids()[0]
        reviewer.reject(alpha, "evidence", 0)
        applied = reviewer.accept_all(alpha)
        assert applied is not None and len(applied.targets) == 5
        states = {c.key: c.status for c in reviewer.claims(alpha)}
        assert states["evidence:0"] == "rejected"
        assert sum(s == "accepted" for s in states.values()) == 5
        assert reviewer.accept_all(alpha) is None  # nothing pending any more
        reviewer.undo()
        states = {c.key: c.status for c in reviewer.claims(alpha)}
        assert states == {
            "mechanism:0": "pending",
            "mechanism:1": "pending",
            "evidence:0": "rejected",
            "evidence:1": "pending",
            "therapeutic_implication:0": "pending",
            "therapeutic_implication:1": "pending",
        }
        reviewer.undo()
        assert all(c.status == "pending" for c in reviewer.claims(alpha))
        assert reviewer.undo() is None  # session history empty and no doc given


def test_undo_without_session_history_uses_the_store(db: Path) -> None:
    with Store(db) as store:
        reviewer = Reviewer(store)
        alpha = reviewer.document_ids()[0]
        reviewer.accept(alpha, "mechanism", 0)
        reviewer.flag(alpha, "mechanism", 1, "note")
    with Store(db) as store:  # a new session
        reviewer = Reviewer(store)
        undone = reviewer.undo(alpha)
        assert undone is not None and undone.targets[0][:2] == ("mechanism", 1)
        claims = {c.key: c for c in reviewer.claims(alpha)}
        assert not claims["mechanism:1"].flagged
        assert claims["mechanism:0"].status == "accepted"
        reviewer.undo(alpha)
        assert reviewer.claims(alpha)[0].status == "pending"
        assert reviewer.undo(alpha) is None


def test_done_marker_and_reopen(db: Path) -> None:
    with Store(db) as store:
        reviewer = Reviewer(store)
        beta = reviewer.document_ids()[1]
        reviewer.set_done(beta)
        assert reviewer.is_done(beta)
        assert [r.doc_id for r in reviewer.list_documents(status="done")] == [beta]
        marker = store.decisions(beta)[-1]
        assert (marker.field, marker.action) == (DOCUMENT_FIELD, "accept")
        reviewer.set_done(beta, False)
        row = reviewer.row(beta)
        assert row is not None and row.status == "in_progress"
        reviewer.undo()
        assert reviewer.is_done(beta)


def test_decisions_follow_the_claim_not_the_index(db: Path) -> None:
    """A new summary with different claims does not inherit decisions by position."""
    with Store(db) as store:
        reviewer = Reviewer(store)
        alpha = reviewer.document_ids()[0]
        first_summary = reviewer.summary_id(alpha)
        reviewer.accept(alpha, "mechanism", 0)
        add_document(
            store,
            ALPHA_TEXT,
            title="Alpha: PD-1 and the exhausted T cell",
            year=2024,
            source="alpha.txt",
            backend="other",
            claims={
                "mechanism": [
                    ("A different first claim.", "TCF1 progenitor cells sustain the response")
                ]
            },
        )
        reviewer.reload()
        assert reviewer.summary_id(alpha) != first_summary  # the newest summary
        assert [c.status for c in reviewer.claims(alpha)] == ["pending"]
        assert first_summary is not None
        reviewer.use_summary(alpha, first_summary)  # back to the first one: decisions return
        assert reviewer.summary_id(alpha) == first_summary
        assert reviewer.claims(alpha)[0].status == "accepted"
        assert store.decisions(alpha)[-1].field == SUMMARY_FIELD
        row = reviewer.row(alpha)
        assert row is not None and row.accepted == 1


def test_digest_holds_accepted_claims_grouped_by_field(db: Path) -> None:
    with Store(db) as store:
        reviewer = Reviewer(store)
        alpha, beta = reviewer.document_ids()
        reviewer.accept(beta, "therapeutic_implication", 0)
        reviewer.accept(alpha, "evidence", 1)
        reviewer.accept(alpha, "mechanism", 0)
        reviewer.reject(alpha, "mechanism", 1)
        reviewer.edit(beta, "therapeutic_implication", 0, "Edited statement.")
        entries = build_digest(reviewer)
        assert [(e.field, e.doc_id) for e in entries] == [
            ("mechanism", alpha),
            ("evidence", alpha),
            ("therapeutic_implication", beta),
        ]
        assert entries[2].statement == "Edited statement." and entries[2].edited
        assert all(e.status == "accepted" for e in entries)
        everything = build_digest(reviewer, "all")
        assert len(everything) == 9
        assert {e.status for e in everything} == {"accepted", "rejected", "pending"}
