"""The edit dialog: a new statement for the selected claim."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from litdigest.tui.screens._common import plain as _plain
from litdigest.tui.text import one_line


class EditScreen(ModalScreen[str | None]):
    """Edit a claim's statement (the quotes stay). Enter saves, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

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
            yield Input(value=one_line(self._statement), id="edit-input", select_on_focus=False)
            yield Static(_plain("enter save · esc cancel", "dim"), markup=False)

    def on_mount(self) -> None:
        field = self.query_one("#edit-input", Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
