"""Command-line conventions shared by every command (issue 17).

* ``--version``, ``--debug`` (or ``LITDIGEST_DEBUG=1``: tracebacks) and ``-v`` (module loggers
  at INFO, ``-vv`` DEBUG) on the root command;
* usage errors as one line plus a hint (click's "did you mean" kept; pydantic wording and
  rich boxes gone), exit 2 for every usage and configuration error;
* the input tally: one note per skipped file, "no documents found under ..." (exit 1);
* the end-of-run line of ``summarize``;
* Ctrl-C: every long-running command ends with one line ``litdigest: interrupted: <what was
  kept>`` and exit 130, never a traceback (``on_interrupt``, ``interrupted``, ``StoreCounter``).
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, NoReturn

import typer

try:  # typer >= 0.2x vendors click as typer._click; older releases use click itself
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

from litdigest import __version__
from litdigest.errors import InputError, LitdigestError, UsageError

if TYPE_CHECKING:
    from litdigest.config import Settings
    from litdigest.documents import Document
    from litdigest.prepare import Skipped

__all__ = [
    "InputTally",
    "StoreCounter",
    "end_of_run_line",
    "install",
    "interrupted",
    "on_interrupt",
    "require_store",
    "run",
]

_log = logging.getLogger("litdigest")
_DEBUG_ENV = "LITDIGEST_DEBUG"


def _printable(text: str) -> str:
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


_debug_flag: list[bool] = [False]  # --debug of the current run (the environment is left alone)


def debug_enabled() -> bool:
    if _debug_flag[0]:
        return True
    return os.environ.get(_DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def setup_logging(verbosity: int) -> None:
    """Module loggers (``litdigest.*``) to stderr: warnings, ``-v`` INFO, ``-vv`` DEBUG.

    One handler on the ``litdigest`` logger; its level is only raised with ``-v``, so an
    embedding program's (or a test's) logging setup is otherwise left as it was."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger("litdigest")
    for old in [h for h in root.handlers if getattr(h, "_litdigest", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    fmt = "litdigest: %(message)s" if level > logging.DEBUG else "litdigest: %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(fmt))
    handler.setLevel(level)
    handler._litdigest = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if verbosity > 0:
        root.setLevel(level)


def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", is_eager=True)
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (also LITDIGEST_DEBUG=1).")
    ] = False,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="More log lines (-vv: debug).")
    ] = 0,
) -> None:
    """Grounded, structured summaries of life-science review articles."""
    if version:
        sys.stdout.write(f"litdigest {__version__}\n")
        raise typer.Exit(0)
    _debug_flag[0] = debug
    setup_logging(verbose + (1 if debug else 0))


def install(app: typer.Typer) -> None:
    """The root options (``--version``, ``--debug``, ``-v``) on ``app``; plain help labels."""
    app.callback(invoke_without_command=True, no_args_is_help=True)(_root)
    _plain_help_labels()


_LABELS: Final = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "bool": "BOOLEAN"}


def _plain_label(label: str) -> str:
    """``<list[Path]>`` -> ``PATH...``, ``<str>`` -> ``TEXT``, ``<a|b>`` -> ``[a|b]``."""
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    many = inner.startswith("list[") and inner.endswith("]")
    inner = inner[5:-1] if many else inner
    inner = f"[{inner}]" if "|" in inner else _LABELS.get(inner, inner.upper())
    return inner + ("..." if many else "")


def _plain_help_labels() -> None:
    """Help shows ``PATH...`` and ``TEXT`` rather than Python types (``<list[Path]>``) and
    usage ``PATH...`` rather than ``{PATH}...`` (a no-op where typer lacks these hooks)."""
    from typer import core

    base = getattr(core, "_TyperParameter", None)
    argument = getattr(core, "TyperArgument", None)
    display = getattr(base, "display_type", None)
    usage = getattr(argument, "_usage_display_name", None)
    if display is None or usage is None or getattr(display, "_plain", False):
        return

    def display_type(self: Any, ctx: Any) -> str:
        if getattr(self, "is_flag", False):
            return ""  # a switch takes no value: no BOOLEAN placeholder
        return _plain_label(str(display(self, ctx)))

    def usage_name(self: Any) -> str:
        name = str(usage(self))
        return name.replace("{", "").replace("}", "")

    display_type._plain = True  # type: ignore[attr-defined]
    base.display_type = display_type  # type: ignore[union-attr]
    argument.usage_display_name_orig = usage  # type: ignore[union-attr]
    argument._usage_display_name = usage_name  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# Errors and exit codes


