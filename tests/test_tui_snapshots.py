"""Snapshot tests of the review app at fixed sizes (80×24 and 120×40).

Deterministic: a fixed store (content-hash ids, no timestamps in view), a fixed theme, no
cursor blink, a pinned locale, no notifications on screen. Update with
``pytest tests/test_tui_snapshots.py --snapshot-update`` after checking the report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from litdigest.tui.app import ReviewApp
from tests.test_tui_support import hostile_store, isolate_env, make_settings, sample_store

SnapCompare = Callable[..., bool]


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReviewApp:
    isolate_env(monkeypatch, tmp_path)
    db = tmp_path / "snap.db"
    sample_store(db)
    return ReviewApp(
        db, settings=make_settings(), state_dir=tmp_path / "state", export_dir=tmp_path / "out"
    )


def test_main_80x24(app: ReviewApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24))


def test_main_120x40_with_decisions(app: ReviewApp, snap_compare: SnapCompare) -> None:
    async def decide(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("a", "r", "f", *"check this", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=decide)


def test_documents_hidden_80x24(app: ReviewApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), press=["l", "j", "j"])


def test_digest_80x24(app: ReviewApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), press=["a", "j", "a", "g"])


def test_help_80x24(app: ReviewApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])


def test_edit_modal_80x24(app: ReviewApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), press=["e"])


def test_hostile_text_80x24(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare: SnapCompare
) -> None:
    isolate_env(monkeypatch, tmp_path)
    db = tmp_path / "hostile.db"
    hostile_store(db)
    app = ReviewApp(db, settings=make_settings(), state_dir=tmp_path, export_dir=tmp_path)
    assert snap_compare(app, terminal_size=(80, 24))
