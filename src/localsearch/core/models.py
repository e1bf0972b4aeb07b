"""The models a Service indexes and searches with: each loaded on first use, once, and dropped when the
settings name another (the next use loads that one)."""

import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from localsearch.core import log
from localsearch.core.embed import factory, variants
from localsearch.core.embed.base import Embedder
from localsearch.core.errors import KnownError
from localsearch.core.settings import Settings

if TYPE_CHECKING:
    from localsearch.core.embed.image import ImageEmbedder
    from localsearch.core.rerank import Reranker


class Models:
    def __init__(self, settings: Settings, cache: Path, embedder: Embedder | None = None,
                 image_embedder: "ImageEmbedder | None" = None, one_off: bool = False) -> None:
        """cache: where built models are kept; embedder, image_embedder: models handed in (tests, benches);
        one_off: the process answers one search and ends (see Service)."""
        self.settings = settings
        self.cache = cache
        self.one_off = one_off
        self._embedder = embedder
        self._image_embedder = image_embedder
        self._reranker: "Reranker | None" = None
        self._earlier: dict[str, Embedder | None] = {}  # models of collections not yet switched (query_embedder)
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The configured text model. A one-off process encodes its one query without opening an ONNX
        Runtime session (SentenceEmbedder.one_query)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = factory.create(self.settings, self.cache)
                if self.one_off:
                    from localsearch.core.embed.sentence import SentenceEmbedder

                    if isinstance(self._embedder, SentenceEmbedder):
                        self._embedder.one_query = True
            return self._embedder

    @property
    def image_embedder(self) -> "ImageEmbedder | None":
        """The photo model, or None when photos are indexed by name only."""
        with self._lock:
            if self._image_embedder is None:
                from localsearch.core.embed import image

                self._image_embedder = image.create(self.settings.image_model, self.settings.device, self.cache)
            return self._image_embedder

    @property
    def model_id(self) -> str:
        """The configured text model's id, known without loading it."""
        return self._embedder.model_id if self._embedder is not None else factory.model_id_for(self.settings.text_model)

    def query_embedder(self, model_id: str) -> Embedder | None:
        """The model that encodes queries for a collection made by `model_id` (any variant): the configured
        one, or, while a collection's next index is built with it, the collection's earlier model (None
        where that cannot be loaded: the collection is then searched by keywords only)."""
        wanted = variants.base(model_id)
        if wanted == self.model_id:
            return self.embedder
        with self._lock:
            if wanted not in self._earlier:
                try:
                    self._earlier[wanted] = factory.create(replace(self.settings, text_model=factory.name_for(wanted)),
                                                           self.cache)
                    log.search.info("queries for collections still made by %s are encoded with it", wanted)
                except KnownError as e:
                    log.search.warning("%s", e)
                    self._earlier[wanted] = None
            return self._earlier[wanted]

    @property
    def reranker(self) -> "Reranker | None":
        """The configured cross-encoder, or None when none is set."""
        with self._lock:
            if self._reranker is None and self.settings.reranker.strip():
                from localsearch.core.rerank import Reranker

                self._reranker = Reranker(self.settings.reranker.strip(), self.settings.device, self.cache)
            return self._reranker

    def apply(self, settings: Settings) -> bool:
        """Take new settings; True when a model changed (what was searched with it must be let go)."""
        changed = False
        with self._lock:
            if settings.text_model != self.settings.text_model or settings.device != self.settings.device:
                self._embedder, self._earlier, changed = None, {}, True
            if settings.image_model != self.settings.image_model or settings.device != self.settings.device:
                self._image_embedder, changed = None, True
            if settings.reranker != self.settings.reranker or settings.device != self.settings.device:
                self._reranker = None
            self.settings = settings
        return changed
