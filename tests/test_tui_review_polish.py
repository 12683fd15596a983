"""The main review screen behaves like a real tool (issue 17): review keys only in the claims
pane, no wrap-around, document keys, a full-text filter, a multi-line editor, the TL;DR and
warnings, the last position restored, evidence kinds in words. Driven with Textual's Pilot."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest
from textual.binding import Binding
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from litdigest.config import KeySettings
from litdigest.documents import Metadata
from litdigest.review.decisions import Reviewer
from litdigest.store.rows import ClaimState
from litdigest.store.store import Store
from litdigest.summarize.schema import Claim, EvidenceKind
from litdigest.tui.app import ReviewApp, ReviewScreen
from litdigest.tui.screens import EditScreen, HelpScreen
from litdigest.tui.text import evidence_label
from tests import test_tui_support as support
from tests.test_tui_support import (
    HOSTILE_MARKUP,
    drive,
    isolate_env,
    isolated_sample_store,
    make_settings,
    quote,
    sample_store,
    screen_text,
    store_summary,
)

# Our own short texts: the filter must find words that are only deep in the text.
GAMMA_TEXT: Final = (
    "Gamma: myeloid cells in the tumour bed\n\n"
    "Suppressive myeloid cells restrain T cells in many tumours. "
    "In a cohort of 88 patients, dense myeloid infiltrates predicted relapse. "
    "Mouse models showed that CSF1R blockade depleted these cells. "
    "Cultured macrophages released IL-10 after exposure to lactate. "
    "A phase II trial of CSF1R blockade gave few responses. "
    "A pooled analysis of nine trials found no survival benefit. "
    "Lymphotoxin signalling was noted in one supplementary figure.\n"
)
DELTA_TEXT: Final = (
    "Delta: vaccines against neoantigens\n\n"
    "Personal neoantigen vaccines expanded new T-cell clones in patients with melanoma.\n"
)


def _document(
    store: Store,
    text: str,
    metadata: Metadata,
    claims: dict[str, list[tuple[str, str, EvidenceKind | None]]],
    *,
    tldr: str,
    warnings: list[str],
) -> str:
    built = {
        field: [
            Claim(statement=statement, quotes=[quote(text, passage)], evidence_kind=kind)
            for statement, passage, kind in items
        ]
        for field, items in claims.items()
    }
    return store_summary(store, text, metadata, built, tldr=tldr, warnings=warnings)


def polish_store(path: Path) -> tuple[str, str]:
    """Gamma (authors, journal, every evidence kind, hostile TL;DR and warnings) and delta."""
    with Store(path) as store:
        gamma = _document(
            store,
            GAMMA_TEXT,
            Metadata(
                title="Gamma: myeloid cells in the tumour bed",
                authors=["Okafor, Ngozi", "Lindqvist, Per"],
                journal="Journal of Tumour Immunity",
                year=2022,
            ),
            {
                "mechanism": [
                    ("Myeloid cells restrain T cells.", "Suppressive myeloid cells", None)
                ],
                "evidence": [
                    (
                        "Infiltrates predicted relapse.",
                        "In a cohort of 88",
                        EvidenceKind.PATIENT_COHORT,
                    ),
                    (
                        "CSF1R blockade depleted them.",
                        "Mouse models showed",
                        EvidenceKind.ANIMAL_MODEL,
                    ),
                    ("Lactate induced IL-10.", "Cultured macrophages", EvidenceKind.IN_VITRO),
                    (
                        "Few responses to CSF1R blockade.",
                        "A phase II trial",
                        EvidenceKind.CLINICAL_TRIAL,
                    ),
                    ("No survival benefit.", "A pooled analysis", EvidenceKind.META_ANALYSIS),
                ],
                "therapeutic_implication": [],
            },
            tldr=f"{HOSTILE_MARKUP} Myeloid cells [bold]restrain[/bold] T cells \x1b[31m.",
            warnings=["1 claim dropped: [red]quote not found[/red]", "tldr re-asked once"],
        )
        delta = _document(
            store,
            DELTA_TEXT,
            Metadata(title="Delta: vaccines against neoantigens", authors=["Brandt, Ilse"]),
            {
                "mechanism": [("Vaccines expand T-cell clones.", "Personal neoantigen", None)],
                "evidence": [],
                "therapeutic_implication": [],
            },
            tldr="Neoantigen vaccines expand new clones.",
            warnings=[],
        )
    return gamma, delta


def make_app(db: Path, tmp_path: Path) -> ReviewApp:
    return support.make_app(db, tmp_path, export_dir=tmp_path / "out")


def all_states(db: Path) -> dict[str, dict[tuple[str, int], ClaimState]]:
    with Store(db) as store:
        return {d: store.current_decisions(d) for d in Reviewer(store).document_ids()}


def doc_ids(db: Path) -> list[str]:
    with Store(db) as store:
        return Reviewer(store).document_ids()


def selected_key(screen: ReviewScreen) -> str | None:
    view = screen.selected_claim()
    return view.key if view is not None else None


def plain(widget: Static) -> str:
    visual = widget.render()
    assert isinstance(visual, Content)
    return visual.plain


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_sample_store(monkeypatch, tmp_path, "tui.db")


@pytest.fixture
def polish_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_env(monkeypatch, tmp_path)
    path = tmp_path / "polish.db"
    polish_store(path)
    return path


# ---- 1. review keys act only in the claims pane --------------------------------------------


def test_review_keys_do_nothing_while_the_document_list_has_focus(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        screen.doc_list.focus()
        await pilot.pause()
        assert pilot.app.focused is screen.doc_list
        assert screen.check_action("reject", ()) is None  # greyed out in the footer
        for key in ("r", "a", "A", "d", "u", "e", "f"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(pilot.app.screen, ReviewScreen), key  # no edit/flag dialog
        assert all(not states for states in all_states(db).values())  # nothing stored
        assert not screen.reviewer.is_done(screen.doc_id or "")
        # In the claims pane the same key decides the selected claim.
        await pilot.press("enter")  # select the document: focus moves to its claims
        assert pilot.app.focused is screen.claim_list
        assert screen.check_action("reject", ()) is True
        await pilot.press("r")
        first = all_states(db)[screen.doc_id or ""]
        assert first[("mechanism", 0)].status == "rejected"

    drive(make_app(db, tmp_path), script)


# ---- 2. j/k stop at the ends; n/p move between documents -----------------------------------


def test_j_and_k_stop_at_the_ends(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        assert selected_key(screen) == "mechanism:0"
        await pilot.press("k", "up")
        assert selected_key(screen) == "mechanism:0"  # no wrap to the last claim
        await pilot.press(*["j"] * 8)
        assert selected_key(screen) == "therapeutic_implication:1"
        await pilot.press("j", "down")
        assert selected_key(screen) == "therapeutic_implication:1"  # no wrap to the first
        first_doc = screen.doc_id
        screen.doc_list.focus()
        await pilot.press("k")
        assert screen.doc_list.highlighted == 0 and screen.doc_id == first_doc
        await pilot.press("j", "j", "down")
        await pilot.pause()
        assert screen.doc_list.highlighted == 1 and screen.doc_id != first_doc

    drive(make_app(db, tmp_path), script)


def test_n_and_p_move_between_documents(db: Path, tmp_path: Path) -> None:
    alpha, beta = doc_ids(db)
    ids = {b.id: b for b in ReviewScreen.BINDINGS if isinstance(b, Binding) and b.id}
    assert ids["next_document"].key == "n" and ids["previous_document"].key == "p"
    assert {"next_document", "previous_document"} <= set(KeySettings.model_fields)
    assert ids["next_document"].show  # in the footer

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        assert "n Next doc" in screen_text(pilot.app).splitlines()[-1]  # the footer
        await pilot.press("j", "j")
        assert screen.doc_id == alpha and selected_key(screen) == "evidence:0"
        await pilot.press("n")
        assert screen.doc_id == beta and selected_key(screen) == "mechanism:0"
        assert screen.doc_list.highlighted == 1
        assert pilot.app.focused is screen.claim_list  # still reviewing claims
        await pilot.press("n")  # the last document: stays
        assert screen.doc_id == beta
        await pilot.press("p")
        assert screen.doc_id == alpha and screen.doc_list.highlighted == 0
        await pilot.press("p")
        assert screen.doc_id == alpha
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        shown = screen_text(pilot.app)
        assert "Next document" in shown and "Previous document" in shown

    drive(make_app(db, tmp_path), script)


def test_document_keys_are_remappable(db: Path, tmp_path: Path) -> None:
    _, beta = doc_ids(db)
    app = ReviewApp(
        db,
        settings=make_settings(next_document="right_square_bracket"),
        state_dir=tmp_path / "state",
        export_dir=tmp_path,
    )

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("right_square_bracket")
        assert screen.doc_id == beta

    drive(app, script)


# ---- 3. the filter searches authors, journal and the full text -----------------------------


async def _filter(pilot: Pilot[None], screen: ReviewScreen, query: str) -> list[str]:
    screen.doc_list.focus()
    screen.query_one("#doc-filter", Input).value = ""
    await pilot.press("slash", *query)  # "/" focuses the filter
    await pilot.pause()
    doc_list = screen.query_one("#doc-list", OptionList)
    return [doc_list.get_option_at_index(i).id or "" for i in range(doc_list.option_count)]


def test_filter_searches_authors_journal_and_full_text(polish_db: Path, tmp_path: Path) -> None:
    gamma, delta = doc_ids(polish_db)

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        assert await _filter(pilot, screen, "okafor") == [gamma]  # an author
        assert await _filter(pilot, screen, "brandt") == [delta]
        assert await _filter(pilot, screen, "TUMOUR IMMUNITY") == [gamma]  # the journal
        assert await _filter(pilot, screen, "lymphotoxin") == [gamma]  # deep in the text
        assert await _filter(pilot, screen, "melanoma clones") == [delta]
        assert await _filter(pilot, screen, "neoantigen") == [delta]  # title still works
        assert await _filter(pilot, screen, "zzzq") == []
        title = plain(screen.query_one("#doc-title", Static))
        assert title == "no match for 'zzzq'"
        assert "No summaries" not in screen_text(pilot.app)
        assert screen.current is None and screen.claim_list.option_count == 0
        assert await _filter(pilot, screen, "") == [gamma, delta]
        assert screen.current is not None
        await pilot.press("escape", "s", "s", "s")  # status filter: done (none yet)
        assert screen.status_filter == "done" and screen.current is None
        assert plain(screen.query_one("#doc-title", Static)) == "no done documents"

    drive(make_app(polish_db, tmp_path), script)


# ---- 4. editing in a multi-line text area ---------------------------------------------------


def test_edit_is_a_multiline_text_area_and_keeps_250_characters(db: Path, tmp_path: Path) -> None:
    long_statement = (
        "PD-1 engagement recruits SHP-2 and dampens TCR signalling in exhausted CD8 T cells, " * 4
    )[:240]
    wanted = long_statement + " (mouse)."
    assert len(wanted) == 249 and len(long_statement) == 240
    wanted += "!"

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("e")
        assert isinstance(pilot.app.screen, EditScreen)
        area = pilot.app.screen.query_one("#edit-input", TextArea)
        assert pilot.app.focused is area
        assert area.text == "PD-1 recruits SHP-2 to dampen TCR signalling."
        area.text = long_statement
        area.move_cursor(area.document.end)
        await pilot.press(*" (mouse).!")
        await pilot.pause()
        assert area.wrapped_document.height > 1  # wraps over several lines
        await pilot.press("enter")  # a new line, not "save"
        assert isinstance(pilot.app.screen, EditScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen)
        view = screen.selected_claim()
        assert view is not None and view.statement == wanted and len(view.statement) == 250
        # Escape cancels: nothing more is written.
        await pilot.press("e", "x", "escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen)

    drive(make_app(db, tmp_path), script)
    state = next(iter(all_states(db).values()))[("mechanism", 0)]
    assert state.statement == wanted  # intact: every character, no trailing newline
    assert [d.action for d in state.decisions] == ["edit"]


# ---- 5. the TL;DR and the warnings, literally ----------------------------------------------


def test_tldr_and_warnings_are_shown_literally(polish_db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        pane = plain(screen.query_one("#doc-summary", Static))
        assert pane.startswith("TL;DR ")
        assert f"{HOSTILE_MARKUP} Myeloid cells [bold]restrain[/bold] T cells ␛[31m." in pane
        assert "⚠ 1 claim dropped: [red]quote not found[/red]" in pane
        assert "⚠ tldr re-asked once" in pane
        shown = screen_text(pilot.app)
        assert "TL;DR [@click=app.quit]click me[/]" in shown
        await pilot.click("#doc-summary", offset=(8, 0))  # the markup-like text runs nothing
        await pilot.press("n")
        pane = plain(screen.query_one("#doc-summary", Static))
        assert pane == "TL;DR Neoantigen vaccines expand new clones."  # no warnings
        assert pilot.app.is_running

    drive(make_app(polish_db, tmp_path), script)


# ---- 6. the last position is restored on reopen --------------------------------------------


def test_last_position_is_restored_on_reopen(db: Path, tmp_path: Path) -> None:
    _, beta = doc_ids(db)

    async def move(pilot: Pilot[None], screen: ReviewScreen) -> None:
        await pilot.press("n", "j", "j")  # document 2, claim 3
        assert screen.doc_id == beta and selected_key(screen) == "therapeutic_implication:0"
        await pilot.press("q")
        await pilot.pause()

    async def check(pilot: Pilot[None], screen: ReviewScreen) -> None:
        assert screen.doc_id == beta
        assert selected_key(screen) == "therapeutic_implication:0"
        assert screen.doc_list.highlighted == 1
        assert pilot.app.focused is screen.claim_list

    drive(make_app(db, tmp_path), move)
    drive(make_app(db, tmp_path), check)
    # Another store starts at its first document; the position file is per store.
    other = tmp_path / "other.db"
    sample_store(other)

    async def fresh(pilot: Pilot[None], screen: ReviewScreen) -> None:
        assert screen.doc_list.highlighted == 0 and selected_key(screen) == "mechanism:0"

    drive(make_app(other, tmp_path), fresh)


def test_a_stale_or_broken_position_is_ignored(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    path = app.position.path
    path.parent.mkdir(parents=True)
    path.write_text('{"doc_id": "0000000000000000", "claim": "evidence:9"}', encoding="utf-8")

    async def first(pilot: Pilot[None], screen: ReviewScreen) -> None:
        assert screen.doc_list.highlighted == 0 and selected_key(screen) == "mechanism:0"

    drive(app, first)
    path.write_text("not json", encoding="utf-8")
    drive(make_app(db, tmp_path), first)


# ---- 7. evidence kinds in words ------------------------------------------------------------


def test_evidence_kinds_are_words(polish_db: Path, tmp_path: Path) -> None:
    assert evidence_label("meta_analysis") == "meta-analysis"
    assert evidence_label("in_vitro") == "in vitro"

    async def script(pilot: Pilot[None], screen: ReviewScreen) -> None:
        claims = screen.claim_list
        prompts = [claims.get_option_at_index(i).prompt for i in range(claims.option_count)]
        texts = [p.plain for p in prompts if isinstance(p, Content)]
        for words in ("patient cohort", "animal model", "in vitro", "clinical trial"):
            assert any(t.startswith(f"· {words} · ") for t in texts), words
        assert any("meta-analysis · No survival benefit." in t for t in texts)
        assert not any("_" in t or "[patient" in t for t in texts)
        assert "patient cohort" in screen_text(pilot.app)

    drive(make_app(polish_db, tmp_path), script)
