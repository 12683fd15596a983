"""Finding input files and loading their bytes safely (size checked before reading)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from litdigest.config import IngestSettings
from litdigest.errors import InputError


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"  # pragma: no cover


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return (exc.strerror or type(exc).__name__).lower()


def _stat(path: Path) -> os.stat_result | InputError:
    try:
        return path.stat()
    except FileNotFoundError:
        reason = "broken symbolic link" if path.is_symlink() else "no such file or directory"
        return InputError(str(path), reason)
    except OSError as exc:
        return InputError(str(path), _os_reason(exc))


def _sorted_entries(directory: Path) -> list[os.DirEntry[str]] | InputError:
    try:
        with os.scandir(directory) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        return InputError(str(directory), f"cannot list directory: {_os_reason(exc)}")


def _readable_file(path: Path) -> Path | InputError:
    if not os.access(path, os.R_OK):
        return InputError(str(path), "permission denied")
    return path


def iter_input_files(
    paths: Sequence[Path], settings: IngestSettings
) -> Iterator[Path | InputError]:
    """Files as given, directories recursed in sorted order (hidden entries skipped)."""
    for path in paths:
        st = _stat(path)
        if isinstance(st, InputError):
            yield st
        elif stat.S_ISDIR(st.st_mode):
            yield from _walk(path, (st.st_dev, st.st_ino), settings)
        elif stat.S_ISREG(st.st_mode):
            yield _readable_file(path)
        else:
            yield InputError(str(path), "not a regular file")


def _walk(
    root: Path, key: tuple[int, int], settings: IngestSettings
) -> Iterator[Path | InputError]:
    visited = {key}
    entries = _sorted_entries(root)
    if isinstance(entries, InputError):
        yield entries
        return
    # Depth-first with an explicit stack: (directory's remaining entries, its ancestors' ids).
    stack: list[tuple[Iterator[os.DirEntry[str]], frozenset[tuple[int, int]]]] = [
        (iter(entries), frozenset({key}))
    ]
    while stack:
        it, ancestors = stack[-1]
        entry = next(it, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if not settings.follow_symlinks and entry.is_symlink():
            continue
        st = _stat(path)
        if isinstance(st, InputError):
            yield st
            continue
        if stat.S_ISDIR(st.st_mode):
            sub = (st.st_dev, st.st_ino)
            if sub in ancestors:
                yield InputError(str(path), "symbolic link loop (links back to a parent directory)")
                continue
            if sub in visited:
                continue  # the same directory reached again through a link
            visited.add(sub)
            children = _sorted_entries(path)
            if isinstance(children, InputError):
                yield children
                continue
            stack.append((iter(children), ancestors | {sub}))
        elif stat.S_ISREG(st.st_mode):
            yield _readable_file(path)
        # sockets, FIFOs and devices met while recursing are skipped silently


def load_bytes(path: Path, settings: IngestSettings) -> bytes:
    """The file's bytes; the size limit is checked before reading anything."""
    source = str(path)
    st = _stat(path)
    if isinstance(st, InputError):
        raise st
    if stat.S_ISDIR(st.st_mode):
        raise InputError(source, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(source, "not a regular file")
    limit = settings.max_file_bytes
    too_large = f"file too large: more than {human_size(limit)} (ingest.max_file_bytes = {limit})"
    if st.st_size > limit:
        raise InputError(
            source,
            f"file too large: {human_size(st.st_size)} exceeds the limit of {human_size(limit)}"
            f" (ingest.max_file_bytes = {limit})",
        )
    if st.st_size == 0:
        raise InputError(source, "empty file")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(source, _os_reason(exc)) from None
    if len(data) > limit:  # grew after stat
        raise InputError(source, too_large)
    if not data:
        raise InputError(source, "empty file")
    return data
