"""One FAISS index per collection, ids = SQLite chunk ids. A cache of the catalog, never the truth.

A sidecar JSON records the model and the catalog's vector_version the file was saved at; any
disagreement on open (missing, truncated, other model, other version, other count) rebuilds the
index from the vectors stored in SQLite.
"""

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from localsearch.core import log
from localsearch.core.store.catalog import Catalog, Collection
from localsearch.core.store.vector_file import Sidecar, Stale, VectorFile, Why


def gpu_count() -> int:
    try:
        return int(faiss.get_num_gpus())
    except AttributeError:  # CPU-only builds may lack the symbol entirely
        return 0


def to_gpu(index: faiss.Index, kind: str, nprobe: int) -> faiss.Index:
    """A GPU copy for search; nprobe is not part of what the cloner copies, so it is set again. FAISS' GPU
    code has no exact index over float16 codes: an exact one gets a float32 copy there."""
    mapped = faiss.downcast_index(index)
    if kind == "flat" and isinstance(mapped, faiss.IndexIDMap2):
        inner = faiss.downcast_index(mapped.index)
        if isinstance(inner, faiss.IndexScalarQuantizer):
            exact = faiss.IndexIDMap2(faiss.IndexFlatIP(index.d))
            if index.ntotal:
                exact.add_with_ids(inner.reconstruct_n(0, index.ntotal), faiss.vector_to_array(mapped.id_map))
            index = exact
    gpu = faiss.index_cpu_to_all_gpus(index)
    if kind != "flat":
        faiss.GpuParameterSpace().set_index_parameter(gpu, "nprobe", nprobe)
    return gpu


CODES = "fp16"
"""How the exact and IVF indexes of passages hold vectors: float16, as the catalog stores them (vecblob),
so a rebuild gives the index that indexing built. Half the bytes of float32, and one query at 20,000-40,000
vectors is ~1.7x faster (less memory to read); the top 10 is the same. Photo vectors stay float32 (a
photo and its re-encoded copy score 0.9995 against 1.0, a difference float16 codes would lose; photos are
few). Text indexes saved before (float32) are rebuilt in the background by the writer (needs_reshape)."""


def codes_of(kind: str, space: str = "text") -> str:
    return "sq8" if kind == "ivf-sq8" else CODES if space == "text" else "float32"


def new_index(dim: int, codes: str = CODES) -> faiss.Index:
    """Exact inner product on normalised vectors; IDMap2 so ids are chunk ids and remove_ids works."""
    if codes == "float32":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    return faiss.IndexIDMap2(faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT))


FLAT_MAX = 40_000
"""Past this many vectors a collection gets an IVF index. Measured on 2 cores, 384-d, one query:
exact search p95 2.1 ms at 10k, 6.3 ms at 25k, 11.0 ms at 50k, 18.2 ms at 100k vectors; the
budget is 10 ms."""
TARGET_RECALL = 0.96  # tuned above the 0.95 promise, so a re-sampled check still clears it
DRIFT_FACTOR = 1.3
"""Retrain an IVF when vectors added since training sit this much further from their nearest list
centre than the training vectors did. bench/ivf_drift.py (200k trained, 50k added): more of the same
topics measured 1.04 (recall@10 0.97 as it was); topics unseen in training 2.13, and recall@10 for
queries about them had fallen to 0.04 at the tuned nprobe (0.91 after the retrain)."""
DRIFT_MIN_SHARE = 0.1  # ...and only once they are a tenth of the collection: a few odd files are no shift
DRIFT_SAMPLE = 256  # vectors per add whose distance is measured; enough for a mean, cheap at any batch size


@dataclass(frozen=True)
class Plan:
    kind: str  # flat | ivf | ivf-sq8
    nlist: int = 0


def plan_for(count: int, compression: str = "none") -> Plan:
    """Exact search while it is fast enough; then IVF with ~4·sqrt(n) lists (FAISS' rule of thumb)."""
    if count <= FLAT_MAX and compression != "sq8":
        return Plan("flat")
    nlist = int(min(65536, max(64, 4 * np.sqrt(max(count, 1)))))
    return Plan("ivf-sq8" if compression == "sq8" else "ivf", nlist)


