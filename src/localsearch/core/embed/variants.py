"""Which encoding of the text model indexes a collection: full precision or the 8-bit one.

A collection records the variant that made its vectors in its model id ("<model>#int8" for the 8-bit
one), so the vectors of two variants never share an index. Queries are always encoded in full
precision: the 8-bit passages keep cosine >= 0.99 with their full vectors (checked when the 8-bit
model is built), so both variants answer in the same space.
"""

from collections.abc import Callable
from typing import Protocol

import numpy as np

from localsearch.core import log
from localsearch.core.embed.base import Embedder

INT8 = "#int8"
PRECISIONS = ("auto", "int8", "full")


def base(model_id: str) -> str:
    """The model, whatever the variant: what a query needs to match."""
    return model_id.split("#", 1)[0]


def is_int8(model_id: str | None) -> bool:
    return model_id is not None and model_id.endswith(INT8)


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


class Deferred:
    """An encoder made on first use (`make`, None where it cannot be had); until then nothing is loaded.
    Where it cannot be had, `fallback` (the full-precision model) encodes: its vectors answer queries in
    the same space, only a little more exactly."""

    def __init__(self, make: Callable[[], Encoder | None], fallback: Callable[[list[str]], np.ndarray]) -> None:
        self._make = make
        self._fallback = fallback

    def encode(self, texts: list[str]) -> np.ndarray:
        encoder = self._make()
        return encoder.encode(texts) if encoder is not None else self._fallback(texts)


class Int8Text:
    """The 8-bit encoder for passages, its parent model for queries."""

    def __init__(self, parent: Embedder, encoder: Encoder) -> None:
        self.parent = parent
        self.encoder = encoder

    @property
    def model_id(self) -> str:
        return self.parent.model_id + INT8

    @property
    def dim(self) -> int:
        return self.parent.dim

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.encoder.encode(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.parent.embed_query(text)

    def __getattr__(self, name: str) -> object:  # token_counter and the like come from the model
        return getattr(self.parent, name)


def choose(embedder: Embedder, recorded: str | None, precision: str) -> Embedder:
    """The encoder for a collection made by `recorded` (None: nothing yet). "auto" keeps the variant a
    collection already has and gives a new one the 8-bit encoder; "int8" and "full" are what they say
    (a collection of the other variant is then re-embedded). The 8-bit encoder only where it can be built
    and holds its check; full precision otherwise."""
    same_model = recorded is not None and base(recorded) == embedder.model_id
    want = precision == "int8" or (precision == "auto" and (is_int8(recorded) or not same_model))
    if not want:
        return embedder
    make = getattr(embedder, "int8", None)
    fast: Embedder | None = make(lazy=is_int8(recorded) and same_model) if make is not None else None
    if fast is None and precision == "int8":
        log.embed.warning("the 8-bit text model is not available for %s; indexing in full precision",
                          embedder.model_id)
    return fast or embedder
