"""Done-when scenario: summarize examples/ offline, review in the app, quit, reopen, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from litdigest.cli.app import main
from litdigest.tui.app import ReviewScreen
from tests.test_tui_support import drive, isolate_env, make_app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run_cli(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    code = exc.value.code
    return code if isinstance(code, int) else 1


def test_summarize_review_reopen_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_env(monkeypatch, tmp_path)
    db = tmp_path / "store.db"
    code = _run_cli(
        [
            "summarize",
            str(EXAMPLES),
            "--backend",
            "extractive",
            "--db",
            str(db),
            "--format",
            "jsonl",
        ]
    )
    assert code in (0, 1)  # 1 only if an example failed to read; the rest are stored
    capsys.readouterr()

    decided: dict[str, str] = {}

    async def review(pilot: Pilot[None], screen: ReviewScreen) -> None:
        def key() -> str:
            view = screen.selected_claim()
            assert view is not None
            return view.key

        decided["accepted_1"] = key()
        await pilot.press("a")  # accept, moves on
        decided["accepted_2"] = key()
        await pilot.press("a")
        decided["rejected"] = key()
        await pilot.press("r")
        decided["edited"] = key()
        await pilot.press("e")
        pilot.app.screen.query_one(
            "#edit-input", TextArea
        ).text = "Reviewer's own wording of the claim."
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("a")  # accept the edited claim too
        decided["flagged"] = key()
        await pilot.press("f", *"verify the cohort size", "enter")
        await pilot.pause()
        current = screen.current
        assert current is not None
        decided["doc_id"] = current.row.doc_id
        for name in ("accepted_1", "accepted_2", "rejected", "edited"):
            field_name, _, index = decided[name].partition(":")
            claim = current.claim(field_name, int(index))
            assert claim is not None
            decided[f"{name}_statement"] = claim.statement
            decided[f"{name}_original"] = claim.original_statement
        await pilot.press("q")
        await pilot.pause()
        assert not pilot.app.is_running

    drive(make_app(db, tmp_path, export_dir=tmp_path), review, size=(120, 40))

    async def reopen(pilot: Pilot[None], screen: ReviewScreen) -> None:
        current = screen.current
        assert current is not None and current.row.doc_id == decided["doc_id"]
        claims = {c.key: c for c in current.claims}
        assert claims[decided["accepted_1"]].status == "accepted"
        assert claims[decided["accepted_2"]].status == "accepted"
        assert claims[decided["rejected"]].status == "rejected"
        edited = claims[decided["edited"]]
        assert edited.status == "accepted" and edited.edited
        assert edited.statement == "Reviewer's own wording of the claim."
        assert edited.original_statement == decided["edited_original"]
        flagged = claims[decided["flagged"]]
        assert flagged.flagged and flagged.note == "verify the cohort size"
        assert current.row.status == "in_progress"
        assert (current.row.accepted, current.row.rejected, current.row.flagged) == (3, 1, 1)
        await pilot.press("q")

    drive(make_app(db, tmp_path, export_dir=tmp_path), reopen, size=(120, 40))

    out = tmp_path / "digest.md"
    assert _run_cli(["export", "--format", "md", "--db", str(db), "--out", str(out)]) == 0
    markdown = out.read_text(encoding="utf-8")
    assert decided["accepted_1_statement"] in markdown
    assert decided["accepted_2_statement"] in markdown
    assert "Reviewer's own wording of the claim." in markdown
    assert f"Original statement: {decided['edited_original']}" in markdown
    assert decided["rejected_statement"] not in markdown
