"""``litdigest review``: a Textual app to review grounded summaries stored in the SQLite store.

Layout: a (hideable) document list with a text filter and a status filter; the summary panel
(the three fields and their claims, each with its review state); the source pane (the cleaned
text, the quotes of the selected claim highlighted at their character offsets and scrolled
into view). Every decision is written to the store as it is made (see ``litdigest.review.decisions``).

Every binding has an id (the field names of ``litdigest.config.KeySettings``), so the keys are
remapped from the settings with ``App.set_keymap``. Untrusted text is only ever shown as
literal ``Content`` (see ``litdigest.tui.text``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

import platformdirs
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from litdigest.config import APP_NAME, KeySettings, Settings
from litdigest.review.decisions import (
    ExportStatus,
    Reviewer,
    default_selection,
)
from litdigest.review.export import SUFFIXES, ExportFormat, export_digest
from litdigest.store.store import Store
from litdigest.tui.backend_choices import BackendChoice, backend_choices
from litdigest.tui.messages import DigestExportRequested
from litdigest.tui.position import PositionFile
from litdigest.tui.screens import (
    EvalReportScreen,
    HelpScreen,
    ReviewScreen,
    SavePathScreen,
    binding_rows,
)
from litdigest.tui.screens.save_path import display_path, resolve_target

__all__ = ["LATEST_EVAL_REPORT", "ReviewApp", "ReviewScreen"]

LATEST_EVAL_REPORT: Final = "latest-eval-report"
DigestFormat = ExportFormat | Literal["html"]
_EXPORT_LABELS: Final[tuple[tuple[DigestFormat, str], ...]] = (
    ("md", "Markdown"),
    ("json", "JSON"),
    ("csv", "CSV"),
    ("html", "HTML"),  # the themed digest of `litdigest digest --format html`
)
_SUFFIXES: Final[dict[DigestFormat, str]] = {
    "md": SUFFIXES["md"],
    "json": SUFFIXES["json"],
    "csv": SUFFIXES["csv"],
    "html": ".html",
}

CSS_PATH: Final = "review.tcss"


def _key_descriptions() -> dict[str, str]:
    """Binding id -> the configured description (``KeySettings`` field docs)."""
    return {name: info.description or name for name, info in KeySettings.model_fields.items()}


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    name: str
    help: str
    callback: Callable[[], object]


class ReviewCommands(Provider):
    """Command palette entries: export, summarize again, eval report (fixed names only)."""

    def _commands(self) -> list[PaletteCommand]:
        app = self.app
        return app.palette_commands() if isinstance(app, ReviewApp) else []

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(command.name), command.callback, help=command.help
                )


class ReviewApp(App[None]):
    """Review summaries stored in a litdigest store."""

    TITLE = "litdigest review"
    CSS_PATH = CSS_PATH
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        *App.COMMANDS,
        ReviewCommands,
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit", show=False),
    ]

    def __init__(
        self,
        db_path: Path,
        *,
        settings: Settings | None = None,
        state_dir: Path | None = None,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.db_path = db_path
        self.store = Store(db_path)
        self.reviewer = Reviewer(self.store)
        self.state_dir = state_dir or Path(platformdirs.user_state_dir(APP_NAME))
        self.position = PositionFile(self.state_dir, db_path)
        self.export_dir = export_dir or Path.cwd()
        self._backend_choices: list[BackendChoice] | None = None
        self.set_keymap(self.settings.review.keys.keymap())

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(ReviewScreen(self.reviewer, self.position))

    def on_unmount(self) -> None:
        self.store.close()

    @property
    def review_screen(self) -> ReviewScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, ReviewScreen):
                return screen
        return None

    # ---- actions -------------------------------------------------------------------------

    def action_help(self) -> None:
        """The keys of the current screen (its own ``BINDINGS``), then the app's."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        keymap = self.settings.review.keys.keymap()
        bindings = [*type(screen).BINDINGS, *type(self).BINDINGS]
        rows = binding_rows(bindings, keymap, _key_descriptions())
        self.push_screen(HelpScreen(rows, getattr(screen, "HELP_TITLE", "Keys")))

    # ---- command palette -----------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(
                f"export: digest as {label}",
                f"Write the digest as {label} (asks where; default "
                f"litdigest-digest{_SUFFIXES[fmt]} in {self.export_dir})",
                _bind_export(self, fmt),
            )
            for fmt, label in _EXPORT_LABELS
        ]
        commands.extend(self._summarize_commands())
        commands.append(
            PaletteCommand(
                "eval: open the latest report",
                "Show the latest report written by the eval harness",
                self.open_eval_report,
            )
        )
        commands.append(
            PaletteCommand("digest: show accepted claims", "Open the digest screen", self._digest)
        )
        return commands

    def _summarize_commands(self) -> list[PaletteCommand]:
        """One entry per registered backend: usable ones summarize again, the others say why
        they cannot be used."""
        commands: list[PaletteCommand] = []
        for choice in self.backend_choices():
            if choice.unavailable is not None:
                commands.append(
                    PaletteCommand(
                        f"summarize: {choice.name} is unavailable",
                        f"{choice.name}: {choice.unavailable}",
                        _bind_unavailable(self, choice),
                    )
                )
                continue
            model = f" ({choice.model})" if choice.model else ""
            commands.append(
                PaletteCommand(
                    f"summarize: re-run the selected document with {choice.name}{model}",
                    "Summarize the selected document again (in the background) and review the result",
                    _bind_summarize(self, choice.name, choice.model),
                )
            )
        return commands

    def _digest(self) -> None:
        screen = self.review_screen
        if screen is not None:
            screen.action_digest()

    def backend_choices(self) -> list[BackendChoice]:
        """The registered backends (computed once), each usable or with its reason."""
        if self._backend_choices is None:
            self._backend_choices = backend_choices(self.settings)
        return self._backend_choices

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, with Screenshot writing into ``export_dir`` and saying where."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                yield SystemCommand(
                    "Screenshot",
                    f"Save an SVG of the screen in {self.export_dir.absolute()}",
                    lambda: self.set_timer(0.1, self.save_svg_screenshot),
                )
            else:
                yield command

    def save_svg_screenshot(self) -> Path | None:
        """Write an SVG of the current screen to ``export_dir``; notify the absolute path."""
        from litdigest.summarize.sinks import atomic_write_text

        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = (self.export_dir / f"litdigest-review-{stamp}.svg").absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, self.export_screenshot())
        except OSError as exc:
            self.notify(f"Screenshot failed: {exc}", severity="error", markup=False)
            return None
        self.notify(f"Screenshot written to {path}", markup=False)
        return path

    # ---- export --------------------------------------------------------------------------

    def on_digest_export_requested(self, message: DigestExportRequested) -> None:
        self.export_digest(message.fmt)

    def export_digest(self, fmt: DigestFormat) -> None:
        """Ask where to write the digest (prefilled with ``litdigest-digest.<fmt>`` in
        ``export_dir``), then write it there."""
        name = f"litdigest-digest{_SUFFIXES[fmt]}"
        cwd = Path.cwd()
        default = display_path((self.export_dir / name).absolute(), cwd)
        label = dict(_EXPORT_LABELS)[fmt]

        def chosen(answer: str | None) -> None:
            if not answer:
                return
            target = resolve_target(answer, cwd, name)
            if fmt == "html":
                self.write_themed_html(target)
            else:
                self.write_digest(fmt, target)

        self.push_screen(SavePathScreen(f"Export the digest as {label} to:", default), chosen)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def write_themed_html(self, path: Path) -> None:
        """The themed digest (``litdigest digest --format html``), built off the UI thread
        on its own store connection; notify the absolute path written (or why not)."""
        path = path.absolute()
        status = default_selection(self.reviewer).status
        try:
            await asyncio.to_thread(_write_themed_html, self.db_path, status, path)
        except Exception as exc:
            self.notify(f"Export failed: {exc}", severity="error", markup=False)
        else:
            self.notify(f"Digest written to {path}", markup=False)

    def write_digest(self, fmt: ExportFormat, path: Path) -> Path | None:
        """Write the digest (default selection) to ``path`` with the user's umask; notify
        the absolute path written (or why not)."""
        from litdigest.summarize.sinks import atomic_write_text

        path = path.absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            status = default_selection(self.reviewer).status
            atomic_write_text(path, export_digest(self.reviewer, fmt, status))
        except Exception as exc:
            self.notify(f"Export failed: {exc}", severity="error", markup=False)
            return None
        self.notify(f"Digest written to {path}", markup=False)
        return path

    # ---- eval report ---------------------------------------------------------------------

    def open_eval_report(self) -> None:
        """Show the report named in ``<state dir>/latest-eval-report``: a Markdown report, or
        the ``report.md`` beside a named ``report.json`` (else the JSON itself)."""
        pointer = self.state_dir / LATEST_EVAL_REPORT
        try:
            report = Path(pointer.read_text(encoding="utf-8").strip())
            if report.suffix.lower() == ".json" and report.with_suffix(".md").is_file():
                report = report.with_suffix(".md")
            text = report.read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            self.notify("No eval report yet.", severity="warning", markup=False)
            return
        if report.suffix.lower() == ".json":
            text = f"```json\n{text}\n```\n"
        self.push_screen(EvalReportScreen(f"Eval report: {report}", text))

    # ---- summarize again -----------------------------------------------------------------

    def summarize_selected(self, backend: str, model: str = "") -> None:
        screen = self.review_screen
        if screen is None or screen.doc_id is None:
            self.notify("Select a document first.", severity="warning", markup=False)
            return
        screen.set_progress(f"summarizing with {backend}{f' ({model})' if model else ''}…")
        self._summarize(screen.doc_id, backend, model)

    @work(exclusive=True, group="summarize", exit_on_error=False)
    async def _summarize(self, doc_id: str, backend_name: str, model: str) -> None:
        screen = self.review_screen
        try:
            summary_id, n_claims = await self._run_summarize(doc_id, backend_name, model)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self.notify(f"Summarize failed: {message}", severity="error", markup=False)
        else:
            self.reviewer.use_summary(doc_id, summary_id)
            if screen is not None:
                screen.refresh_documents(keep=doc_id)
                if screen.doc_id == doc_id:
                    screen.show_document(doc_id)
            self.notify(f"Summarized again with {backend_name}: {n_claims} claim(s).", markup=False)
        finally:
            if screen is not None:
                screen.set_progress(None)

    async def _run_summarize(self, doc_id: str, backend_name: str, model: str) -> tuple[int, int]:
        from litdigest.chunk.chunker import Chunker
        from litdigest.errors import LitdigestError
        from litdigest.summarize.backends import get_backend
        from litdigest.summarize.backends.base import CallContext
        from litdigest.summarize.runner import backend_key, summarize_document

        settings = self.settings
        if backend_name == "openai" and model:
            settings = settings.with_overrides(**{"openai.model": model})
        document = self.store.get_document(doc_id)
        if document is None:
            raise LitdigestError(f"document {doc_id} is not in the store")
        backend = get_backend(backend_name, settings)
        chunks = await asyncio.to_thread(Chunker(settings.chunk).chunk_document, document)
        # extractive backends are CPU-bound and store-free: off the UI thread
        offline = backend_name.startswith("extractive")
        context = (  # network-bound: on the event loop, with the store's call log and cache
            CallContext()
            if offline
            else CallContext(
                store=self.store, limiter=asyncio.Semaphore(settings.summarize.concurrency)
            )
        )
        summary = await summarize_document(
            backend, document, chunks, context, self.store, in_thread=offline
        )
        key = backend_key(backend)
        stored = next(
            self.store.iter_summaries(
                doc_id=doc_id,
                backend=key[0],
                model=key[1],
                prompt_version=key[2],
                settings_hash=key[3],
            )
        )
        n_claims = sum(1 for _ in summary.iter_claims())
        return stored.id, n_claims


def _write_themed_html(db_path: Path, status: ExportStatus, path: Path) -> None:
    from litdigest.digest.build import build_digest
    from litdigest.digest.render_html import render_html
    from litdigest.summarize.sinks import atomic_write_text

    with Store(db_path) as store:
        text = render_html(build_digest(store, status=status))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def _bind_export(app: ReviewApp, fmt: DigestFormat) -> Callable[[], object]:
    return lambda: app.export_digest(fmt)


def _bind_summarize(app: ReviewApp, backend: str, model: str) -> Callable[[], object]:
    return lambda: app.summarize_selected(backend, model)


def _bind_unavailable(app: ReviewApp, choice: BackendChoice) -> Callable[[], object]:
    message = f"{choice.name} is unavailable: {choice.unavailable}"
    return lambda: app.notify(message, severity="warning", markup=False)
