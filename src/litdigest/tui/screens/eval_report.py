"""The latest eval report (Markdown; links are not followed)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from litdigest.tui.screens._common import plain as _plain
from litdigest.tui.text import one_line, safe_text


class EvalReportScreen(Screen[None]):
    """The latest eval report (Markdown; links are not followed)."""

    HELP_TITLE: ClassVar[str] = "Keys: eval report"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="report_back", tooltip="Back to the review.")
    ]

    def __init__(self, title: str, markdown: str) -> None:
        super().__init__()
        self._title = title
        self._markdown = markdown

    def compose(self) -> ComposeResult:
        yield Static(_plain(one_line(self._title), "bold"), id="screen-title", markup=False)
        with VerticalScroll(id="report-body"):
            yield Markdown(safe_text(self._markdown), open_links=False, id="report")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
