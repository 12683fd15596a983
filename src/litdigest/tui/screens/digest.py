"""The digest of accepted claims across documents; X exports it (a message to the app)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from litdigest.review.decisions import DigestEntry, Selection
from litdigest.summarize.schema import SECTION_TITLES, SECTIONS
from litdigest.tui.messages import DigestExportRequested
from litdigest.tui.screens._common import plain as _plain
from litdigest.tui.text import ellipsize, evidence_label, one_line


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
                    f"[{evidence_label(entry.evidence_kind)}]" if entry.evidence_kind else "",
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

    HELP_TITLE: ClassVar[str] = "Keys: digest"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="digest_back", tooltip="Back to the review."),
        Binding(
            "x",
            "export_markdown",
            "Export md",
            id="digest_export",
            tooltip="Export the digest as Markdown (asks where).",
        ),
    ]

    def __init__(
        self,
        entries: Sequence[DigestEntry],
        selection: Selection | None = None,
        themes: str | None = None,
    ) -> None:
        super().__init__()
        self._entries = list(entries)
        self.selection = selection or Selection("accepted", 1)
        self._themes = themes  # litdigest digest's themes, labels and flags (plain text)

    def compose(self) -> ComposeResult:
        title = f"Digest: {self.selection.description}"
        yield Static(_plain(title, "bold"), id="screen-title", markup=False)
        with VerticalScroll(id="digest-body"):
            if self._themes:
                yield Static(Content(self._themes), id="digest-themes", markup=False)
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
