"""The Python API for scripts: the same code path as the command line.

>>> from litdigest.api import summarize
>>> for summary in summarize(["examples/"], backend="extractive", db="out/demo.db"):
...     print(summary.doc_id, summary.tldr)

``summarize`` builds the backend and the batch runner exactly as ``litdigest summarize`` does
(``summarize.runner.make_runner``): documents are stored, cached summaries reused, quotes
verified, failures recorded. Settings come from the environment and the config file as for
the CLI; keyword arguments override them (``chunk={"max_tokens": 400}`` or
``**{"openai.model": "gpt-4o"}``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litdigest.config import Settings, load_settings
from litdigest.errors import InputError, LitdigestError

if TYPE_CHECKING:
    from litdigest.documents import Document
    from litdigest.store.store import Store
    from litdigest.summarize.backends.base import Backend
    from litdigest.summarize.schema import DocumentSummary

__all__ = ["clean", "open_store", "summarize"]

PathLike = str | Path
ErrorHandler = Callable[[LitdigestError], None]

_log = logging.getLogger("litdigest")


def _warn(err: LitdigestError) -> None:
    _log.warning("%s", err)


class _Reporter:
    def __init__(self, on_error: ErrorHandler) -> None:
        self.on_error = on_error

    def fail(self, err: LitdigestError) -> None:
        self.on_error(err)


class _QueueSink:
    """Hands each summary to the consuming thread, in output order."""

    def __init__(self, items: queue.Queue[tuple[str, Any]]) -> None:
        self.items = items

    def write(self, summary: DocumentSummary) -> None:
        self.items.put(("summary", summary))

    def close(self) -> None:
        return None


def _paths(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    if isinstance(paths, str | Path):
        return [Path(paths)]
    return [Path(p) for p in paths]


def summarize(
    paths: PathLike | Iterable[PathLike],
    *,
    backend: str = "auto",
    db: PathLike | None = None,
    on_error: ErrorHandler | None = None,
    **settings: Any,
) -> Iterator[DocumentSummary]:
    """Summarize the documents under ``paths``, yielding each ``DocumentSummary`` in input order.

    ``backend``: auto, extractive, openai or any registered backend. ``db``: the SQLite store
    (default: the configured one). A file or document that fails goes to ``on_error`` (default:
    a warning on the ``litdigest`` logger) and the run goes on. Configuration problems raise
    ``ConfigError`` here, before anything runs.
    """
    from litdigest.summarize.backends import choose_backend, get_backend

    config = load_settings().with_overrides(summarize={"backend": backend}, **settings)
    name, _reason = choose_backend(config.summarize.backend, config)
    summarizer = get_backend(name, config)
    return _stream(_paths(paths), summarizer, config, db, on_error or _warn)


def _stream(
    paths: list[Path],
    summarizer: Backend,
    settings: Settings,
    db: PathLike | None,
    on_error: ErrorHandler,
) -> Iterator[DocumentSummary]:
    """Run the batch in a worker thread (it owns the store) and yield what it emits."""
    items: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        from litdigest.prepare import iter_documents
        from litdigest.store.store import Store
        from litdigest.summarize.runner import make_runner

        try:
            with Store(db or settings.store.db_path) as store:
                runner = make_runner(
                    summarizer,
                    store,
                    _QueueSink(items),
                    _Reporter(on_error),
                    settings,
                    run_args={"command": "api.summarize", "paths": [str(p) for p in paths]},
                )
                asyncio.run(runner.run(iter_documents(paths, settings)))
        except BaseException as exc:
            items.put(("error", exc))
        else:
            items.put(("done", None))

    thread = threading.Thread(target=work, name="litdigest-summarize", daemon=True)
    thread.start()
    while True:
        kind, item = items.get()
        if kind == "summary":
            yield item
        elif kind == "error":
            thread.join()
            raise item
        else:
            thread.join()
            return


def clean(path: PathLike, **settings: Any) -> list[Document]:
    """The cleaned documents of one file (a multi-record file gives several); an unreadable
    file or record raises ``InputError``."""
    from litdigest.prepare import iter_documents

    config = load_settings().with_overrides(**settings)
    documents: list[Document] = []
    for item in iter_documents([Path(path)], config):
        if isinstance(item, InputError):
            raise item
        documents.append(item)
    return documents


def open_store(path: PathLike | None = None) -> Store:
    """The SQLite store at ``path`` (default: the configured one); use it as a context manager."""
    from litdigest.store.store import Store

    return Store(path or load_settings().store.db_path)
