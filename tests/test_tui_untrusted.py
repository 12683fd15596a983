"""Untrusted text (markup-like, ANSI escapes, very long lines) is shown literally everywhere
and triggers nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.content import Content
from textual.widgets import Input, OptionList, Static

from litdigest.review.decisions import Reviewer
from litdigest.review.export import export_digest
from litdigest.store.store import Store
from litdigest.text import md_escape
from litdigest.tui.app import ReviewApp, ReviewScreen
from litdigest.tui.screens import DigestScreen
from litdigest.tui.text import one_line, safe_text, source_content
from tests.test_tui_support import (
    HOSTILE_MARKUP,
    hostile_store,
    isolate_env,
    make_settings,
    screen_text,
)

NOTE = "[@click=app.quit]quit[/] [bold]note[/bold] \x1b[5mblink\x1b[0m"


def _plain(widget: Static) -> str:
    visual = widget.render()
    assert isinstance(visual, Content)
    return visual.plain


def test_safe_text_keeps_offsets() -> None:
    text = "a\x1b[31mb\tc\r\n\x07\x9b\u202ed"
    shown = safe_text(text)
    assert len(shown) == len(text)
    assert "\x1b" not in shown and "\u202e" not in shown and "\x9b" not in shown
    assert shown.startswith("a␛[31mb c␍\n␇")
    assert one_line("x\n\x1b y") == "x ␛ y"
    content = source_content("ab[b]cd[/b]", [(2, 5)], style="bold", primary_style="reverse")
    assert content.plain == "ab[b]cd[/b]"
    assert [(s.start, s.end) for s in content.spans] == [(2, 5)]


def test_hostile_text_is_literal_in_every_pane(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_env(monkeypatch, tmp_path)
    db = tmp_path / "hostile.db"
    doc_id = hostile_store(db)
    app = ReviewApp(
        db, settings=make_settings(), state_dir=tmp_path / "s", export_dir=tmp_path / "out"
    )

    async def run() -> None:
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            # Title: in the document list and the title bar.
            doc_list = screen.query_one("#doc-list", OptionList)
            prompt = doc_list.get_option_at_index(0).prompt
            assert isinstance(prompt, Content)
            assert HOSTILE_MARKUP in prompt.plain and "[bold]Evil[/bold]" in prompt.plain
            assert "␛[2J" in prompt.plain and "\x1b" not in prompt.plain
            title = _plain(screen.query_one("#doc-title", Static))
            assert HOSTILE_MARKUP in title and "[link=https://evil.example]x[/link]" in title
            # Statement and quote (source highlight) of every claim.
            claims = screen.query_one("#claims", OptionList)
            statements = [
                p.plain
                for p in (claims.get_option_at_index(i).prompt for i in range(claims.option_count))
                if isinstance(p, Content)
            ]
            assert any(HOSTILE_MARKUP in s and "␛[31mred␛[0m [/" in s for s in statements)
            assert any("[link=https://evil.example]Blockade[/link]" in s for s in statements)
            source = _plain(screen.query_one("#source-text", Static))
            assert HOSTILE_MARKUP in source and "[red]markup[/red]" in source
            assert "␛]8;;https://evil.example␇patients" in source
            assert "\x1b" not in source and "\x07" not in source
            for _ in range(2):  # every claim: its quotes highlighted, nothing runs
                await pilot.press("j")
                await pilot.pause()
            # Note: typed into the flag modal, then shown in the summary panel.
            await pilot.press("f")
            app.screen.query_one("#flag-input", Input).value = NOTE
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("k", "k", "e")
            app.screen.query_one("#edit-input", Input).value = f"{HOSTILE_MARKUP} edited"
            await pilot.press("enter", "a")
            await pilot.pause()
            # Click everywhere text is shown: no [@click=...] action exists to run.
            for selector in ("#doc-list", "#doc-title", "#claims", "#source"):
                for offset in ((2, 0), (6, 1), (12, 2)):
                    await pilot.click(selector, offset=offset)
            await pilot.pause()
            assert app.is_running
            text = screen_text(app)
            assert "[@click=app.quit]" in text
            statements = [
                p.plain
                for p in (claims.get_option_at_index(i).prompt for i in range(claims.option_count))
                if isinstance(p, Content)
            ]
            assert any(
                "note: [@click=app.quit]quit[/] [bold]note[/bold] ␛[5mblink" in s
                for s in statements
            )
            await pilot.press("g")
            assert isinstance(app.screen, DigestScreen)
            digest = _plain(app.screen.query_one("#digest-text", Static))
            assert f"{HOSTILE_MARKUP} edited" in digest
            await pilot.click("#digest-body", offset=(4, 1))
            await pilot.press("escape")
            assert app.is_running
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(run())
    with Store(db) as store:
        state = store.current_decisions(doc_id)[("mechanism", 0)]
        assert state.status == "accepted" and state.statement == f"{HOSTILE_MARKUP} edited"
        flagged = [s for s in store.current_decisions(doc_id).values() if s.flagged]
        assert [(s.field, s.note) for s in flagged] == [("therapeutic_implication", NOTE)]
        markdown = export_digest(Reviewer(store), "md")
    # Export escapes Markdown syntax (litdigest.text.md_escape): the text survives, inert.
    assert md_escape(f"{HOSTILE_MARKUP} edited") in markdown
