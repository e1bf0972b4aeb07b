"""CLIP-style joint text-image models through sentence-transformers (settings: image_model).

A photo and a sentence land in one space, so words find photos directly, not through labels. Any
model sentence-transformers opens as CLIP works: a hub name ('sentence-transformers/clip-ViT-B-32',
downloaded once, the only path here that may use the network, because the user named it) or a
local folder (a saved CLIP, offline).
"""

import threading
from pathlib import Path
from typing import Any

import numpy as np

from localsearch.core.embed.base import LazyModel, normalise
from localsearch.core.embed.sentence import open_model


def model_id_for(name: str) -> str:
    p = Path(name).expanduser()
    return f"clip:local:{p.resolve()}" if p.is_dir() else f"clip:{name}"


class ClipEmbedder(LazyModel):
    def __init__(self, name: str, device: str = "auto", cache_dir: Path | None = None, batch: int = 32) -> None:
        folder = Path(name).expanduser()
        self.source = str(folder.resolve()) if folder.is_dir() else name
        self.offline = folder.is_dir()
        self._model_id = model_id_for(name)
        self.device_pref = device
        self.device = "cpu"
        self.cache_dir = cache_dir
        self.batch = batch
        self._dim: int | None = None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed_text_query("a photo").shape[0])
        return self._dim

    def _load(self) -> Any:
        model, self.device = open_model(self.source, self.device_pref, self.offline, self.cache_dir, "image")
        return model

    def _encode(self, items: list[Any]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model.encode(items, batch_size=self.batch, convert_to_numpy=True, show_progress_bar=False)
        return normalise(np.asarray(out, dtype=np.float32))

    def embed_images(self, images: list[np.ndarray]) -> tuple[np.ndarray, list[list[str]]]:
        """CLIP gives no labels: words reach photos through embed_text_query instead."""
        from PIL import Image

        if not images:
            return np.zeros((0, self.dim), np.float32), []
        return self._encode([Image.fromarray(im) for im in images]), [[] for _ in images]

    def embed_text_query(self, text: str) -> np.ndarray:
        """Words into the photo space."""
        vector: np.ndarray = self._encode([text])[0]
        return vector