_PYDANTIC_NOISE = re.compile(r"\b(?:Value error|Assertion failed), ", re.IGNORECASE)
_NOT_ONE_OF = re.compile(r"'([^']+)' is not one of:? ((?:'?[\w.-]+'?(?:, | or |, or )?)+)")
_CHOOSE_FROM = re.compile(r"'([^']+)' \(choose from ([\w., -]+)\)")


def clean_message(message: str) -> str:
    """One line without pydantic's wording, with a suggestion for a near-miss choice."""
    text = _PYDANTIC_NOISE.sub("", " ".join(message.split()))
    text = re.sub(r"\s*\[type=[^\]]*\]|\s*For further information visit \S+", "", text)
    match = _NOT_ONE_OF.search(text) or _CHOOSE_FROM.search(text)
    if match and "did you mean" not in text.lower():
        choices = re.findall(r"[\w.-]+", match.group(2).replace(" or ", ", "))
        close = difflib.get_close_matches(match.group(1), choices, n=1)
        if close:
            text += f" (did you mean '{close[0]}'?)"
    return text


def _usage_line(exc: click_exceptions.UsageError) -> tuple[str, str]:
    message = clean_message(exc.format_message())
    ctx = exc.ctx
    path = ctx.command_path if ctx is not None else "litdigest"
    option = ctx.help_option_names[0] if ctx is not None and ctx.help_option_names else "--help"
    return message, f"see '{path} {option}'"


def _fail(message: str, code: int, hint: str | None = None) -> NoReturn:
    line = f"litdigest: error: {_printable(message)}"
    if hint:
        line += f"\n  ({hint})"
    print(line, file=sys.stderr, flush=True)
    _flush_and_exit(code)


