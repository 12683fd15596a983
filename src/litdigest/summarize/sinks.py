"""Rendering and writing summaries: JSON Lines, a JSON array, or a Markdown digest.

A ``SummarySink`` receives summaries one at a time, in output order, and never holds them all
in memory. Sinks write either to a stream (stdout) or into a directory; in a directory every
file is named from the ``doc_id`` (never from a title or source, so nothing can escape the
directory) and written atomically (temporary file in the same directory, then rename).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import IO, Final, Literal, Protocol

from litdigest.summarize.schema import SECTION_TITLES, SECTIONS, Claim, DocumentSummary
from litdigest.text import md_escape, md_escape_lines

__all__ = [
    "FORMATS",
    "DirectorySink",
    "OutputFormat",
    "StreamSink",
    "SummarySink",
    "atomic_write_text",
    "render_markdown",
    "safe_doc_filename",
]

OutputFormat = Literal["jsonl", "json", "md"]
FORMATS: Final[tuple[OutputFormat, ...]] = ("jsonl", "json", "md")

# doc_id is 16 hex digits; accept a little more, never a path separator or a dot.
_SAFE_ID: Final = re.compile(r"[0-9A-Za-z_-]{1,64}")
JSONL_FILENAME: Final = "summaries.jsonl"


class SummarySink(Protocol):
    """Where summaries go, one at a time and in output order."""

    def write(self, summary: DocumentSummary) -> None: ...

    def close(self) -> None:
        """Finish the output (closing bracket, final rename); called once, on success only."""
        ...


# --------------------------------------------------------------------------------------------
# Markdown


_md = md_escape


def _blockquote(text: str, indent: str) -> list[str]:
    return [f"{indent}> {line}".rstrip() for line in md_escape_lines(text)]


def _claim_lines(n: int, claim: Claim) -> list[str]:
    kind = f"*[{claim.evidence_kind.label}]* " if claim.evidence_kind is not None else ""
    lines = [f"{n}. {kind}{_md(claim.statement)}"]
    if claim.support == "unverified":  # kept by settings.support.unsupported = "flag"
        terms = "; ".join(claim.unsupported_terms) or "unknown"
        lines.append(f"   - **Unverified:** not supported by its quotes: {_md(terms)}")
    for quote in claim.quotes:
        lines.append("")
        lines.extend(_blockquote(quote.text, "   "))
    return lines


def render_markdown(summary: DocumentSummary) -> str:
    """A readable Markdown digest of one summary (ends with a newline)."""
    meta = summary.metadata
    lines = [f"# {_md(meta.title) if meta.title else '(untitled)'}", ""]
    if meta.authors:
        lines.append(f"- **Authors:** {_md('; '.join(meta.authors))}")
    venue = " ".join(
        part for part in (_md(meta.journal or ""), f"({meta.year})" if meta.year else "") if part
    )
    if venue:
        lines.append(f"- **Published:** {venue}")
    if meta.doi:
        lines.append(f"- **DOI:** {_md(meta.doi)}")
    lines.append(f"- **Source:** {_md(summary.source)}")
    lines.append(
        f"- **Document:** {summary.doc_id} · {_md(summary.backend)} / {_md(summary.model)}"
        f" · prompt {_md(summary.prompt_version)}"
    )
    lines += ["", f"**TL;DR** {_md(summary.tldr)}" if summary.tldr else "**TL;DR** —"]
    for section in SECTIONS:
        lines += ["", f"## {SECTION_TITLES[section]}", ""]
        claims = summary.section(section)
        if not claims:
            lines.append("_No claims._")
        for i, claim in enumerate(claims, 1):
            if i > 1:
                lines.append("")
            lines.extend(_claim_lines(i, claim))
    if summary.warnings:
        lines += ["", "## Warnings", ""]
        lines.extend(f"- {_md(w)}" for w in summary.warnings)
    return "\n".join(lines) + "\n"


def render(summary: DocumentSummary, fmt: OutputFormat) -> str:
    """One summary as a single file's content in ``fmt`` (jsonl: one line)."""
    if fmt == "jsonl":
        return summary.model_dump_json() + "\n"
    if fmt == "json":
        return summary.model_dump_json(indent=2) + "\n"
    return render_markdown(summary)


