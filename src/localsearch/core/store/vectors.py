"""One FAISS index per collection, ids = SQLite chunk ids. A cache of the catalog, never the truth.

A sidecar JSON records the model and the catalog's vector_version the file was saved at; any
disagreement on open (missing, truncated, other model, other version, other count) rebuilds the
index from the vectors stored in SQLite.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from localsearch.core import atomic, log
from localsearch.core.store.catalog import Catalog, Collection


def gpu_count() -> int:
    try:
        return int(faiss.get_num_gpus())
    except AttributeError:  # CPU-only builds may lack the symbol entirely
        return 0


def new_index(dim: int) -> faiss.Index:
    """Exact inner product on normalised vectors; IDMap2 so ids are chunk ids and remove_ids works."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


@dataclass
class Sidecar:
    model_id: str
    dim: int
    version: int
    count: int


class VectorIndex:
    def __init__(self, directory: Path, collection_id: int, dim: int, use_gpu: bool | None = None) -> None:
        self.file = directory / f"collection-{collection_id}.faiss"
        self.meta_file = directory / f"collection-{collection_id}.json"
        self.dim = dim
        self.index: faiss.Index = new_index(dim)
        self.use_gpu = gpu_count() > 0 if use_gpu is None else use_gpu
        self._gpu_index: faiss.Index | None = None
        self.dirty = False

    # --- persistence --------------------------------------------------------------------------

    def read_sidecar(self) -> Sidecar | None:
        try:
            raw = json.loads(self.meta_file.read_text())
            return Sidecar(str(raw["model_id"]), int(raw["dim"]), int(raw["version"]), int(raw["count"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def load_or_rebuild(self, catalog: Catalog, col: Collection, persist: bool = True) -> str:
        """Returns what happened ('loaded' / 'rebuilt: reason'), for logs and tests.

        Only the indexer persists; a reader (search) rebuilds in memory, so two processes never
        race to write the same index file.
        """
        if not self.file.exists() and catalog.vector_count(col.id) == 0:
            self.index = new_index(self.dim)  # a new collection: nothing to rebuild, nothing to say
            return "new"
        reason = self._why_stale(col)
        if reason is None:
            try:
                self.index = faiss.read_index(str(self.file))
                if self.index.ntotal == catalog.vector_count(col.id) and self.index.d == self.dim:
                    self.dirty = False
                    self._gpu_index = None
                    return "loaded"
                reason = "vector count differs from the catalog"
            except RuntimeError as e:
                reason = f"unreadable index file ({str(e).splitlines()[0][:120]})"
        log.store.warning("rebuilding vector index of %r from the catalog: %s", col.name, reason)
        self.rebuild(catalog, col, persist)
        return f"rebuilt: {reason}"

    def _why_stale(self, col: Collection) -> str | None:
        if not self.file.exists():
            return "index file missing"
        meta = self.read_sidecar()
        if meta is None:
            return "sidecar missing or unreadable"
        if meta.model_id != col.model_id or meta.dim != self.dim:
            return f"index made by {meta.model_id}, collection uses {col.model_id}"
        if meta.version != col.vector_version:
            return f"index at version {meta.version}, catalog at {col.vector_version} (interrupted run?)"
        return None

    def rebuild(self, catalog: Catalog, col: Collection, persist: bool = True) -> None:
        self.index = new_index(self.dim)
        for ids, vecs in catalog.iter_vectors(col.id, self.dim):
            self.index.add_with_ids(vecs, ids)
        self._gpu_index = None
        if persist:
            self.save(col.model_id or "", col.vector_version)

    def save(self, model_id: str, version: int) -> None:
        """Index first, then sidecar: a crash between the two leaves a version mismatch -> rebuild."""
        atomic.write_with(self.file, lambda tmp: faiss.write_index(self.index, str(tmp)))
        side = {"model_id": model_id, "dim": self.dim, "version": version, "count": int(self.index.ntotal)}
        atomic.write_text(self.meta_file, json.dumps(side))
        self.dirty = False

    def delete_files(self) -> None:
        self.file.unlink(missing_ok=True)
        self.meta_file.unlink(missing_ok=True)

    # --- updates and search -------------------------------------------------------------------

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: list[int], vectors: list[np.ndarray]) -> None:
        if not ids:
            return
        self.index.add_with_ids(np.ascontiguousarray(np.stack(vectors), dtype=np.float32), np.asarray(ids, np.int64))
        self._gpu_index = None
        self.dirty = True

    def remove(self, ids: list[int]) -> None:
        if not ids:
            return
        # faiss' Python wrapper takes an id array here; its stubs only know the IDSelector overload.
        self.index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]
        self._gpu_index = None
        self.dirty = True

    def _searchable(self) -> faiss.Index:
        if not self.use_gpu:
            return self.index
        if self._gpu_index is None:
            self._gpu_index = faiss.index_cpu_to_all_gpus(self.index)
        return self._gpu_index

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.count == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._searchable().search(q, min(k, self.count))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
