"""The keys of the current screen, as currently bound.

The rows come from the screen's own ``BINDINGS`` (then the app's), so the help cannot drift
from what the keys do: a binding is listed when it has an id (the keymap's name for it) or is
shown in the footer; its keys are the remapped ones, its text the configured description.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


def binding_rows(
    bindings: Iterable[BindingType],
    keymap: Mapping[str, str],
    descriptions: Mapping[str, str],
) -> list[tuple[str, str]]:
    """(keys, description) for each listed binding: remapped keys (``keymap`` by binding id),
    the configured description for its id, else its tooltip or footer label."""
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        if not isinstance(binding, Binding) or not (binding.id or binding.show):
            continue
        keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
        text = (descriptions.get(binding.id) if binding.id else None) or binding.tooltip
        rows.append((keys, text or binding.description or binding.action))
    return rows


class HelpScreen(ModalScreen[None]):
    """The keys of one screen (as configured), one per line; esc closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close"),
    ]

    def __init__(self, rows: Sequence[tuple[str, str]], title: str = "Keys") -> None:
        super().__init__()
        self._rows = list(rows)
        self._title = title

    def compose(self) -> ComposeResult:
        width = max((len(key_label(keys)) for keys, _ in self._rows), default=4) + 2
        lines = [_plain(self._title, "bold")]
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
