"""Issue 17 in the review app: help per screen, export paths asked and reported, the
Screenshot command, and the backends offered for summarizing again (with reasons)."""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Input, Static

from litdigest.config import KeySettings, Settings
from litdigest.errors import ConfigError
from litdigest.summarize.backends import registry
from litdigest.summarize.backends.base import Backend
from litdigest.tui.app import ReviewApp, ReviewScreen
from litdigest.tui.screens import DigestScreen, HelpScreen, SavePathScreen
from tests import test_tui_support as support
from tests.test_tui_support import isolated_sample_store, make_app, make_settings, palette


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_sample_store(monkeypatch, tmp_path, "tui.db")


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def drive(app: ReviewApp, script: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    support.drive(app, lambda pilot, _screen: script(pilot))


def help_text(pilot: Pilot[None]) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen)
    return "\n".join(str(s.render()) for s in screen.query(Static))


def notes(pilot: Pilot[None]) -> list[str]:
    return [n.message for n in pilot.app._notifications]


# ---- 1. help belongs to each screen ---------------------------------------------------------


def test_help_shows_the_keys_of_the_current_screen_and_esc_closes_it(
    db: Path, tmp_path: Path
) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        review_help = help_text(pilot)
        assert "Accept the selected claim." in review_help
        assert "Export the digest" not in review_help
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ReviewScreen)

        await pilot.press("g")
        assert isinstance(pilot.app.screen, DigestScreen)
        await pilot.press("question_mark")
        digest_help = help_text(pilot)
        assert "Keys: digest" in digest_help
        assert "Export the digest as Markdown" in digest_help
        assert "Back to the review." in digest_help
        assert "Accept the selected claim." not in digest_help
        await pilot.press("escape")  # closes the help, not the digest screen
        assert isinstance(pilot.app.screen, DigestScreen)

    drive(make_app(db, tmp_path, accept="y"), script)


def test_help_rows_follow_the_screen_bindings_and_the_keymap(db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        text = help_text(pilot)
        lines = text.splitlines()
        ids = [b.id for b in ReviewScreen.BINDINGS if isinstance(b, Binding) and b.id]
        assert ids
        for binding_id in ids:  # every bound id is in the help, described by its setting
            description = KeySettings.model_fields[binding_id].description or binding_id
            assert description in text, binding_id
        accept = next(line for line in lines if "Accept the selected claim." in line)
        assert accept.split()[0] == "y"  # the remapped key, not the default

    drive(make_app(db, tmp_path, accept="y"), script)


# ---- 2. exports ask for a path and say where they wrote -------------------------------------


def test_palette_export_asks_for_a_path_and_reports_the_absolute_path(
    db: Path, tmp_path: Path, umask_027: None
) -> None:
    target = tmp_path / "mine" / "reading.csv"

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("a")
        await palette(pilot, "export: digest as CSV")
        assert isinstance(pilot.app.screen, SavePathScreen)
        field = pilot.app.screen.query_one(Input)
        assert field.value == str((tmp_path / "exports" / "litdigest-digest.csv").absolute())
        field.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen)
        assert f"Digest written to {target.absolute()}" in notes(pilot)

    drive(make_app(db, tmp_path), script)
    assert "PD-1 recruits SHP-2" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0666 less the umask
    assert not (tmp_path / "exports").exists()


def test_digest_x_defaults_to_the_current_directory_and_esc_cancels(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "here"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    app = ReviewApp(db, settings=make_settings(), state_dir=tmp_path / "state")

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("a", "g", "x")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SavePathScreen)
        assert pilot.app.screen.query_one(Input).value == "./litdigest-digest.md"
        await pilot.press("escape")  # cancelled: nothing written
        await pilot.pause()
        assert isinstance(pilot.app.screen, DigestScreen)
        assert not (cwd / "litdigest-digest.md").exists()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        written = (cwd / "litdigest-digest.md").absolute()
        assert f"Digest written to {written}" in notes(pilot)

    drive(app, script)
    assert (cwd / "litdigest-digest.md").read_text(encoding="utf-8").startswith("#")


