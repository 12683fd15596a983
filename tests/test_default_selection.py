"""One default for digest, export and the review app's digest screen: accepted claims once
any claim has been accepted or rejected, otherwise all claims."""

from __future__ import annotations

from pathlib import Path

from litdigest.review.decisions import Reviewer, default_selection
from litdigest.store.store import Store
from tests.test_tui_support import sample_store


def test_all_claims_until_a_decision_then_accepted_only(tmp_path: Path) -> None:
    db = tmp_path / "review.db"
    sample_store(db)
    with Store(db) as store:
        reviewer = Reviewer(store)
        selection = default_selection(reviewer)
        assert (selection.status, selection.decided) == ("all", 0)
        assert "no review decisions" in selection.description
        alpha = reviewer.document_ids()[0]
        reviewer.reject(alpha, "evidence", 1)
        selection = default_selection(reviewer)
        assert (selection.status, selection.decided) == ("accepted", 1)
        reviewer.accept(alpha, "mechanism", 0)
        selection = default_selection(reviewer)
        assert (selection.status, selection.decided) == ("accepted", 2)
        assert "accepted claims only" in selection.description
        assert "--status all" in selection.description
