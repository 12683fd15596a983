"""The review app, driven with Textual's Pilot; every action is checked in the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, OptionList, TextArea

from litdigest.review.decisions import Reviewer
from litdigest.store.rows import ClaimState
from litdigest.store.store import Store
from litdigest.tui.app import LATEST_EVAL_REPORT, ReviewScreen
from litdigest.tui.screens import DigestScreen, EditScreen, EvalReportScreen, FlagScreen, HelpScreen
from tests.test_tui_support import (
    drive,
    isolate_env,
    isolated_sample_store,
    make_app,
    palette,
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_sample_store(monkeypatch, tmp_path, "tui.db")


def focused(pilot: Pilot[None]) -> object:
    return pilot.app.focused


def states(db: Path, doc_index: int = 0) -> dict[tuple[str, int], ClaimState]:
    with Store(db) as store:
        doc_id = Reviewer(store).document_ids()[doc_index]
        return store.current_decisions(doc_id)


def status_of(db: Path, key: tuple[str, int], doc_index: int = 0) -> str:
    state = states(db, doc_index).get(key)
    return "pending" if state is None else state.status


def test_accept_and_reject_write_at_once_and_advance(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        assert screen.selected_claim() is not None
        assert screen.selected_claim().key == "mechanism:0"  # type: ignore[union-attr]
        await pilot.press("a")
        assert status_of(db, ("mechanism", 0)) == "accepted"  # in the store before quitting
        assert screen.selected_claim().key == "mechanism:1"  # type: ignore[union-attr]
        await pilot.press("r")
        assert status_of(db, ("mechanism", 1)) == "rejected"
        assert screen.selected_claim().key == "evidence:0"  # type: ignore[union-attr]
        row = screen.reviewer.row(screen.doc_id or "")
        assert row is not None and (row.accepted, row.rejected, row.status) == (
            1,
            1,
            "in_progress",
        )

    drive(make_app(db, tmp_path), script)


def test_edit_keeps_original_and_quotes(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("e")
        assert isinstance(pilot.app.screen, EditScreen)
        field = pilot.app.screen.query_one("#edit-input", TextArea)
        field.clear()
        await pilot.press(*"Edited claim.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen)
        view = screen.selected_claim()
        assert view is not None and view.statement == "Edited claim." and view.edited
        # Escape cancels without writing.
        await pilot.press("e", "x", "escape")
        await pilot.pause()

    drive(make_app(db, tmp_path), script)
    state = states(db)[("mechanism", 0)]
    assert state.statement == "Edited claim."
    assert [d.action for d in state.decisions] == ["edit"]
    assert state.decisions[0].statement_before == "PD-1 recruits SHP-2 to dampen TCR signalling."


def test_flag_with_note_then_unflag(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("j", "f")
        assert isinstance(pilot.app.screen, FlagScreen)
        await pilot.press(*"check dose", "enter")
        await pilot.pause()
        state = states(db)[("mechanism", 1)]
        assert state.flagged and state.note == "check dose"
        await pilot.press("f")
        assert pilot.app.screen.query_one("#flag-input", Input).value == "check dose"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not states(db)[("mechanism", 1)].flagged

    drive(make_app(db, tmp_path), script)


def test_undo_accept_all_done_and_reopen(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("r")  # reject mechanism:0
        await pilot.press("A")  # accept the 5 others
        got = states(db)
        assert got[("mechanism", 0)].status == "rejected"
        assert sum(s.status == "accepted" for s in got.values()) == 5
        await pilot.press("u")  # undoes the whole accept-all
        got = states(db)
        assert sum(s.status == "accepted" for s in got.values()) == 0
        assert got[("mechanism", 0)].status == "rejected"
        await pilot.press("u")
        assert status_of(db, ("mechanism", 0)) == "pending"
        await pilot.press("d")
        assert screen.reviewer.is_done(screen.doc_id or "")
        await pilot.press("d")
        assert not screen.reviewer.is_done(screen.doc_id or "")
        await pilot.press("u", "u")
        await pilot.press("u")  # nothing left: a warning, no crash
        assert pilot.app.is_running

    drive(make_app(db, tmp_path), script)


def test_navigation_panes_filter_and_status(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        claims = screen.query_one("#claims", OptionList)
        assert focused(pilot) is claims
        await pilot.press("j", "j")
        assert screen.selected_claim().key == "evidence:0"  # type: ignore[union-attr]
        await pilot.press("k")
        assert screen.selected_claim().key == "mechanism:1"  # type: ignore[union-attr]
        await pilot.press("down")
        assert screen.selected_claim().key == "evidence:0"  # type: ignore[union-attr]
        await pilot.press("tab")
        assert focused(pilot) is screen.query_one("#source")
        await pilot.press("tab")
        doc_list = screen.query_one("#doc-list", OptionList)
        assert focused(pilot) is doc_list
        await pilot.press("j")  # second document
        await pilot.pause()
        assert screen.current is not None and screen.current.row.title.startswith("Beta")
        await pilot.press("slash")
        assert focused(pilot) is screen.query_one("#doc-filter", Input)
        await pilot.press(*"alpha")
        await pilot.pause()
        assert doc_list.option_count == 1
        assert screen.current is not None and screen.current.row.title.startswith("Alpha")
        await pilot.press("escape")
        assert focused(pilot) is doc_list
        screen.query_one("#doc-filter", Input).value = ""
        await pilot.pause()
        assert doc_list.option_count == 2
        await pilot.press("s")  # unreviewed
        assert screen.status_filter == "unreviewed" and doc_list.option_count == 2
        await pilot.press("s")  # in progress
        assert doc_list.option_count == 0
        await pilot.press("s", "s")  # done, then all
        assert screen.status_filter is None and doc_list.option_count == 2
        await pilot.press("l")
        assert screen.query_one("#docs").has_class("-hidden")
        assert focused(pilot) is screen.query_one("#claims")
        await pilot.press("l")
        assert not screen.query_one("#docs").has_class("-hidden")

    drive(make_app(db, tmp_path), script)


def test_help_and_quit(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f1")
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ReviewScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not pilot.app.is_running

    drive(make_app(db, tmp_path), script)


def test_bindings_have_ids_and_keys_are_remappable(db: Path, tmp_path: Path) -> None:
    ids = {b.id for b in ReviewScreen.BINDINGS if isinstance(b, Binding) and b.id}
    assert {"accept", "reject", "edit", "flag", "undo", "next", "previous", "filter"} <= ids
    shown = [b for b in ReviewScreen.BINDINGS if isinstance(b, Binding) and b.show]
    assert len(shown) <= 6

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("a")  # no longer bound
        assert status_of(db, ("mechanism", 0)) == "pending"
        await pilot.press("x")
        assert status_of(db, ("mechanism", 0)) == "accepted"
        await pilot.press("n")  # "next" remapped to n
        assert screen.selected_claim().key == "evidence:0"  # type: ignore[union-attr]

    drive(make_app(db, tmp_path, accept="x", next="n"), script)


def test_digest_screen_and_export(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("a")
        await pilot.press("g")
        assert isinstance(pilot.app.screen, DigestScreen)
        text = str(pilot.app.screen.query_one("#digest-text").render())
        assert "PD-1 recruits SHP-2 to dampen TCR signalling." in text
        assert "Alpha: PD-1 and the exhausted T cell (2024)" in text
        assert "TCF1 progenitors sustain" not in text  # not accepted
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")  # the path modal, prefilled with the default
        await pilot.pause()
        assert (tmp_path / "exports" / "litdigest-digest.md").is_file()
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ReviewScreen)

    drive(make_app(db, tmp_path), script)


def test_palette_exports_all_formats(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("a")
        names = [c.name for c in pilot.app.palette_commands()]  # type: ignore[attr-defined]
        assert "export: digest as Markdown" in names
        assert "summarize: re-run the selected document with extractive" in names
        assert "eval: open the latest report" in names
        assert not any("with openai" in n for n in names)  # not configured
        for label, suffix in (("Markdown", "md"), ("JSON", "json"), ("CSV", "csv")):
            await palette(pilot, f"export: digest as {label}")
            await pilot.press("enter")  # the path modal, prefilled with the default
            await pilot.pause()
            out = tmp_path / "exports" / f"litdigest-digest.{suffix}"
            assert out.is_file(), label
            assert "PD-1 recruits SHP-2" in out.read_text(encoding="utf-8")

    drive(make_app(db, tmp_path), script)


def test_palette_offers_openai_when_configured(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    app = make_app(db, tmp_path)
    names = [c.name for c in app.palette_commands()]
    assert "summarize: re-run the selected document with openai (gpt-4o-mini)" in names
    app.store.close()


@pytest.mark.parametrize(
    ("choice", "model"), [("extractive", "extractive-v3"), ("extractive-v2", "extractive-v2")]
)
def test_summarize_again_runs_in_a_worker(
    db: Path, tmp_path: Path, choice: str, model: str
) -> None:
    """Each offline backend the palette offers runs off the UI thread and is stored under
    its own model (v2 and v3 share the backend name ``extractive``)."""

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        before = screen.reviewer.summary_id(screen.doc_id or "")
        await palette(pilot, f"summarize: re-run the selected document with {choice}")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        after = screen.reviewer.summary_id(screen.doc_id or "")
        assert after is not None and after != before
        assert screen.current is not None and screen.current.summary.backend == "extractive"
        assert screen.current.summary.model == model
        assert not screen.query_one("#progress").has_class("-running")

    drive(make_app(db, tmp_path), script)
    with Store(db) as store:
        stored = {(s.backend, s.model) for s in store.iter_summaries()}
    assert ("extractive", model) in stored and len(stored) == 2


def test_summarize_failure_is_a_notification(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import litdigest.summarize.backends

    def broken(name: str, settings: object) -> object:
        raise RuntimeError("backend exploded [@click=app.quit]")

    monkeypatch.setattr(litdigest.summarize.backends, "get_backend", broken)

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        before = screen.reviewer.summary_id(screen.doc_id or "")
        pilot.app.summarize_selected("extractive")  # type: ignore[attr-defined]
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.is_running
        messages = [n.message for n in pilot.app._notifications]
        assert any("Summarize failed" in m and "[@click=app.quit]" in m for m in messages)
        assert screen.reviewer.summary_id(screen.doc_id or "") == before
        assert not screen.query_one("#progress").has_class("-running")

    drive(make_app(db, tmp_path), script)


def test_eval_report(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await palette(pilot, "eval: open the latest report")
        messages = [n.message for n in pilot.app._notifications]
        assert "No eval report yet." in messages
        state = tmp_path / "state"
        state.mkdir(exist_ok=True)  # the review position may be saved there already
        report = tmp_path / "report.md"
        report.write_text("# Eval report\n\nfaithfulness **0.93**\n", encoding="utf-8")
        (state / LATEST_EVAL_REPORT).write_text(f"{report}\n", encoding="utf-8")
        await palette(pilot, "eval: open the latest report")
        assert isinstance(pilot.app.screen, EvalReportScreen)
        assert pilot.app.screen.query_one(Markdown).source.startswith("# Eval report")
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ReviewScreen)
        # The eval harness may point at report.json: its report.md is shown.
        run = tmp_path / "run"
        run.mkdir()
        (run / "report.json").write_text("{}", encoding="utf-8")
        (run / "report.md").write_text("# From the JSON pointer\n", encoding="utf-8")
        (state / LATEST_EVAL_REPORT).write_text(str(run / "report.json"), encoding="utf-8")
        await palette(pilot, "eval: open the latest report")
        assert isinstance(pilot.app.screen, EvalReportScreen)
        assert pilot.app.screen.query_one(Markdown).source.startswith("# From the JSON")

    drive(make_app(db, tmp_path), script)


def test_empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_env(monkeypatch, tmp_path)
    path = tmp_path / "empty.db"
    Store(path).close()

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("a", "r", "e", "f", "u", "d", "A", "j", "tab", "g")
        await pilot.pause()
        assert pilot.app.is_running

    drive(make_app(path, tmp_path), script)
