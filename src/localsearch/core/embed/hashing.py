"""A deterministic bag-of-words embedder: no model, no torch, instant.

For tests of pipeline logic and for machines where no model can be loaded at all. It finds
shared words, not meaning, and says so through its model id.
"""

import hashlib
import re

import numpy as np

from localsearch.core.embed.base import normalise

MODEL_ID = "localsearch/hashing-v1"
_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    def __init__(self, dim: int = 384) -> None:
        self._dim = dim

    @property
    def model_id(self) -> str:
        return f"{MODEL_ID}-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        for w in _WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            v[h % self._dim] += 1.0 if (h >> 63) else -1.0
        if not v.any():
            v[0] = 1.0
        return v

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return normalise(np.stack([self._one(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed_texts([text])[0]
        return vector
