"""The flag dialog: flag (with a note) or unflag the selected claim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from litdigest.tui.screens._common import plain as _plain
from litdigest.tui.text import one_line


@dataclass(frozen=True, slots=True)
class FlagResult:
    action: Literal["flag", "unflag"]
    note: str | None


class FlagScreen(ModalScreen[FlagResult | None]):
    """Flag a claim with a note. Enter flags, Ctrl+R unflags, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "unflag", "Unflag"),
    ]

    def __init__(self, note: str | None, flagged: bool) -> None:
        super().__init__()
        self._note = note or ""
        self._flagged = flagged

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = "Flagged: change the note" if self._flagged else "Flag this claim"
            yield Static(_plain(title, "bold"), markup=False)
            yield Input(
                value=one_line(self._note),
                placeholder="note for the reviewer (optional)",
                id="flag-input",
                select_on_focus=False,
            )
            hint = (
                "enter flag · ctrl+r unflag · esc cancel"
                if self._flagged
                else ("enter flag · esc cancel")
            )
            yield Static(_plain(hint, "dim"), markup=False)

    def on_mount(self) -> None:
        field = self.query_one("#flag-input", Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(FlagResult("flag", event.value.strip() or None))

    def action_unflag(self) -> None:
        if self._flagged:
            self.dismiss(FlagResult("unflag", None))

    def action_cancel(self) -> None:
        self.dismiss(None)