@dataclass
class Built:
    index: faiss.Index
    nprobe: int = 0
    train_error: float = 0.0  # mean distance of training vectors to their list centre (1 - cosine)


def residual(index: faiss.Index, vectors: np.ndarray) -> float:
    """Mean 1 - cosine to the nearest list centre: how well the IVF's lists fit these vectors."""
    if not len(vectors):
        return 0.0
    sims, _ = faiss.extract_index_ivf(index).quantizer.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
    return float(np.mean(1.0 - sims[:, 0]))


def build(ids: np.ndarray, vectors: np.ndarray, plan: Plan, seed: int = 0, space: str = "text") -> Built:
    """An index holding exactly these vectors; for IVF also the nprobe that meets TARGET_RECALL."""
    dim = vectors.shape[1]
    if plan.kind == "flat":
        index = new_index(dim, codes_of(plan.kind, space))
        if len(ids):
            index.add_with_ids(vectors, ids)
        return Built(index)
    quantizer = faiss.IndexFlatIP(dim)
    ivf: faiss.IndexIVF
    if plan.kind == "ivf-sq8":
        ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, plan.nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
    elif codes_of(plan.kind, space) == "float32":
        ivf = faiss.IndexIVFFlat(quantizer, dim, plan.nlist, faiss.METRIC_INNER_PRODUCT)
    else:
        ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, plan.nlist, faiss.ScalarQuantizer.QT_fp16,
                                              faiss.METRIC_INNER_PRODUCT, False)  # codes of the vectors, not residuals
    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(len(vectors), size=min(len(vectors), 64 * plan.nlist), replace=False)]
    ivf.train(sample)
    ivf.add_with_ids(vectors, ids)
    error = residual(ivf, sample[:5000])
    return Built(ivf, tune_nprobe(ivf, ids, vectors, rng), error)


def questions_about(vectors: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n of these vectors, each moved well off its spot (cosine ~0.7 to where it started), as a
    question is to the passage that answers it."""
    picks = vectors[rng.choice(len(vectors), size=min(n, len(vectors)), replace=False)]
    q = picks + rng.normal(0, 1.0 / np.sqrt(vectors.shape[1]), picks.shape).astype(np.float32)
    out: np.ndarray = q / np.linalg.norm(q, axis=1, keepdims=True)
    return out


def tune_nprobe(index: faiss.IndexIVF, ids: np.ndarray, vectors: np.ndarray, rng: np.random.Generator,
                queries: int = 200, k: int = 10) -> int:
    """The smallest nprobe whose recall@k against exact search reaches TARGET_RECALL, on questions
    about the collection's own vectors."""
    q = questions_about(vectors, queries, rng)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, rows = exact.search(q, k)
    truth = ids[rows]
    best = 0
    for nprobe in (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024):
        if nprobe > index.nlist:
            break
        index.nprobe = nprobe
        _, found = index.search(q, k)
        if recall(found, truth) >= TARGET_RECALL:
            best = nprobe
            break
    if not best:
        best = index.nlist
        log.store.warning("no nprobe up to 1024 of %d lists reaches recall %.2f on this collection; "
                          "searching all lists (exact but slower)", index.nlist, TARGET_RECALL)
    index.nprobe = best
    return int(best)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f[f >= 0]) & set(t)) for f, t in zip(found, truth))
    return hits / truth.size


