"""The optional last stage of retrieval: a cross-encoder reads the query with each of the top hits'
passages and reorders them (the classic embeddings -> ANN -> cross-encoder pipeline).

Off by default: no cross-encoder weights ship in a PyPI package. A user names one in settings
(`reranker`: a local sentence-transformers CrossEncoder folder, read offline, or a hub name,
downloaded once). Results come first from fusion; rerank() reorders them after, so a window can
show them at once and reorder when the cross-encoder is done.
"""

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from localsearch.core import log
from localsearch.core.embed.base import LazyModel, resolve_device
from localsearch.core.errors import ModelUnavailable
from localsearch.core.types import Hit

DEPTH = 50
"""Hits the cross-encoder reads: the fused top 50 hold nearly every relevant file it can promote."""


class Reranker(LazyModel):
    def __init__(self, source: str, device: str = "auto", cache_dir: Path | None = None, batch_size: int = 16) -> None:
        folder = Path(source).expanduser()
        if not folder.is_dir() and (folder.is_absolute() or source.startswith((".", "~"))):
            raise ModelUnavailable(f"the reranker folder {source} does not exist (settings: reranker)")
        self.offline = folder.is_dir()
        self.source = str(folder.resolve()) if self.offline else source
        self.device_pref = device
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self.offline:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import CrossEncoder

        device = resolve_device(self.device_pref)
        log.search.info("loading reranker %s on %s", self.source, device)
        try:
            return CrossEncoder(self.source, device=device, local_files_only=self.offline,
                                cache_folder=str(self.cache_dir) if self.cache_dir and not self.offline else None)
        except Exception as e:  # hub errors, bad folders: the user's to fix, in one line
            raise ModelUnavailable(f"cannot load the reranker {self.source}: {type(e).__name__}: {e}") from e

    def scores(self, query: str, passages: list[str]) -> np.ndarray:
        """The cross-encoder's relevance of each passage to the query (higher is better)."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        out = self.model.predict([(query, p) for p in passages], batch_size=self.batch_size,
                                 convert_to_numpy=True, show_progress_bar=False)
        scores = np.asarray(out, dtype=np.float32)
        return scores[:, -1] if scores.ndim == 2 else scores


def reorder(hits: list[Hit], texts: dict[int, str], scores_of: Any, query: str, depth: int = DEPTH) -> list[Hit]:
    """The top `depth` hits in the cross-encoder's order (each keeps its fused score and gains its
    rerank score); the rest follow unchanged. texts: chunk id -> the passage the hit stands for."""
    top, rest = hits[:depth], hits[depth:]
    passages = [texts.get(h.chunk_id, h.snippet) if h.chunk_id is not None else h.snippet for h in top]
    scores = scores_of(query, passages)
    order = sorted(range(len(top)), key=lambda i: (-float(scores[i]), i))
    return [replace(top[i], rerank_score=float(scores[i])) for i in order] + rest
