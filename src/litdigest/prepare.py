"""Ingest → clean as a stream: every input ends as a ``Document`` or an ``InputError``.

**Per-file time limit.** Reading a file, and cleaning each of its records, runs in a
worker process (forked once and reused) and is given ``ingest.per_file_timeout_s`` seconds
per step. A step that takes longer (a pathological input driving a regex into
quadratic or exponential backtracking, say) is reported as ``timed out after N s`` and the
worker is killed and replaced: a thread could not do this, since a long C-level regex
match never releases the GIL. A worker that dies (a segfault in a parser, the OOM killer)
is reported the same way. The remaining records of a file are still read after a record
times out. With ``per_file_timeout_s = 0``, or where ``fork`` is unavailable, everything
runs in-process without a limit.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

from litdigest.clean import clean_record
from litdigest.config import Settings
from litdigest.documents import Document, Format
from litdigest.errors import InputError
from litdigest.ingest import iter_input_files, read_file_detailed
from litdigest.ingest.detect import non_article_name, non_article_text

_log = logging.getLogger(__name__)
_TIMEOUT_SETTING: Final = "ingest.per_file_timeout_s"
_READY_TIMEOUT_S: Final = 300.0


def _internal(source: str, stage: str, exc: Exception) -> InputError:
    detail = " ".join(str(exc).split())[:200]
    return InputError(source, f"internal error while {stage}: {type(exc).__name__}: {detail}")


@dataclass(frozen=True)
class Skipped:
    """A file or record that is not an article: passed over with a note, never summarized."""

    source: str
    reason: str

    @property
    def note(self) -> str:
        return f"skipped: not an article ({self.reason}); --include-all reads it anyway"


OnSkip = Callable[[Skipped], None]
# Formats whose cleaned text must hold prose (bibliographic records are articles by
# definition), and those whose raw text is checked for code, tables and licences.
_FREE_TEXT: Final = frozenset({Format.TEXT, Format.MARKDOWN, Format.HTML, Format.PDF})
_PLAIN: Final = frozenset({Format.TEXT, Format.MARKDOWN})


def _skip_reason(raw: str, cleaned: str | None, fmt: Format) -> str | None:
    """Why a record is not an article: from its raw text (``cleaned`` None), else its text."""
    if fmt not in _FREE_TEXT:
        return None
    if cleaned is None:
        return non_article_text(raw) if fmt in _PLAIN else None
    return non_article_text(cleaned)


def _process_file(
    path: Path, settings: Settings, skip: int = 0
) -> Iterator[tuple[str, str] | Document | InputError | Skipped]:
    """Items of one file: ``("step", source)`` before each step, then its documents/errors.

    ``skip`` records are passed over (and the file's per-record read errors not repeated):
    used to carry on after a record timed out.
    """
    yield ("step", str(path))
    include_all = settings.ingest.include_all
    why = None if include_all else non_article_name(path)
    if why is not None:
        yield Skipped(str(path), why)
        return
    try:
        records, errors = read_file_detailed(path, settings.ingest)
    except InputError as exc:
        yield exc
        return
    except Exception as exc:  # a reader bug must not stop the batch
        yield _internal(str(path), "reading", exc)
        return
    if skip == 0:
        yield from errors
    for record in records[skip:]:
        yield ("step", record.source)
        why = None if include_all else _skip_reason(record.text, None, record.format)
        if why is not None:
            yield Skipped(record.source, why)
            continue
        try:
            doc = clean_record(record, settings.clean)
            why = None if include_all else _skip_reason(record.text, doc.text, record.format)
            yield doc if why is None else Skipped(record.source, why)
        except InputError as exc:
            yield exc
        except Exception as exc:
            yield _internal(record.source, "cleaning", exc)


_WARM_UP_TEXT: Final = (
    "Tumour immunology review\n\nSmith J, Doe A. Journal of Examples. 2024.\n\n"
    "Abstract\n\nRegulatory T cells suppress the immuno-\ngenicity of tumours in mice and\n"
    "patients; anti-CCR8 antibodies are a therapeutic option.\n\nReferences\n\n1. Doe A.\n"
)


def _warm_up(settings: Settings) -> None:
    """Load the lazily built tables and modules once, before any step is timed."""
    from litdigest.clean import clean_text
    from litdigest.clean.metadata import extract_metadata
    from litdigest.documents import CleanMode

    for mode in CleanMode:
        with contextlib.suppress(Exception):
            clean_text(_WARM_UP_TEXT, mode, settings.clean)
    with contextlib.suppress(Exception):
        extract_metadata(_WARM_UP_TEXT, _WARM_UP_TEXT)
    for module in ("pypdf", "trafilatura", "rispy", "bibtexparser"):
        with contextlib.suppress(Exception):
            __import__(module)


def _serve(conn: Connection, other: Connection, settings: Settings) -> None:
    """Worker process: warm up, then read (path, skip) requests and stream the items back."""
    other.close()  # the parent's end: a parent killed with -9 then means EOF here
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    devnull = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - lives with the process
    # Never flush the parent's buffered output a second time from here.
    sys.stdout = sys.stderr = devnull
    _warm_up(settings)
    try:
        conn.send(("ready",))
    except OSError:
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        path, skip = request
        try:
            for item in _process_file(Path(path), settings, skip):
                conn.send(
                    ("error", item.source, item.reason) if isinstance(item, InputError) else item
                )
            conn.send(("done",))
        except (BrokenPipeError, OSError):
            return


class _Worker:
    """One forked worker process and its pipe."""

    def __init__(self, settings: Settings) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(
            target=_serve, args=(child, self.conn, settings), name="litdigest-ingest", daemon=True
        )
        self.proc.start()
        child.close()
        # Warming up is not part of any file's time limit (but a worker that never gets
        # ready is given up on).
        if not self.conn.poll(_READY_TIMEOUT_S):
            self.close(kill=True)
            raise OSError("the ingest worker process did not start")
        self.conn.recv()

    def request(self, path: Path, skip: int) -> None:
        self.conn.send((str(path), skip))

    def receive(self, timeout: float) -> Any:
        """The next message; ``TimeoutError`` if none within ``timeout``, ``EOFError`` if the
        worker died."""
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def death(self) -> str:
        self.proc.join(1.0)
        code = self.proc.exitcode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return f"signal {signal.Signals(-code).name}"
        return f"exit code {code}"

    def close(self, *, kill: bool = False) -> None:
        if kill and self.proc.is_alive():
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.conn.close()
        self.proc.join(5.0)
        if self.proc.is_alive():  # pragma: no cover - did not stop when asked
            self.proc.kill()
            self.proc.join(5.0)
        self.proc.close()


def _fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


Item = Document | InputError | Skipped


def _iter_in_process(path: Path, settings: Settings, skip: int = 0) -> Iterator[Item]:
    for item in _process_file(path, settings, skip):
        if not isinstance(item, tuple):
            yield item


def _iter_in_worker(path: Path, settings: Settings, holder: list[_Worker]) -> Iterator[Item]:
    """Items of ``path`` from the worker in ``holder`` (replaced when it is killed)."""
    limit = settings.ingest.per_file_timeout_s
    skip = 0
    while True:
        if not holder:
            try:
                holder.append(_Worker(settings))
            except (OSError, EOFError):  # cannot fork: read this file in-process
                yield from _iter_in_process(path, settings, skip)
                return
        worker = holder[0]
        worker.request(path, skip)
        source, steps = str(path), -1  # steps: records started (-1: reading the file)
        while True:
            try:
                message = worker.receive(limit)
            except TimeoutError:
                holder.pop().close(kill=True)
                stage = "reading the file" if steps < 0 else "cleaning"
                yield InputError(
                    source, f"timed out after {limit:g} s while {stage} ({_TIMEOUT_SETTING})"
                )
                break
            except (EOFError, OSError):
                why = worker.death()
                holder.pop().close(kill=True)
                stage = "reading the file" if steps < 0 else "cleaning"
                yield InputError(source, f"the reader process died ({why}) while {stage}")
                break
            if isinstance(message, Document | Skipped):
                yield message
            elif message[0] == "step":
                source, steps = message[1], steps + 1
            elif message[0] == "error":
                yield InputError(message[1], message[2])
            else:  # ("done",)
                return
        if steps < 1:  # the file itself failed: nothing more to read
            return
        skip += steps  # go on with the record after the one that failed


def iter_documents(
    paths: Sequence[Path], settings: Settings, on_skip: OnSkip | None = None
) -> Iterator[Document | InputError]:
    """Yield each cleaned document, or the error that stopped a file or record.

    One bad file or record never stops the others; each step is time-limited (see the
    module docstring). Files and records that are not articles are passed to ``on_skip``
    (logged when it is None) unless ``ingest.include_all`` is set.
    """
    isolated = settings.ingest.per_file_timeout_s > 0 and _fork_available()
    holder: list[_Worker] = []
    try:
        for path in iter_input_files(paths, settings.ingest):
            if isinstance(path, InputError):
                yield path
                continue
            _log.debug("reading %s", path)
            items = (
                _iter_in_worker(path, settings, holder)
                if isolated
                else _iter_in_process(path, settings)
            )
            found = 0
            for item in items:
                if not isinstance(item, Skipped):
                    found += isinstance(item, Document)
                    yield item
                elif on_skip is not None:
                    on_skip(item)
                else:
                    _log.warning("%s: %s", item.source, item.note)
            _log.info("%s: %d document(s)", path, found)
    finally:
        while holder:
            holder.pop().close()