def test_export_into_an_existing_directory_uses_the_default_name(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()

    async def script(pilot: Pilot[None]) -> None:
        await palette(pilot, "export: digest as JSON")
        pilot.app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await pilot.pause()

    drive(make_app(db, tmp_path), script)
    assert (folder / "litdigest-digest.json").is_file()


def test_palette_html_export_writes_the_themed_digest_in_a_worker(
    db: Path, tmp_path: Path, umask_027: None
) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("a")
        await palette(pilot, "export: digest as HTML")
        field = pilot.app.screen.query_one(Input)
        assert field.value.endswith("litdigest-digest.html")
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        written = (tmp_path / "exports" / "litdigest-digest.html").absolute()
        assert f"Digest written to {written}" in notes(pilot)

    drive(make_app(db, tmp_path), script)
    out = tmp_path / "exports" / "litdigest-digest.html"
    html = out.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "SHP-2" in html
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


# ---- 3. Screenshot ----------------------------------------------------------------------------


def test_screenshot_command_writes_an_svg_and_says_where(
    db: Path, tmp_path: Path, umask_027: None
) -> None:
    out = tmp_path / "shots"

    async def script(pilot: Pilot[None]) -> None:
        await palette(pilot, "Screenshot")
        await pilot.pause(0.4)
        (svg,) = out.glob("litdigest-review-*.svg")
        assert f"Screenshot written to {svg.absolute()}" in notes(pilot)

    drive(make_app(db, tmp_path, export_dir=out), script)
    (svg,) = out.glob("litdigest-review-*.svg")
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg")
    assert stat.S_IMODE(svg.stat().st_mode) == 0o640


# ---- 4. summarize again: every backend, with a reason when unusable -------------------------


def _summarize_entries(app: ReviewApp) -> dict[str, str]:
    return {c.name: c.help for c in app.palette_commands() if c.name.startswith("summarize:")}


def test_offline_offers_extractive_and_says_why_openai_is_unavailable(
    db: Path, tmp_path: Path
) -> None:
    async def script(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, ReviewApp)
        entries = _summarize_entries(app)
        assert "summarize: re-run the selected document with extractive" in entries
        reason = entries["summarize: openai is unavailable"]
        assert "openai: no API key (set OPENAI_API_KEY or LITDIGEST_OPENAI__API_KEY" in reason
        assert not any(name.endswith("with openai (gpt-4o-mini)") for name in entries)
        await palette(pilot, "summarize: openai is unavailable")
        assert any(m.startswith("openai is unavailable: no API key") for m in notes(pilot))
        assert not app.workers  # nothing was started

    drive(make_app(db, tmp_path), script)


def test_a_bad_base_url_and_other_backends_are_explained(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "localhost:8080")  # no scheme

    def needs_server(settings: Settings) -> Backend:
        raise ConfigError("no server configured (set MYBACKEND_URL)")

    registry.register("mybackend", needs_server)
    try:
        app = make_app(db, tmp_path)
        entries = _summarize_entries(app)
        app.store.close()
    finally:
        registry.unregister("mybackend")
    assert "base URL is not an http(s) URL" in entries["summarize: openai is unavailable"]
    assert entries["summarize: mybackend is unavailable"] == (
        "mybackend: no server configured (set MYBACKEND_URL)"
    )
    assert "summarize: re-run the selected document with extractive" in entries


def test_configured_openai_is_selectable(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    app = make_app(db, tmp_path)
    entries = _summarize_entries(app)
    app.store.close()
    assert "summarize: re-run the selected document with openai (gpt-4o-mini)" in entries
    assert not any("unavailable" in name for name in entries)
    assert all("sk-test" not in text for pair in entries.items() for text in pair)
