"""One default for digest, export and the review app's digest screen: accepted claims once
any claim has been accepted or rejected, otherwise all claims."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_review_app_digest_screen_uses_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.pilot import Pilot
    from textual.widgets import Static

    from litdigest.tui.screens import DigestScreen
    from tests.test_tui_support import drive, isolated_sample_store, make_app

    db = isolated_sample_store(monkeypatch, tmp_path, "tui.db")

    def title(pilot: Pilot[None]) -> str:
        assert isinstance(pilot.app.screen, DigestScreen)
        return str(pilot.app.screen.query_one("#screen-title", Static).render())

    async def script(pilot: Pilot[None], screen: object) -> None:
        await pilot.press("g")  # nothing reviewed: every claim
        assert "all claims (no review decisions yet)" in title(pilot)
        text = str(pilot.app.screen.query_one("#digest-text", Static).render())
        assert "TCF1 progenitors sustain" in text
        await pilot.press("escape")
        await pilot.press("a")  # one decision: accepted claims only
        await pilot.press("g")
        assert "accepted claims only (1 claim(s) reviewed" in title(pilot)
        text = str(pilot.app.screen.query_one("#digest-text", Static).render())
        assert "TCF1 progenitors sustain" not in text

    drive(make_app(db, tmp_path), script)
