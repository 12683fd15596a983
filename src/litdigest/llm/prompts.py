"""Versioned prompt files and the fencing of untrusted document text.

A prompt file (``prompts/<name>.v<N>.md``) has a front-matter header and two sections::

    ---
    version: summarize-v1
    ---
    ## system
    ...
    ## user
    ... {document} ...

``{name}`` placeholders (a word in single braces) are filled by ``Prompt.render``; every other
brace is literal, and substituted values are never rescanned, so a document containing
``{document}`` stays as it is.

The directory is ``$LITDIGEST_PROMPTS_DIR`` if set, else the package data of
``litdigest.prompts`` (read with ``importlib.resources``; in a checkout that is the top-level
``prompts/`` folder, mapped into the package by ``pyproject.toml``).

**Fencing.** Document text (and anything derived from it) goes between a line
``<<<DOCUMENT`` and a line ``DOCUMENT>>>``; the system prompts say the fenced text is data,
never instructions. ``neutralize_fences`` alters any fence marker inside the text first, so a
document can never close the fence and speak as the prompt. Quotes are verified against the
original text, so a quote spanning an altered marker simply fails grounding.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

from litdigest.errors import ConfigError

__all__ = [
    "FENCE_CLOSE",
    "FENCE_OPEN",
    "PROMPTS_DIR_ENV",
    "Prompt",
    "combine_versions",
    "fence",
    "load_prompt",
    "neutralize_fences",
    "prompts_dir",
]

PROMPTS_DIR_ENV: Final = "LITDIGEST_PROMPTS_DIR"
FENCE_OPEN: Final = "<<<DOCUMENT"
FENCE_CLOSE: Final = "DOCUMENT>>>"

# Fence markers (ours, any case, with stray spaces) and the <document> tags some servers and
# models also treat as fences.
_MARKER_RE: Final = re.compile(
    r"<\s*<\s*<\s*(DOCUMENT)|(DOCUMENT)\s*>\s*>\s*>|<\s*(/?)\s*(document)\b([^>]*)>",
    re.IGNORECASE,
)
_PLACEHOLDER_RE: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FRONT_MATTER_RE: Final = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_SECTION_RE: Final = re.compile(r"^## (system|user)[ \t]*$", re.M)
_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_-]*")


def _neutral(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return f"<_<_<{m.group(1)}"
    if m.group(2) is not None:
        return f"{m.group(2)}>_>_>"
    return f"<_{m.group(3)}{m.group(4)}{m.group(5)}_>"


def neutralize_fences(text: str) -> str:
    """``text`` with every fence marker visibly altered (``DOCUMENT>>>`` → ``DOCUMENT>_>_>``)."""
    return _MARKER_RE.sub(_neutral, text)


def fence(text: str) -> str:
    """The fenced block body: ``text`` with its fence markers neutralised.

    The prompt files put it between a ``<<<DOCUMENT`` line and a ``DOCUMENT>>>`` line.
    """
    return neutralize_fences(text).strip("\n")


def combine_versions(*versions: str) -> str:
    """``map-v1`` + ``reduce-v1`` → ``map-v1+reduce-v1``."""
    return "+".join(versions)


@dataclass(frozen=True, slots=True)
class Prompt:
    """One versioned prompt: system text and a user template."""

    name: str
    version: str
    system: str
    user_template: str
    digest: str  # SHA-256 (16 hex) of the file, part of every cache key

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER_RE.findall(self.system + self.user_template))

    def render(self, **values: object) -> tuple[str, str]:
        """(system, user) with placeholders filled. The document is fenced by the caller's
        template; pass ``document=fence(text)``."""
        return _fill(self.system, values, self.name), _fill(self.user_template, values, self.name)


def _fill(template: str, values: dict[str, object], name: str) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise ConfigError(f"prompt {name!r}: no value for placeholder {{{key}}}")
        return str(values[key])

    return _PLACEHOLDER_RE.sub(sub, template)


def _packaged_prompts() -> Path:
    """The installed ``litdigest.prompts`` package data (a source tree: ``<repo>/prompts``)."""
    try:
        return Path(str(resources.files("litdigest.prompts")))
    except ModuleNotFoundError:  # src/ on sys.path without an install
        return Path(__file__).resolve().parents[3] / "prompts"


def prompts_dir() -> Path:
    """Where the prompt files are; ``ConfigError`` if the directory does not exist."""
    env = os.environ.get(PROMPTS_DIR_ENV)
    path = Path(env) if env else _packaged_prompts()
    if not path.is_dir():
        where = f"${PROMPTS_DIR_ENV}={env}" if env else str(path)
        raise ConfigError(
            f"prompt directory not found: {where} (set {PROMPTS_DIR_ENV} to the folder "
            "holding summarize.v1.md, map.v1.md and reduce.v1.md)"
        )
    return path


def load_prompt(name: str, *, directory: Path | None = None) -> Prompt:
    """Load ``<name>.md`` (``name`` includes its version, e.g. ``summarize.v1``)."""
    base = directory or prompts_dir()
    return _load(str(base), name)


@cache
def _load(base: str, name: str) -> Prompt:
    stem = name.removesuffix(".md")
    if not _NAME_RE.fullmatch(stem.replace(".", "_")):
        raise ConfigError(f"invalid prompt name: {name!r}")
    path = Path(base) / f"{stem}.md"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"prompt file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read prompt file {path}: {exc}") from None
    raw = raw.replace("\r\n", "\n")
    header = _FRONT_MATTER_RE.match(raw)
    if header is None:
        raise ConfigError(f"prompt file {path} has no '---' front-matter header")
    fields: dict[str, str] = {}
    for line in header.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    version = fields.get("version", "")
    if not version:
        raise ConfigError(f"prompt file {path} has no 'version:' in its header")
    body = raw[header.end() :]
    parts = _SECTION_RE.split(body)
    # ['', 'system', text, 'user', text]
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if list(sections) != ["system", "user"] or len(parts) != 5:
        raise ConfigError(f"prompt file {path} needs a '## system' then a '## user' section")
    return Prompt(
        name=stem,
        version=version,
        system=sections["system"].strip("\n"),
        user_template=sections["user"].strip("\n"),
        digest=hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16],
    )
