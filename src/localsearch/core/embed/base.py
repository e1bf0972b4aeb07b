"""The Embedder interface every text model implements."""

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    @property
    def model_id(self) -> str:
        """Identifies the vector space: vectors of different model_ids never share an index."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised, so inner product is cosine similarity."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, normalised; may use a faster path than embed_texts."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    out: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


class LazyModel:
    """Loads a heavy model on first use, once, even when two threads ask at the same moment."""

    _model: Any = None
    _lock: threading.Lock

    def _load(self) -> Any:
        raise NotImplementedError

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model


def gpu_likely(preference: str) -> bool:
    """Whether a model would run on a GPU; asks torch (a 3 s import) only where an NVIDIA driver is present."""
    if preference != "auto":
        return preference != "cpu"
    if not (Path("/proc/driver/nvidia").exists() or Path("/dev/nvidia0").exists()):
        return False
    return resolve_device("auto") == "cuda"


def resolve_device(preference: str) -> str:
    """'auto' means CUDA when torch sees a GPU, else the CPU; anything else is taken as asked."""
    if preference != "auto":
        return preference
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
