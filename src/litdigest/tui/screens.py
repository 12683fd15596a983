"""Modal and full screens of the review app: edit, flag, help, digest, eval report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Markdown, Static

from litdigest.review.decisions import DigestEntry, Selection
from litdigest.review.export import SECTION_TITLES
from litdigest.summarize.schema import SECTIONS
from litdigest.tui.messages import DigestExportRequested
from litdigest.tui.text import ellipsize, one_line, safe_text

__all__ = [
    "DigestScreen",
    "EditScreen",
    "EvalReportScreen",
    "FlagResult",
    "FlagScreen",
    "HelpScreen",
]


def _plain(text: str, style: str = "") -> Content:
    content = Content(text, strip_control_codes=False)
    return content.stylize(style) if style else content


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


def digest_content(entries: Sequence[DigestEntry], status: str = "accepted") -> Content:
    """The digest as literal ``Content``: claims by field, each with document and quotes."""
    parts: list[Content] = []
    documents = {e.doc_id for e in entries}
    kind = "accepted claim(s)" if status == "accepted" else "claim(s)"
    parts.append(_plain(f"{len(entries)} {kind} from {len(documents)} document(s)", "dim"))
    for section in SECTIONS:
        section_entries = [e for e in entries if e.field == section]
        parts.append(_plain(""))
        parts.append(_plain(SECTION_TITLES[section], "bold underline"))
        if not section_entries:
            parts.append(_plain(f"  no {'accepted ' if status == 'accepted' else ''}claims", "dim"))
        for entry in section_entries:
            tags = " ".join(
                t
                for t in (
                    f"[{entry.evidence_kind}]" if entry.evidence_kind else "",
                    "(edited)" if entry.edited else "",
                    "⚑" if entry.flagged else "",
                )
                if t
            )
            parts.append(
                Content.assemble(
                    ("• ", "bold"),
                    one_line(entry.statement),
                    (f" {tags}" if tags else "", "italic $text-muted"),
                )
            )
            year = f" ({entry.year})" if entry.year else ""
            parts.append(
                Content.assemble(
                    ("  — ", "dim"),
                    (ellipsize(one_line(entry.title), 120) + year, "italic"),
                    (f" · {entry.doc_id}", "dim"),
                )
            )
            if entry.note:
                parts.append(Content.assemble(("  note: ", "bold $warning"), one_line(entry.note)))
            for quote in entry.quotes:
                parts.append(
                    Content.assemble(("  “", "dim"), (one_line(quote.text), "italic"), ("”", "dim"))
                )
    return Content("\n").join(parts)


class DigestScreen(Screen[None]):
    """Accepted claims across documents, grouped by field; X exports it as Markdown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("x", "export_markdown", "Export md", id="digest_export"),
    ]

    def __init__(self, entries: Sequence[DigestEntry], selection: Selection | None = None) -> None:
        super().__init__()
        self._entries = list(entries)
        self.selection = selection or Selection("accepted", 1)

    def compose(self) -> ComposeResult:
        title = f"Digest: {self.selection.description}"
        yield Static(_plain(title, "bold"), id="screen-title", markup=False)
        with VerticalScroll(id="digest-body"):
            yield Static(self._content(), id="digest-text", markup=False)
        yield Footer()

    def _content(self) -> Content:
        return digest_content(self._entries, self.selection.status)

    def update_entries(self, entries: Sequence[DigestEntry]) -> None:
        self._entries = list(entries)
        self.query_one("#digest-text", Static).update(self._content())

    def action_close(self) -> None:
        self.dismiss(None)

    def action_export_markdown(self) -> None:
        self.post_message(DigestExportRequested("md"))


class EvalReportScreen(Screen[None]):
    """The latest eval report (Markdown; links are not followed)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back")]

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
