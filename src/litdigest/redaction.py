"""Keep API keys out of anything litdigest writes (the store, logs, error messages).

``redact`` replaces strings that look like credentials with ``[REDACTED]``:

- OpenAI-style keys: ``sk-…``, ``sk-proj-…``, ``sk-svcacct-…`` (20+ key characters, at least
  one digit, not glued to a preceding word so "risk-…" is left alone);
- ``Bearer <token>`` (16+ token characters with a digit; the word ``Bearer`` is kept, and
  prose such as "the bearer population" is left alone);
- ``api_key=…`` / ``"api_key": "…"`` / ``x-api-key: …`` values (the name is kept);
- the exact values of the environment variables in ``SECRET_ENV_VARS``, read at call time,
  and any value passed to ``register_secret`` (e.g. a key read from the config file).

The replacement never contains quotes or backslashes, so redacting JSON text keeps it valid.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

SECRET_ENV_VARS: tuple[str, ...] = ("OPENAI_API_KEY", "LITDIGEST_OPENAI__API_KEY")

# Shorter literal values are not redacted: replacing every "test" or "x" would mangle text.
MIN_SECRET_LENGTH = 8

_KEY_CHARS = r"A-Za-z0-9_\-"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"(?<![{_KEY_CHARS}])sk-(?=[{_KEY_CHARS}]*\d)[{_KEY_CHARS}]{{20,}}"), REDACTED),
    (
        re.compile(r"(\b[Bb]earer\s+)(?=[A-Za-z0-9._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{16,}"),
        rf"\g<1>{REDACTED}",
    ),
    (
        re.compile(
            r"""(?i)(\b(?:x-)?api[_-]?key["']?\s*[:=]\s*["']?)(?!bearer\b)[^\s"',;}\]]{8,}"""
        ),
        rf"\g<1>{REDACTED}",
    ),
)

_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Also redact ``value`` from now on (for keys that do not come from the environment)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _registered.add(value)


def known_secrets() -> list[str]:
    """Literal secret values to redact, longest first (so a key containing another wins)."""
    values = set(_registered)
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if len(value) >= MIN_SECRET_LENGTH:
            values.add(value)
    return sorted(values, key=len, reverse=True)


def redact(text: str, *, extra: Iterable[str] = ()) -> str:
    """``text`` with API keys, bearer tokens and known secret values replaced by ``[REDACTED]``."""
    secrets = known_secrets()
    secrets.extend(v for v in extra if v and len(v) >= MIN_SECRET_LENGTH)
    for value in sorted(secrets, key=len, reverse=True):
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
