"""The keys, as currently bound."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from litdigest.tui.screens._common import plain as _plain

_KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}


def key_label(keys: str) -> str:
    """``question_mark,f1`` → ``? / f1``."""
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """The keys (as configured), one per line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close"),
    ]

    def __init__(self, rows: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._rows = list(rows)

    def compose(self) -> ComposeResult:
        width = max((len(key_label(keys)) for keys, _ in self._rows), default=4) + 2
        lines = [_plain("Keys", "bold")]
        for keys, description in self._rows:
            lines.append(
                Content.assemble((key_label(keys).ljust(width), "bold $accent"), description)
            )
        lines.append(_plain(""))
        lines.append(
            Content.assemble(
                ("ctrl+p".ljust(width), "bold $accent"),
                "command palette: export, summarize again, eval report",
            )
        )
        lines.append(_plain("esc close", "dim"))
        with VerticalScroll(id="dialog"):
            yield Static(Content("\n").join(lines), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