# --------------------------------------------------------------------------------------------
# Sinks


class StreamSink:
    """Writes to a text stream: JSON Lines, one JSON array, or Markdown digests separated by
    horizontal rules. Each summary is flushed as soon as it is written."""

    def __init__(self, stream: IO[str], fmt: OutputFormat) -> None:
        self.stream = stream
        self.fmt = fmt
        self.count = 0

    def write(self, summary: DocumentSummary) -> None:
        if self.fmt == "jsonl":
            piece = summary.model_dump_json() + "\n"
        elif self.fmt == "json":
            body = summary.model_dump_json(indent=2).replace("\n", "\n  ")
            piece = ("[\n  " if self.count == 0 else ",\n  ") + body
        else:
            piece = ("" if self.count == 0 else "\n---\n\n") + render_markdown(summary)
        self.stream.write(piece)
        self.stream.flush()
        self.count += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        self.stream.flush()


def safe_doc_filename(doc_id: str, suffix: str) -> str:
    """``<doc_id><suffix>``; refuses any id that is not a plain token (no separators, dots)."""
    if not _SAFE_ID.fullmatch(doc_id):
        raise ValueError(f"refusing to build a file name from doc_id {doc_id!r}")
    return doc_id + suffix


# Temporary files carry the writer's PID (".<name>.<pid>.<random>.tmp") so that a later run
# can tell the leftovers of a killed process from the live files of a concurrent one.
_TEMP_NAME = re.compile(r"\.[\w.-]+?\.(?P<pid>\d+)\.[\w-]+\.tmp")


def _temp_prefix(name: str) -> str:
    return f".{name}.{os.getpid()}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temp_files(directory: Path) -> int:
    """Delete temporary files left in ``directory`` by writers that no longer run (kill -9)."""
    removed = 0
    for entry in directory.iterdir():
        m = _TEMP_NAME.fullmatch(entry.name)
        if m and int(m["pid"]) != os.getpid() and not _pid_alive(int(m["pid"])):
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


def _user_mode(fd: int) -> None:
    """Give a ``mkstemp`` file (0600) the mode a plain ``open`` would: 0666 less the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    os.fchmod(fd, 0o666 & ~mask)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, fsync, rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path.name), suffix=".tmp")
    try:
        _user_mode(fd)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DirectorySink:
    """Writes into ``directory``: ``<doc_id>.json`` / ``<doc_id>.md`` per document, or for
    ``jsonl`` one ``summaries.jsonl`` that appears (atomically) when the batch completes."""

    def __init__(self, directory: Path, fmt: OutputFormat) -> None:
        self.directory = directory
        self.fmt = fmt
        self.count = 0
        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(directory)
        self._tmp: Path | None = None
        self._fh: IO[str] | None = None
        if fmt == "jsonl":
            fd, tmp = tempfile.mkstemp(
                dir=directory, prefix=_temp_prefix(JSONL_FILENAME), suffix=".tmp"
            )
            self._tmp = Path(tmp)
            _user_mode(fd)
            self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def path_for(self, doc_id: str) -> Path:
        suffix = ".md" if self.fmt == "md" else ".json"
        return self.directory / safe_doc_filename(doc_id, suffix)

    def write(self, summary: DocumentSummary) -> None:
        if self._fh is not None:
            self._fh.write(summary.model_dump_json() + "\n")
        else:
            atomic_write_text(self.path_for(summary.doc_id), render(summary, self.fmt))
        self.count += 1

    def close(self) -> None:
        if self._fh is None or self._tmp is None:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        self._tmp.replace(self.directory / JSONL_FILENAME)
        self._tmp = None

    def discard(self) -> None:
        """Drop an unfinished ``summaries.jsonl`` (batch interrupted or failed)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
