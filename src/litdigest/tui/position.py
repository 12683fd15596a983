"""Where the reviewer left off in a store: the document and claim, restored on reopen.

Kept per store (by the resolved path of its file) in the user's state directory, not in the
store itself: the position is the state of one reviewer's screen, not review data, and a
store shared by several reviewers keeps one position each. The file is tiny and rewritten
(temporary file + rename) whenever the position changes; an unreadable file is ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Position", "PositionFile"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Position:
    doc_id: str
    claim: str | None  # "field:index" (see ``ClaimView.key``)


class PositionFile:
    """``<state dir>/review-position-<hash of the store path>.json``."""

    def __init__(self, state_dir: Path, db_path: Path) -> None:
        key = hashlib.sha256(str(db_path.resolve()).encode("utf-8")).hexdigest()[:16]
        self.path = state_dir / f"review-position-{key}.json"
        self._db = str(db_path.resolve())
        self._saved: Position | None = None

    def load(self) -> Position | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        doc_id, claim = data.get("doc_id"), data.get("claim")
        if not isinstance(doc_id, str) or not (claim is None or isinstance(claim, str)):
            return None
        self._saved = Position(doc_id, claim)
        return self._saved

    def save(self, position: Position) -> None:
        """Write ``position`` unless it is the one last written (errors are only logged)."""
        if position == self._saved:
            return
        text = json.dumps({"db": self._db, "doc_id": position.doc_id, "claim": position.claim})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".position-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                Path(tmp).replace(self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.debug("could not save the review position to %s: %s", self.path, exc)
            return
        self._saved = position
