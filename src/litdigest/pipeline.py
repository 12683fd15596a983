"""Ingest → clean as a stream: every input ends as a ``Document`` or an ``InputError``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from litdigest.clean import clean_record
from litdigest.config import Settings
from litdigest.errors import InputError
from litdigest.ingest import iter_input_files, read_file_detailed
from litdigest.models import Document


def _internal(source: str, stage: str, exc: Exception) -> InputError:
    detail = " ".join(str(exc).split())[:200]
    return InputError(source, f"internal error while {stage}: {type(exc).__name__}: {detail}")


def iter_documents(paths: Sequence[Path], settings: Settings) -> Iterator[Document | InputError]:
    """Yield each cleaned document, or the error that stopped a file or record.

    One bad file or record never stops the others.
    """
    for item in iter_input_files(paths, settings.ingest):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            records, errors = read_file_detailed(item, settings.ingest)
        except InputError as exc:
            yield exc
            continue
        except Exception as exc:  # a reader bug must not stop the batch
            yield _internal(str(item), "reading", exc)
            continue
        yield from errors
        for record in records:
            try:
                yield clean_record(record, settings.clean)
            except InputError as exc:
                yield exc
            except Exception as exc:
                yield _internal(record.source, "cleaning", exc)
