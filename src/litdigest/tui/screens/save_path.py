"""Ask where to write a file: an input prefilled with a default path; enter writes, esc cancels."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from litdigest.tui.screens._common import plain as _plain


def display_path(path: Path, cwd: Path) -> str:
    """``./name`` for a path in ``cwd``, else the path as given."""
    if path.parent.resolve() == cwd.resolve():
        return f"./{path.name}"
    return str(path)


def resolve_target(text: str, cwd: Path, default_name: str) -> Path:
    """The absolute file to write for what was typed: ``~`` expanded, relative to ``cwd``, and
    an existing directory (or a trailing separator) gets ``default_name`` inside it."""
    typed = text.strip()
    path = Path(typed).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if path.is_dir() or typed.endswith(("/", "\\")):
        path = path / default_name
    return path.absolute()


class SavePathScreen(ModalScreen[str | None]):
    """One line: where to write; dismissed with the typed text (``None``: cancelled)."""

    DEFAULT_CSS = """
    SavePathScreen { align: center middle; }
    SavePathScreen > #dialog { width: 80%; max-width: 100; height: auto; padding: 1 2;
        border: round $accent; background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str) -> None:
        super().__init__()
        self._title = title
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_plain(self._title, "bold"), markup=False)
            yield Input(value=self._default, id="save-path", select_on_focus=False)
            yield Static(_plain("enter write · esc cancel", "dim"), markup=False)

    def on_mount(self) -> None:
        field = self.query_one("#save-path", Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