def run(app: typer.Typer, argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``app``: exit 0 ok, 1 some inputs failed, 2 usage or configuration error,
    130 interrupted. Errors are one line (tracebacks with --debug / LITDIGEST_DEBUG=1)."""
    from pydantic import ValidationError

    _debug_flag[0] = False
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        returned = command.main(args=args, prog_name="litdigest", standalone_mode=False)
    except click_exceptions.UsageError as exc:
        message, hint = _usage_line(exc)
        if not message:  # no arguments: the help was shown
            _flush_and_exit(2)
        _fail(message, 2, hint)
    except typer.Exit as exc:
        if exc.exit_code == 130:
            _exit_interrupted(argv is None)
        _flush_and_exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):  # outside any on_interrupt: nothing to report
        print("litdigest: interrupted", file=sys.stderr, flush=True)
        _exit_interrupted(argv is None)
    except UsageError as exc:
        _trace()
        _fail(clean_message(exc.message), 2)
    except ValidationError as exc:
        _trace()
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        _fail(f"invalid setting {where}: {clean_message(err['msg'])}", 2)
    except LitdigestError as exc:
        _trace()
        _fail(clean_message(exc.message), 1)
    except BrokenPipeError:
        _flush_and_exit(0)
    except SystemExit as exc:
        status = exc.code
        _flush_and_exit(status if isinstance(status, int) else (0 if status is None else 1))
    except Exception as exc:  # anything unexpected: one line, unless debugging
        _trace()
        why = None if debug_enabled() else "--debug or LITDIGEST_DEBUG=1 shows the traceback"
        _fail(f"internal error: {type(exc).__name__}: {exc}", 1, why)
    _flush_and_exit(returned if isinstance(returned, int) else 0)


def _trace() -> None:
    if debug_enabled():
        traceback.print_exc(file=sys.stderr)


def _flush_and_exit(code: int) -> NoReturn:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout at exit too; point it at devnull so that doesn't fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)


def _exit_interrupted(own_process: bool) -> NoReturn:
    """Exit 130; in the ``litdigest`` process itself a second Ctrl-C while the threads and
    files are closed is ignored (it would only print a traceback)."""
    if own_process and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _flush_and_exit(130)


def require_store(db: Path | None, settings: Settings, hint: str) -> Path:
    """``--db`` (or the configured store): it must exist and be an SQLite file (exit 2)."""
    from litdigest.cli.common import existing_store_path

    return existing_store_path(db, settings, f" ({hint})")


# --------------------------------------------------------------------------------------------
# Inputs


class InputTally:
    """Wraps ``iter_documents``: prints a note per skipped file, counts what was found."""

    def __init__(self, paths: Sequence[Path], settings: Settings) -> None:
        self.paths = list(paths)
        self.settings = settings
        self.documents = 0
        self.errors = 0
        self.skipped = 0

    def _skip(self, item: Skipped) -> None:
        self.skipped += 1
        print(f"litdigest: {_printable(item.source)}: {item.note}", file=sys.stderr, flush=True)

    def items(self) -> Iterator[Document | InputError]:
        from litdigest.prepare import iter_documents

        for item in iter_documents(self.paths, self.settings, on_skip=self._skip):
            if isinstance(item, InputError):
                self.errors += 1
            else:
                self.documents += 1
            yield item

    @property
    def empty(self) -> bool:
        return self.documents == 0 and self.errors == 0

    def report_empty(self) -> bool:
        """Print "no documents found under ..." if nothing was found; True if so."""
        if not self.empty:
            return False
        where = ", ".join(_printable(str(p)) for p in self.paths)
        extra = f" ({self.skipped} file(s) skipped as not articles)" if self.skipped else ""
        print(f"litdigest: no documents found under {where}{extra}", file=sys.stderr, flush=True)
        return True


# --------------------------------------------------------------------------------------------
# End of run


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def end_of_run_line(
    summarized: int, cached: int, failed: int, started: float, tokens: int, cost_usd: float
) -> str:
    """``14 summarized (3 from the store), 1 failed · 0:06 · 12,345 tokens · $0.0123``."""
    done = summarized + cached
    parts = [f"{done} summarized" + (f" ({cached} from the store)" if cached else "")]
    parts[0] += f", {failed} failed"
    line = " · ".join([parts[0], _elapsed(time.monotonic() - started), f"{tokens:,} tokens"])
    return line + f" · ${cost_usd:.4f}"


# --------------------------------------------------------------------------------------------
# Ctrl-C


def interrupted(outcome: str) -> NoReturn:
    """One line ``litdigest: interrupted: <outcome>`` on stderr, then exit 130."""
    print(f"litdigest: interrupted: {_printable(outcome)}", file=sys.stderr, flush=True)
    raise typer.Exit(130)


@contextmanager
def on_interrupt(outcome: Callable[[], str]) -> Iterator[None]:
    """Ctrl-C inside the block: ``interrupted(outcome())`` (evaluated then, so counts are
    those at the moment of the interrupt)."""
    try:
        yield
    except KeyboardInterrupt:
        interrupted(outcome())


def _summaries_in(path: Path) -> int | None:
    if not path.is_file():
        return 0
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return None


class StoreCounter:
    """Counts the summaries a command adds to a store (each is committed when done)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.before = _summaries_in(path)

    def added(self) -> int | None:
        after = _summaries_in(self.path)
        return None if after is None or self.before is None else max(0, after - self.before)

    def kept(self, what: str = "finished document(s)") -> str:
        """``N finished document(s) kept in the store`` (as counted in the store itself)."""
        added = self.added()
        if added is None:
            return f"{what} are kept in the store"
        return f"{added} {what} kept in the store"
