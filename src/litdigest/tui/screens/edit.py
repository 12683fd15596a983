"""The edit dialog: a new statement for the selected claim."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from litdigest.tui.screens._common import plain as _plain
from litdigest.tui.text import one_line, safe_text


class EditScreen(ModalScreen[str | None]):
    """Edit a claim's statement (the quotes stay) in a multi-line, wrapping text area.

    Ctrl+S saves (the text less its leading and trailing whitespace; an empty text saves
    nothing), Escape cancels; Enter starts a new line.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, statement: str, original: str) -> None:
        super().__init__()
        self._statement = statement
        self._original = original

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_plain("Edit statement", "bold"), markup=False)
            yield Static(
                Content.assemble(("Original: ", "dim"), one_line(self._original)),
                markup=False,
                id="edit-original",
            )
            yield TextArea(
                safe_text(self._statement),
                id="edit-input",
                soft_wrap=True,
                show_line_numbers=False,
                tab_behavior="focus",
            )
            yield Static(_plain("ctrl+s save · esc cancel · enter new line", "dim"), markup=False)

    def on_mount(self) -> None:
        area = self.query_one("#edit-input", TextArea)
        area.cursor_blink = False
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        value = self.query_one("#edit-input", TextArea).text.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