class _Retrain:
    """A new index trained on a thread from a snapshot of the catalog (FAISS releases the GIL: searches
    and indexing go on meanwhile), with a journal of the changes made to the serving index since."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, plan: Plan, space: str, col: Collection) -> None:
        self.plan, self.size = plan, len(ids)
        self.journal: list[tuple[np.ndarray, np.ndarray | None]] = []  # (ids, vectors added | None: removed)
        self.future: Future[Built] = Future()

        def train() -> None:
            started = time.monotonic()
            try:
                self.future.set_result(build(ids, vectors, plan, space=space))
                log.store.info("%s: new %s index (%d lists) trained in the background in %.1f s", col.name,
                               plan.kind, plan.nlist, time.monotonic() - started)
            except BaseException as e:  # noqa: BLE001 - reported by result(), on the owner's thread
                self.future.set_exception(e)

        threading.Thread(target=train, name=f"localsearch-retrain-{col.id}", daemon=True).start()

    def result(self) -> Built | None:
        """The new index with the journal replayed on it (waits for training); None if training failed."""
        try:
            built = self.future.result()
        except Exception as e:
            log.store.error("background rebuild of the vector index failed: %s", e)
            return None
        for ids, vectors in self.journal:
            if vectors is None:
                built.index.remove_ids(ids)  # type: ignore[arg-type]
            else:
                built.index.add_with_ids(vectors, ids)
        return built


class VectorIndex:
    def __init__(self, directory: Path, collection_id: int, dim: int, use_gpu: bool | None = None,
                 compression: str = "none", space: str = "text") -> None:
        """space: 'text' (ids are chunk ids) or 'image' (ids are file ids of photos)."""
        stem = f"collection-{collection_id}" + ("" if space == "text" else f"-{space}")
        self.disk = VectorFile(directory, stem)
        self.space = space
        self.dim = dim
        self.index: faiss.Index
        self._empty()
        self.use_gpu = gpu_count() > 0 if use_gpu is None else use_gpu
        self.compression = compression
        self._gpu_index: faiss.Index | None = None
        self.dirty = False
        self.kind = "flat"
        self.nprobe = 0
        self.trained_on = 0
        self.train_error = 0.0
        self.added, self.drift_n, self.drift_sum = 0, 0, 0.0
        self.stale = False  # a reader serving an index file older than the catalog (see load_or_rebuild)
        self.loaded_version = -1  # the sidecar version of the file last loaded
        self.checksum = ""  # of the file last loaded or saved, kept when only the sidecar is rewritten
        self._retrain: _Retrain | None = None  # a rebuild training in the background

    # --- persistence --------------------------------------------------------------------------

    @property
    def file(self) -> Path:
        return self.disk.file

    @property
    def meta_file(self) -> Path:
        return self.disk.meta_file

    def read_sidecar(self) -> Sidecar | None:
        return self.disk.read_sidecar()

    def load_or_rebuild(self, catalog: Catalog, col: Collection, persist: bool = True,
                        stale_ok: bool = False) -> str:
        """Returns what happened ('loaded' / 'stale: why' / 'rebuilt: why'), for logs and tests.

        Only the indexer persists; a reader (search) rebuilds in memory, so two processes never
        race to write the same index file. stale_ok (readers): a file that is merely behind the
        catalog, because the indexer is between a commit and its next save, is served as it is when
        rebuilding would take long (an IVF: minutes at 1M vectors). Keyword search still sees the
        newest text, and the reader loads the file again once the indexer has saved it.
        """
        if not self.file.exists() and catalog.vector_count(col.id, self.space) == 0:
            self._empty()  # a new collection: nothing to rebuild, nothing to say
            return "new"
        meta = self.read_sidecar()
        if meta is not None and meta.version > col.vector_version:  # saved after `col` was read: look again
            col = catalog.collection_by_id(col.id)
        why = self.disk.why_stale(self._model_of(col), self.dim, col.vector_version)
        behind = why is not None and why.stale is Stale.BEHIND
        if why is None or (stale_ok and behind):
            try:
                meta = self.read_verified()
                if self.index.d != self.dim:
                    raise RuntimeError("the index file does not match its sidecar")
                if why is None and self.index.ntotal != catalog.vector_count(col.id, self.space):
                    why = Why(Stale.COUNT)
                self._adopt(meta)
                self.dirty, self._gpu_index, self.stale = False, None, why is not None
                if why is None:
                    return "loaded"
                if behind and self.kind != "flat":  # a flat index rebuilds in a blink: stay exact
                    log.store.info("%s: serving the saved vector index (%s) until the indexer saves", col.name, why)
                    return f"stale: {why}"
            except (RuntimeError, OSError) as e:  # damaged, or gone since it was looked at
                why = Why(Stale.UNREADABLE, f"{Stale.UNREADABLE.value} ({str(e).splitlines()[0][:120]})")
                behind = False
        if stale_ok and behind:  # a reader while the indexer is between a commit and its save: expected
            log.store.info("reading the vector index of %r from the catalog: %s", col.name, why)
        else:
            log.store.warning("rebuilding vector index of %r from the catalog: %s", col.name, why)
        self.rebuild(catalog, col, persist)
        return f"rebuilt: {why}"

    def read_verified(self) -> Sidecar:
        """Load the saved index, checked against its digest (vector_file.VectorFile.read_verified)."""
        self.index, meta, self.checksum = self.disk.read_verified()
        return meta

    def _empty(self) -> None:
        """An exact index holding nothing, with the codes this space's vectors are held in."""
        self.codes = codes_of("flat", self.space)
        self.index = new_index(self.dim, self.codes)

    def _adopt(self, meta: Sidecar) -> None:
        self.kind, self.nprobe, self.trained_on, self.train_error = meta.kind, meta.nprobe, meta.trained_on, meta.train_error
        self.loaded_version = meta.version
        self.codes = meta.codes
        self.added, self.drift_n, self.drift_sum = meta.added, meta.drift_n, meta.drift_sum
        if self.kind != "flat":
            faiss.extract_index_ivf(self.index).nprobe = self.nprobe  # not stored in the file

    def _model_of(self, col: Collection) -> str:
        return (col.model_id if self.space == "text" else col.image_model_id) or ""

    def _snapshot(self, catalog: Catalog, col: Collection) -> tuple[np.ndarray, np.ndarray, Plan]:
        parts = list(catalog.iter_vectors(col.id, self.dim, space=self.space))
        ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        vecs = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, self.dim), np.float32)
        plan = plan_for(len(ids), self.compression)
        if plan.kind != "flat" and len(ids) < plan.nlist * 39:  # too few to train that many lists
            plan = Plan("flat")
        return ids, vecs, plan

    def _install(self, built: Built, kind: str, size: int) -> None:
        self.index, self.nprobe, self.train_error = built.index, built.nprobe, built.train_error
        self.kind, self.trained_on, self.codes = kind, size, codes_of(kind, self.space)
        self.added, self.drift_n, self.drift_sum = 0, 0, 0.0
        self._gpu_index = None
        self.dirty = True
        self.stale = False

    def rebuild(self, catalog: Catalog, col: Collection, persist: bool = True) -> None:
        """From the catalog's vectors, as the index type the collection's size calls for."""
        ids, vecs, plan = self._snapshot(catalog, col)
        started = time.monotonic()
        self._install(build(ids, vecs, plan, space=self.space), plan.kind, len(ids))
        if plan.kind != "flat":
            log.store.info("%s: %s index, %d lists, nprobe %d, %d vectors, built in %.1f s", col.name, plan.kind,
                           plan.nlist, self.nprobe, len(ids), time.monotonic() - started)
        if persist:
            self.save_for(col)

    def start_rebuild(self, catalog: Catalog, col: Collection) -> None:
        """Rebuild from the catalog in a background thread while this index keeps serving and taking
        changes; finish_rebuild() replays those changes on the new index and swaps it in."""
        if self._retrain is None:
            ids, vecs, plan = self._snapshot(catalog, col)
            self._retrain = _Retrain(ids, vecs, plan, self.space, col)

    @property
    def rebuilding(self) -> bool:
        return self._retrain is not None

    def finish_rebuild(self, wait: bool = False) -> bool:
        """Swap in a finished background rebuild (True), after replaying what changed meanwhile."""
        retrain = self._retrain
        if retrain is None or not (wait or retrain.future.done()):
            return False
        self._retrain = None
        built = retrain.result()
        if built is None:  # the old index is whole and still serving: keep it, try again later
            return False
        self._install(built, retrain.plan.kind, retrain.size)
        for _, vectors in retrain.journal:  # what arrived meanwhile is new to these lists too
            if vectors is not None:
                self._note_drift(vectors)
        return True

    def save_for(self, col: Collection) -> None:
        self.save(self._model_of(col), col.vector_version)

    def needs_reshape(self) -> bool:
        """Grown past exact search, an IVF whose lists were trained on a very different size, or one
        whose lists no longer fit what was added since (drift); or one saved with float32 codes."""
        n = self.count
        if n and self.codes != codes_of(self.kind, self.space):
            return True
        wanted = plan_for(n, self.compression).kind
        if self.kind == "flat":
            return wanted != "flat" and n >= plan_for(n, self.compression).nlist * 39
        return wanted == "flat" or n > 2 * self.trained_on or n < self.trained_on // 4 or self.drifted()

    def drift(self) -> float:
        """Mean distance to a list centre of the vectors added since training, over the training one."""
        if not self.drift_n or self.train_error <= 0:
            return 1.0
        return (self.drift_sum / self.drift_n) / self.train_error

    def drifted(self) -> bool:
        return self.added >= DRIFT_MIN_SHARE * self.trained_on and self.drift() > DRIFT_FACTOR

    def touch_for(self, col: Collection) -> None:
        """The catalog moved on without touching this space (say, text read in photos leaves photo
        vectors alone): record the new version, so readers load the file instead of rebuilding it."""
        if self.dirty or not self.file.exists():
            self.save_for(col)
        else:
            self._write_sidecar(self._model_of(col), col.vector_version)

    def save(self, model_id: str, version: int) -> None:
        """Index file, then sidecar (vector_file.VectorFile.save)."""
        self.checksum = self.disk.save(self.index, self._sidecar(model_id, version), self.dim).checksum
        self.dirty = False

    def _sidecar(self, model_id: str, version: int) -> Sidecar:
        return Sidecar(model_id, self.dim, version, int(self.index.ntotal), self.kind, self.nprobe, self.trained_on,
                       self.train_error, self.added, self.drift_n, self.drift_sum, self.checksum, self.codes)

    def _write_sidecar(self, model_id: str, version: int) -> None:
        self.disk.write_sidecar(self._sidecar(model_id, version))
        self.dirty = False

    def delete_files(self) -> None:
        self.disk.delete()

    # --- updates and search -------------------------------------------------------------------

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: list[int], vectors: list[np.ndarray]) -> None:
        if not ids:
            return
        block, id_block = np.ascontiguousarray(np.stack(vectors), dtype=np.float32), np.asarray(ids, np.int64)
        self.index.add_with_ids(block, id_block)
        if self._retrain is not None:
            self._retrain.journal.append((id_block, block))
        self._note_drift(block)
        if self._gpu_index is not None:  # adds go to the GPU copy too; re-cloning 1M vectors takes seconds
            try:
                self._gpu_index.add_with_ids(block, id_block)
            except RuntimeError as e:
                log.store.info("GPU copy could not take the add (%s); re-cloning on next search", e)
                self._gpu_index = None
        self.dirty = True

    def _note_drift(self, block: np.ndarray) -> None:
        if self.kind == "flat":
            return
        sample = block[:: max(1, len(block) // DRIFT_SAMPLE)][:DRIFT_SAMPLE]
        self.added += len(block)
        self.drift_n += len(sample)
        self.drift_sum += residual(self.index, sample) * len(sample)

    def remove(self, ids: list[int]) -> None:
        if not ids:
            return
        # faiss' Python wrapper takes an id array here; its stubs only know the IDSelector overload.
        id_block = np.asarray(ids, dtype=np.int64)
        self.index.remove_ids(id_block)  # type: ignore[arg-type]
        if self._retrain is not None:
            self._retrain.journal.append((id_block, None))
        self._gpu_index = None  # GPU indexes cannot remove by id: the next search clones afresh
        self.dirty = True

    def _searchable(self) -> faiss.Index:
        if not self.use_gpu:
            return self.index
        if self._gpu_index is None:
            self._gpu_index = to_gpu(self.index, self.kind, self.nprobe)
        return self._gpu_index

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.count == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._searchable().search(q, min(k, self.count))
        # a non-finite score is never an answer (the indexer refuses such vectors; this is the last guard)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0 and np.isfinite(s)]
