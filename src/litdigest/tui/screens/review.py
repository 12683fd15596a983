"""The main review screen: document list, summary panel, source pane."""

from __future__ import annotations

from typing import ClassVar, Final

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from litdigest.review.decisions import (
    DOC_STATUSES,
    ClaimView,
    DocStatus,
    DocumentRow,
    ReviewDocument,
    Reviewer,
    default_selection,
)
from litdigest.summarize.schema import SECTION_TITLES, SECTIONS, DocumentSummary
from litdigest.tui.position import Position, PositionFile
from litdigest.tui.screens.digest import DigestScreen
from litdigest.tui.screens.edit import EditScreen
from litdigest.tui.screens.flag import FlagResult, FlagScreen
from litdigest.tui.text import (
    ellipsize,
    evidence_label,
    one_line,
    safe_text,
    source_content,
)

STATUS_LABELS: Final[dict[DocStatus, str]] = {
    "unreviewed": "unreviewed",
    "in_progress": "in progress",
    "done": "done",
}
_STATE_BADGES: Final[dict[str, tuple[str, str]]] = {
    "accepted": ("✓", "bold $success"),
    "rejected": ("✗", "bold $error"),
    "pending": ("·", "dim"),
}

_HIGHLIGHT: Final = "black on #d7af5f"
_HIGHLIGHT_PRIMARY: Final = "bold black on #ffd75f"

# Actions on the selected claim or its document: only while the claims pane has focus, so a
# key pressed in the document list never decides a claim the reviewer is not looking at.
CLAIM_ACTIONS: Final = frozenset({"accept", "reject", "edit", "flag", "undo", "done", "accept_all"})
_NO_SUMMARIES: Final = "No summaries to review. Run litdigest summarize first."
_MAX_WARNINGS: Final = 3


class NoWrapOptionList(OptionList):
    """An ``OptionList`` whose cursor stops at the first and last option (no wrap-around)."""

    def _step(self, direction: int) -> None:
        index = self.highlighted
        if index is None:
            super().action_cursor_down()
            return
        last = self.option_count - 1
        candidates = range(index + 1, last + 1) if direction > 0 else range(index - 1, -1, -1)
        for candidate in candidates:
            if not self.get_option_at_index(candidate).disabled:
                self.highlighted = candidate
                return

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)


def _doc_prompt(row: DocumentRow) -> Content:
    year = str(row.year) if row.year else "—"
    counts = f"✓{row.accepted} ✗{row.rejected} ⚑{row.flagged}"
    status_style = {"done": "$success", "in_progress": "$warning"}.get(row.status, "$text-muted")
    return Content.assemble(
        (ellipsize(one_line(row.title), 90), "bold"),
        "\n",
        (f"{year} · ", "dim"),
        (STATUS_LABELS[row.status], status_style),
        (f" · {counts}/{row.total}", "dim"),
    )


def _claim_prompt(view: ClaimView) -> Content:
    badge, style = _STATE_BADGES[view.status]
    parts: list[str | Content | tuple[str, str]] = [(f"{badge} ", style)]
    if view.flagged:
        parts.append(("⚑ ", "bold $warning"))
    if view.edited:
        parts.append(("✎ ", "bold $accent"))
    if view.claim.evidence_kind is not None:
        parts.append((f"{evidence_label(view.claim.evidence_kind.value)} · ", "italic $accent"))
    if view.claim.support == "unverified":  # its quotes do not support it (issue 14)
        parts.append(("? unverified ", "bold $error"))
    parts.append(one_line(view.statement))
    if view.claim.support == "unverified":
        parts.append(("\n   not in its quotes: ", "$error"))
        parts.append(one_line("; ".join(view.claim.unsupported_terms) or "unknown"))
    elif view.claim.support == "supported":
        parts.append((" ✓q", "dim $success"))
    if view.note:
        parts.append(("\n   note: ", "$warning"))
        parts.append(one_line(view.note))
    return Content.assemble(*parts)


