"""Offline static sentence embeddings (WordLlama), shared by the eval matcher and clustering.

WordLlama ships its token embeddings and tokenizer inside the wheel, so it runs with no model
hub and no network. ``wordllama`` 0.4.0.post1 looks for ``<cache>/tokenizer/…`` while the
wheel ships ``wordllama/tokenizers/…``; with its default cache dir it therefore tries to
download and fails offline. Pointing ``cache_dir`` at the package directory with
``disable_download=True`` loads the bundled files (both layouts are tried).

``embed(texts)`` returns L2-normalised float32 rows, so a dot product is a cosine;
``similarity(a, b)`` is that cosine for two texts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from litdigest.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["EMBED_DIM", "EMBED_MODEL", "embed", "embedder", "similarity"]

EMBED_MODEL: Final = "l2_supercat"
EMBED_DIM: Final = 256

_lock = threading.Lock()


@lru_cache(maxsize=1)
def embedder() -> Any:
    """The WordLlama model (loaded once, from the files inside the wheel; never downloads).

    Raises ``ConfigError`` with the reason when it cannot be loaded.
    """
    with _lock:
        root = logging.getLogger()
        level, handlers = root.level, list(root.handlers)
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError as exc:  # pragma: no cover - a dependency
            raise ConfigError(
                f"the embedding model needs the 'wordllama' package ({exc}); "
                "install litdigest's dependencies"
            ) from None
        finally:
            # wordllama calls logging.basicConfig(level=INFO) on import, which would make every
            # library (HTTP clients included) log to stderr; put the root logger back.
            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)
            root.setLevel(level)
        package_dir = Path(wordllama.__file__).parent
        try:
            return WordLlama.load(
                config=EMBED_MODEL, cache_dir=package_dir, dim=EMBED_DIM, disable_download=True
            )
        except Exception as exc:
            detail = " ".join(str(exc).split())[:200]
            raise ConfigError(
                f"cannot load the WordLlama embedding model {EMBED_MODEL!r} from {package_dir} "
                f"offline ({type(exc).__name__}: {detail})"
            ) from None


def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """One L2-normalised embedding row per text (shape ``(len(texts), EMBED_DIM)``)."""
    import numpy as np

    if not texts:
        return np.zeros((0, EMBED_DIM), dtype=np.float32)
    vectors = np.asarray(embedder().embed(list(texts), norm=False), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: npt.NDArray[np.float32] = (vectors / norms).astype(np.float32)
    return out


def similarity(a: str, b: str) -> float:
    """Cosine similarity of the embeddings of ``a`` and ``b`` (in [-1, 1])."""
    vectors = embed([a, b])
    return float(vectors[0] @ vectors[1])
