"""The sentence-role classifier of the extractive backend: multinomial logistic regression,
run in plain numpy from a small ``.npz`` shipped inside the package (trained by
``training/train.py``; ``make train``)."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt

from litdigest.errors import ConfigError
from litdigest.summarize.backends.extractive_features import (
    N_FEATURES,
    N_MODEL_FEATURES,
    NEIGHBOUR_NGRAM_WEIGHT,
    NGRAM_DIM,
)

__all__ = ["MODEL_FILE", "MODEL_VERSION", "ROLES", "RoleModel", "load_model", "role_model"]

MODEL_VERSION: Final = "extractive-v3"
MODEL_FILE: Final = "roles-v3.npz"
# Class order of the model's outputs.
ROLES: Final = ("mechanism", "evidence", "implication", "background", "methods", "meta", "other")
CLAIM_ROLES: Final = ("mechanism", "evidence", "implication")

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class RoleModel:
    mean: npt.NDArray[np.float32]  # (n_features,) standardisation
    scale: npt.NDArray[np.float32]  # (n_features,)
    coef: npt.NDArray[np.float32]  # (n_features, n_roles)
    intercept: npt.NDArray[np.float32]  # (n_roles,)
    version: str

    def probabilities(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Role probabilities, one row per feature row, columns in ``ROLES`` order."""
        if x.shape[0] == 0:
            return np.zeros((0, len(ROLES)), dtype=np.float32)
        k = N_FEATURES
        z = ((x[:, :k] - self.mean[:k]) / self.scale[:k]) @ self.coef[:k] + self.intercept
        if x.shape[1] > k:
            z += _ngram_logits(x[:, k : k + NGRAM_DIM], self.coef[k:])
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        out: npt.NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return out


def _ngram_logits(
    bags: npt.NDArray[np.float32], coef: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Logits of the hashed n-gram block (``extractive_features.ngram_features``: not centred or
    scaled) from its sparse sentence bags alone: the neighbour block is, by construction, the
    previous and the next bag times ``NEIGHBOUR_NGRAM_WEIGHT``."""
    rows, cols = np.nonzero(bags)
    values = bags[rows, cols, None]
    own = np.zeros((bags.shape[0], coef.shape[1]), dtype=np.float32)
    near = np.zeros_like(own)
    np.add.at(own, rows, values * coef[cols])
    np.add.at(near, rows, values * coef[NGRAM_DIM + cols])
    own[1:] += NEIGHBOUR_NGRAM_WEIGHT * near[:-1]
    own[:-1] += NEIGHBOUR_NGRAM_WEIGHT * near[1:]
    return own


def save_model(path: str, model: RoleModel) -> None:
    np.savez_compressed(
        path,
        mean=model.mean.astype(np.float32),
        scale=model.scale.astype(np.float32),
        coef=model.coef.astype(np.float32),
        intercept=model.intercept.astype(np.float32),
        roles=np.array(ROLES),
        version=np.array(model.version),
    )


def load_model(data: bytes) -> RoleModel:
    """A model from the bytes of its ``.npz``. ``ConfigError`` when they are unreadable or do
    not match this code's features, roles or version."""
    try:
        with np.load(io.BytesIO(data)) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the extractive role model {MODEL_FILE}: {exc}") from None
    model = RoleModel(
        mean=arrays["mean"].astype(np.float32),
        scale=arrays["scale"].astype(np.float32),
        coef=arrays["coef"].astype(np.float32),
        intercept=arrays["intercept"].astype(np.float32),
        version=str(arrays["version"]),
    )
    roles = tuple(str(r) for r in arrays["roles"])
    if (
        roles != ROLES
        or model.coef.shape != (N_MODEL_FEATURES, len(ROLES))
        or (model.version != MODEL_VERSION)
    ):
        raise ConfigError(
            f"the extractive role model {MODEL_FILE} does not match this version "
            f"({model.version}, {model.coef.shape}); run `make train`"
        )
    return model


@lru_cache(maxsize=1)
def role_model() -> RoleModel:
    """The shipped model (loaded once). ``ConfigError`` when it is missing or does not match
    this code's features or roles."""
    with _lock:
        ref = resources.files("litdigest.summarize.backends") / "data" / MODEL_FILE
        try:
            data = ref.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"cannot load the extractive role model {MODEL_FILE}: {exc}"
            ) from None
    return load_model(data)