def _summary_content(summary: DocumentSummary) -> Content:
    """The TL;DR and the warnings of a summary (literal text)."""
    parts: list[str | Content | tuple[str, str]] = [
        ("TL;DR ", "bold"),
        ellipsize(one_line(summary.tldr), 400) or "—",
    ]
    for warning in summary.warnings[:_MAX_WARNINGS]:
        parts.append(("\n⚠ ", "bold $warning"))
        parts.append((ellipsize(one_line(warning), 200), "$warning"))
    more = len(summary.warnings) - _MAX_WARNINGS
    if more > 0:
        parts.append((f"\n⚠ {more} more warning(s) (see the export)", "$warning"))
    return Content.assemble(*parts)


class ReviewScreen(Screen[None]):
    """The main review screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "Accept", id="accept"),
        Binding("r", "reject", "Reject", id="reject"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("f", "flag", "Flag", id="flag"),
        Binding("u", "undo", "Undo", id="undo"),
        Binding("d", "done", "Done", id="done", show=False),
        Binding("A", "accept_all", "Accept all", id="accept_all", show=False),
        Binding("j", "move(1)", "Next", id="next", show=False),
        Binding("k", "move(-1)", "Previous", id="previous", show=False),
        Binding("n", "document(1)", "Next doc", id="next_document"),
        Binding("p", "document(-1)", "Previous doc", id="previous_document", show=False),
        Binding("tab", "switch_pane", "Switch pane", id="switch_pane", show=False),
        Binding("slash", "filter", "Filter", id="filter", show=False),
        Binding("s", "status_filter", "Status filter", id="status_filter", show=False),
        Binding("l", "toggle_documents", "Documents", id="toggle_documents", show=False),
        Binding("g", "digest", "Digest", id="digest", show=False),
        Binding("escape", "leave_filter", "Leave filter", show=False),
    ]

    def __init__(self, reviewer: Reviewer, position: PositionFile | None = None) -> None:
        super().__init__()
        self.reviewer = reviewer
        self._position = position
        self.status_filter: DocStatus | None = None
        self.doc_id: str | None = None
        self.current: ReviewDocument | None = None
        self._claim_keys: list[str | None] = []  # option index -> "field:index" (None: header)

    # ---- composition ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="docs"):
                yield Input(placeholder="/ filter documents", id="doc-filter", compact=True)
                yield Static(id="doc-status", markup=False)
                yield NoWrapOptionList(id="doc-list", markup=False)
            with Vertical(id="main"):
                yield Static(id="doc-title", markup=False)
                yield Static(id="doc-summary", markup=False)
                yield NoWrapOptionList(id="claims", markup=False)
                with VerticalScroll(id="source"):
                    yield Static(id="source-text", markup=False)
                with Horizontal(id="progress"):
                    yield Static(id="progress-label", markup=False)
                    yield ProgressBar(total=None, show_eta=False, id="progress-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#doc-filter", Input).cursor_blink = False
        self.query_one("#claims", OptionList).border_title = "Summary"
        self.query_one("#source", VerticalScroll).border_title = "Source"
        saved = self._position.load() if self._position is not None else None
        if saved is not None:
            self.refresh_documents(keep=saved.doc_id, claim_key=saved.claim)
        else:
            self.refresh_documents()
        self.query_one("#claims", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Claim actions only while the claims pane has focus (else shown greyed out)."""
        if action in CLAIM_ACTIONS:
            focused = self.focused
            return True if focused is not None and focused.id == "claims" else None
        return True

    # ---- helpers -------------------------------------------------------------------------

    @property
    def doc_list(self) -> OptionList:
        return self.query_one("#doc-list", OptionList)

    @property
    def claim_list(self) -> OptionList:
        return self.query_one("#claims", OptionList)

    def refresh_documents(self, keep: str | None = None, claim_key: str | None = None) -> None:
        """Rebuild the document list from the store, keeping ``keep`` (or the current one)
        and, when it is shown anew, selecting ``claim_key``."""
        query = self.query_one("#doc-filter", Input).value
        rows = self.reviewer.list_documents(query=query, status=self.status_filter)
        doc_list = self.doc_list
        doc_list.clear_options()
        doc_list.add_options(Option(_doc_prompt(row), id=row.doc_id) for row in rows)
        status = STATUS_LABELS[self.status_filter] if self.status_filter else "all"
        total = len(self.reviewer.document_ids())
        self.query_one("#doc-status", Static).update(
            Content(f"status: {status} · {len(rows)}/{total} documents")
        )
        wanted = keep or self.doc_id
        ids = [row.doc_id for row in rows]
        if not ids:
            self.show_document(None)
            return
        index = ids.index(wanted) if wanted in ids else 0
        doc_list.highlighted = index
        if ids[index] != self.doc_id or self.current is None:
            self.show_document(ids[index], claim_key)

    def _empty_message(self) -> str:
        """Why no document is shown: an empty store, or a filter that matches nothing."""
        if not self.reviewer.document_ids():
            return _NO_SUMMARIES
        query = self.query_one("#doc-filter", Input).value.strip()
        status = STATUS_LABELS[self.status_filter] if self.status_filter else None
        if query:
            return f"no match for '{one_line(query)}'" + (
                f" among {status} documents" if status else ""
            )
        return f"no {status} documents" if status else _NO_SUMMARIES

    def show_document(self, doc_id: str | None, claim_key: str | None = None) -> None:
        """Load ``doc_id`` into the summary and source panes."""
        self.doc_id = doc_id
        self.current = self.reviewer.load(doc_id) if doc_id else None
        title = self.query_one("#doc-title", Static)
        summary_pane = self.query_one("#doc-summary", Static)
        if self.current is None:
            title.update(Content(self._empty_message()))
            summary_pane.update(Content(""))
            self.claim_list.clear_options()
            self._claim_keys = []
            self.query_one("#source-text", Static).update(Content(""))
            return
        row = self.current.row
        title.update(
            Content.assemble(
                (ellipsize(one_line(row.title), 300), "bold"),
                "\n",
                (f"{row.year or '—'} · {STATUS_LABELS[row.status]} · ", "dim"),
                (
                    f"✓{row.accepted} ✗{row.rejected} ⚑{row.flagged} of {row.total} · {row.doc_id}",
                    "dim",
                ),
            )
        )
        summary_pane.update(_summary_content(self.current.summary))
        self._fill_claims(claim_key)

    def _fill_claims(self, claim_key: str | None) -> None:
        current = self.current
        assert current is not None
        options: list[Option] = []
        keys: list[str | None] = []
        for section in SECTIONS:
            views = [v for v in current.claims if v.field == section]
            options.append(
                Option(
                    Content(f"{SECTION_TITLES[section]} ({len(views)})").stylize("bold underline"),
                    disabled=True,
                )
            )
            keys.append(None)
            for view in views:
                options.append(Option(_claim_prompt(view), id=view.key))
                keys.append(view.key)
        claims = self.claim_list
        claims.clear_options()
        claims.add_options(options)
        self._claim_keys = keys
        target = (
            claim_key
            if claim_key is not None and claim_key in keys
            else next((k for k in keys if k), None)
        )
        if target is not None:
            claims.highlighted = keys.index(target)
        self._show_source(self.selected_claim())

    def selected_claim(self) -> ClaimView | None:
        current = self.current
        if current is None:
            return None
        index = self.claim_list.highlighted
        if index is None or index >= len(self._claim_keys):
            return None
        key = self._claim_keys[index]
        if key is None:
            return None
        field_name, _, claim_index = key.partition(":")
        return current.claim(field_name, int(claim_index))

    def _show_source(self, view: ClaimView | None) -> None:
        current = self.current
        text_widget = self.query_one("#source-text", Static)
        if current is None:
            text_widget.update(Content(""))
            return
        text = current.document.text
        spans = [(q.start, q.end) for q in view.quotes] if view is not None else []
        text_widget.update(
            source_content(text, spans, style=_HIGHLIGHT, primary_style=_HIGHLIGHT_PRIMARY)
        )
        if spans:
            self.call_after_refresh(self._scroll_to_offset, spans[0][0])
        else:
            self.query_one("#source", VerticalScroll).scroll_home(animate=False)
        self._remember(view)

    def _remember(self, view: ClaimView | None) -> None:
        """Save the document and claim shown, to come back to them on reopen."""
        if self._position is not None and self.doc_id is not None:
            self._position.save(Position(self.doc_id, view.key if view is not None else None))

    def _scroll_to_offset(self, offset: int) -> None:
        """Scroll the source pane so the line holding character ``offset`` is near the top."""
        current = self.current
        if current is None:
            return
        source = self.query_one("#source", VerticalScroll)
        width = source.scrollable_content_region.width
        if width <= 0:
            return
        prefix = source_content(current.document.text[:offset], [], style="", primary_style="")
        line = max(len(prefix.wrap(width)) - 1, 0) if offset else 0
        source.scroll_to(y=max(line - 2, 0), animate=False, immediate=True)

    def _refresh_current(self, claim_key: str | None = None) -> None:
        """Re-read the current document after a decision; update its row in the list."""
        if self.doc_id is None:
            return
        selected = self.selected_claim()
        keep = claim_key or (selected.key if selected else None)
        self.show_document(self.doc_id, keep)
        self._update_row(self.doc_id)

    def _update_row(self, doc_id: str) -> None:
        row = self.reviewer.row(doc_id)
        if row is None:
            return
        try:
            self.doc_list.replace_option_prompt(doc_id, _doc_prompt(row))
        except Exception:  # not in the filtered list
            return

    def _advance(self) -> None:
        """Move to the next claim (skipping headers), if any."""
        index = self.claim_list.highlighted
        if index is None:
            return
        for nxt in range(index + 1, len(self._claim_keys)):
            if self._claim_keys[nxt] is not None:
                self.claim_list.highlighted = nxt
                return

    def _need_claim(self) -> ClaimView | None:
        view = self.selected_claim()
        if view is None:
            self.app.notify("Select a claim first.", severity="warning", markup=False)
        return view

    # ---- events --------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#doc-list")
    def _doc_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id and event.option_id != self.doc_id:
            self.show_document(event.option_id)

    @on(OptionList.OptionHighlighted, "#claims")
    def _claim_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_source(self.selected_claim())

    @on(OptionList.OptionSelected, "#doc-list")
    def _doc_selected(self, event: OptionList.OptionSelected) -> None:
        self.claim_list.focus()

    @on(Input.Changed, "#doc-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.refresh_documents()

    @on(Input.Submitted, "#doc-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.doc_list.focus()

    # ---- actions: review -----------------------------------------------------------------

    def action_accept(self) -> None:
        view = self._need_claim()
        if view is not None:
            self.reviewer.accept(view.doc_id, view.field, view.index)
            self._refresh_current(view.key)
            self._advance()

    def action_reject(self) -> None:
        view = self._need_claim()
        if view is not None:
            self.reviewer.reject(view.doc_id, view.field, view.index)
            self._refresh_current(view.key)
            self._advance()

    def action_edit(self) -> None:
        view = self._need_claim()
        if view is None:
            return

        def done(statement: str | None) -> None:
            if statement is None or statement in (view.statement, safe_text(view.statement)):
                return
            self.reviewer.edit(view.doc_id, view.field, view.index, statement)
            self._refresh_current(view.key)

        self.app.push_screen(EditScreen(view.statement, view.original_statement), done)

    def action_flag(self) -> None:
        view = self._need_claim()
        if view is None:
            return

        def done(result: FlagResult | None) -> None:
            if result is None:
                return
            if result.action == "unflag":
                self.reviewer.unflag(view.doc_id, view.field, view.index)
            else:
                self.reviewer.flag(view.doc_id, view.field, view.index, result.note)
            self._refresh_current(view.key)

        self.app.push_screen(FlagScreen(view.note if view.flagged else None, view.flagged), done)

    def action_undo(self) -> None:
        applied = self.reviewer.undo(self.doc_id)
        if applied is None:
            self.app.notify("Nothing to undo.", severity="warning", markup=False)
            return
        self.app.notify(f"Undone: {applied.label}.", markup=False)
        if applied.doc_id == self.doc_id:
            first = applied.targets[0]
            key = f"{first[0]}:{first[1]}" if first[0] in SECTIONS else None
            self._refresh_current(key)
        else:
            self._update_row(applied.doc_id)

    def action_done(self) -> None:
        if self.doc_id is None:
            return
        done = not self.reviewer.is_done(self.doc_id)
        self.reviewer.set_done(self.doc_id, done)
        self.app.notify("Document marked done." if done else "Document reopened.", markup=False)
        self._refresh_current()

    def action_accept_all(self) -> None:
        if self.doc_id is None:
            return
        applied = self.reviewer.accept_all(self.doc_id)
        if applied is None:
            self.app.notify("No pending claims.", markup=False)
            return
        self.app.notify(f"Accepted {len(applied.targets)} pending claim(s).", markup=False)
        self._refresh_current()

    # ---- actions: navigation -------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        focused = self.focused
        if isinstance(focused, OptionList):
            if delta > 0:
                focused.action_cursor_down()
            else:
                focused.action_cursor_up()
        elif isinstance(focused, VerticalScroll):
            if delta > 0:
                focused.scroll_down(animate=False)
            else:
                focused.scroll_up(animate=False)
        else:
            self.claim_list.focus()

    def action_document(self, delta: int) -> None:
        """Show the next (``delta`` 1) or previous (-1) document of the list; stop at the ends."""
        doc_list = self.doc_list
        index = doc_list.highlighted
        target = 0 if index is None else index + delta
        if not 0 <= target < doc_list.option_count:
            if doc_list.option_count:
                edge = "last" if delta > 0 else "first"
                self.app.notify(f"This is the {edge} document.", timeout=2, markup=False)
            return
        doc_id = doc_list.get_option_at_index(target).id
        doc_list.highlighted = target
        if doc_id is not None and doc_id != self.doc_id:
            self.show_document(doc_id)

    def _panes(self) -> list[Widget]:
        panes: list[Widget] = []
        if not self.query_one("#docs").has_class("-hidden"):
            panes.append(self.doc_list)
        panes += [self.claim_list, self.query_one("#source", VerticalScroll)]
        return panes

    def action_switch_pane(self) -> None:
        panes = self._panes()
        focused = self.focused
        index = panes.index(focused) if focused in panes else -1
        panes[(index + 1) % len(panes)].focus()

    def action_filter(self) -> None:
        docs = self.query_one("#docs")
        docs.remove_class("-hidden")
        self.query_one("#doc-filter", Input).focus()

    def action_leave_filter(self) -> None:
        if self.focused is self.query_one("#doc-filter", Input):
            self.doc_list.focus()

    def action_status_filter(self) -> None:
        order: list[DocStatus | None] = [None, *DOC_STATUSES]
        self.status_filter = order[(order.index(self.status_filter) + 1) % len(order)]
        self.refresh_documents()

    def action_toggle_documents(self) -> None:
        docs = self.query_one("#docs")
        docs.toggle_class("-hidden")
        if docs.has_class("-hidden") and self.focused in (
            self.doc_list,
            self.query_one("#doc-filter", Input),
        ):
            self.claim_list.focus()

    def action_digest(self) -> None:
        from litdigest.digest.build import build_digest
        from litdigest.digest.render_md import render_text

        selection = default_selection(self.reviewer)
        themes = render_text(build_digest(self.reviewer.store, status=selection.status))
        entries = self.reviewer.digest(selection.status)
        self.app.push_screen(DigestScreen(entries, selection, themes))

    # ---- progress ------------------------------------------------------------------------

    def set_progress(self, label: str | None) -> None:
        bar = self.query_one("#progress")
        if label is None:
            bar.remove_class("-running")
            return
        self.query_one("#progress-label", Static).update(Content(label))
        bar.add_class("-running")
