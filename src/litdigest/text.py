"""Small text helpers shared by every layer: one line, Markdown escaping, canonical hashes.

``md_escape`` is the one escaper for untrusted text (document text, model output, reviewer
notes) in Markdown output: no raw HTML, no emphasis, code or link syntax, so a model cannot
inject a link into a ``.md`` file.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Final

__all__ = [
    "canonical_json",
    "ellipsize",
    "md_escape",
    "md_escape_lines",
    "one_line",
    "sha256_hex",
    "stable_hash",
]

_MD_SYNTAX: Final = re.compile(r"([\\`*_\[\]])")


def one_line(text: str) -> str:
    """Whitespace runs (newlines included) collapsed to one space; no leading/trailing space."""
    return " ".join(text.split())


def ellipsize(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _md_inline(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SYNTAX.sub(r"\\\1", text)


def md_escape(text: str) -> str:
    """Untrusted text for Markdown, on one line: no raw HTML, no emphasis/code/link syntax."""
    return _md_inline(one_line(text))


def md_escape_lines(text: str) -> list[str]:
    """Untrusted multi-line text for Markdown (a block quote), escaped line by line."""
    return [_md_inline(line) for line in text.splitlines()] or [""]


def canonical_json(payload: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: equal payloads give equal strings."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stable_hash(payload: Any, length: int | None = 16) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (first ``length`` hex digits; all: None)."""
    digest = sha256_hex(canonical_json(payload))
    return digest if length is None else digest[:length]
