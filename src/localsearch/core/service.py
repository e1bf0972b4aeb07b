"""The engine's one front door: what the CLI and the window can do, composed from the core parts.

Collaborators are passed in (paths, settings, embedder) so tests hand in fakes.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Sequence
from pathlib import Path
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localsearch.core import access, log, search
from localsearch.core.embed import factory
from localsearch.core.embed.base import Embedder
from localsearch.core.errors import CollectionNotFound
from localsearch.core.paths import Paths
from localsearch.core.settings import Settings
from localsearch.core.settings import load as load_settings
from localsearch.core.store.catalog import Catalog, Collection
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.types import Hit

if TYPE_CHECKING:  # the indexer and watcher pull in parsers and watchdog: a search needs neither
    from localsearch.core.embed.image import ImageEmbedder
    from localsearch.core.indexer import Indexer, ProgressFn, Report
    from localsearch.core.watcher import Watcher, WatchState


_latency_mode = False
KEYWORD_SPLIT_AT = 250_000
"""From this many passages BM25 runs as KEYWORD_PARTS id ranges in parallel: at 1M passages on 2
cores the whole search measured p95 24.7-30.9 ms split vs 27.3-40.1 ms as one query (12 runs
interleaved, bench/README.md). Below it the split's fixed cost (each range re-reads the terms'
document counts) outweighs it."""
KEYWORD_PARTS = 2


def _single_threaded_search() -> None:
    """One query is one small vector: on few cores, numpy's BLAS threads and FAISS' OpenMP threads
    only fight each other (whole search p95 55 ms with 2 threads, 25 ms with 1; bench/README.md).
    Torch's own thread pool, which does the indexing, is not affected."""
    global _latency_mode
    if not _latency_mode:
        import faiss
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        faiss.omp_set_num_threads(1)
        _latency_mode = True


SAME_PHOTO = 0.7
"""EfficientNet-Lite0 cosine from which a look-alike is called the same photo: on 8 scikit-image
photos, their half-size, JPEG q20 and 80 % crop copies measured 0.77-1.0 (median 0.94) against the
original, and distinct photos at most 0.30."""


@dataclass(frozen=True)
class CollectionOverview:
    id: int
    name: str
    roots: list[str]
    files: int
    chunks: int
    failed: int
    model: str | None
    needs_reindex: bool
    vector_index_bytes: int
    last_indexed: float | None
    last_commit: float | None


def _look_alike(cosine: float) -> str:
    return "same photo (resized, cropped or re-encoded)" if cosine >= SAME_PHOTO else "looks alike"


@dataclass
class SearchResult:
    hits: list[Hit]
    warnings: list[str] = field(default_factory=list)
    total: int = 0
    """Files that matched among the candidates looked at, before cutting to k (so at least this many)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: embed, keyword, vector, fusion (the HTTP service's metrics read them)."""


class Service:
    def __init__(self, paths: Paths, settings: Settings | None = None, embedder: Embedder | None = None,
                 image_embedder: "ImageEmbedder | None" = None) -> None:
        self.paths = paths.ensure()
        self.settings = settings if settings is not None else load_settings(paths.settings)
        self._embedder = embedder
        self._image_embedder = image_embedder
        self._embedder_lock = threading.Lock()
        self.catalog = Catalog(paths.catalog)
        self._indexes: dict[tuple[int, str], tuple[int, VectorIndex]] = {}  # (collection, space) -> (version, index)
        self._indexes_lock = threading.RLock()  # searches run on many threads (the window's, the HTTP service's)
        self._helper = ThreadPoolExecutor(max_workers=KEYWORD_PARTS, thread_name_prefix="localsearch-keyword")
        self._local = threading.local()
        self._readers: list[Catalog] = []
        self._readers_lock = threading.Lock()

    def close(self) -> None:
        self._helper.shutdown(wait=True)
        for reader in self._readers:
            reader.close()
        self.catalog.close()

    def _reader(self) -> Catalog:
        """This thread's own read connection: one SQLite connection runs one statement at a time, and
        searches run on several threads at once (helpers, the window's runner, the HTTP service's pool)."""
        reader: Catalog | None = getattr(self._local, "catalog", None)
        if reader is None:
            reader = self._local.catalog = Catalog(self.paths.catalog)
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def _keyword_search(self, query: str, ids: list[int], depth: int,
                        every: bool) -> Callable[[], tuple[list[tuple[int, float]], float]]:
        """Starts the BM25 search beside the query embedding (both release the GIL); call the result
        to wait for it and get (hits, seconds the slowest part took). A big catalog is searched as
        KEYWORD_PARTS ranges of chunk ids at once."""
        fts = search.fts_query(query)
        top = self._reader().max_chunk_id()
        parts = KEYWORD_PARTS if top >= KEYWORD_SPLIT_AT and (os.cpu_count() or 1) > 1 else 1

        def one(rowids: tuple[int, int]) -> tuple[list[tuple[int, float]], float]:
            started = time.perf_counter()
            return self._reader().keyword_search(fts, ids, depth, every, rowids), time.perf_counter() - started

        futures = [self._helper.submit(one, r) for r in search.id_ranges(top, parts)]

        def wait() -> tuple[list[tuple[int, float]], float]:
            done = [f.result() for f in futures]
            return search.keyword_merged([hits for hits, _ in done], depth), max(sec for _, sec in done)
        return wait

    @property
    def embedder(self) -> Embedder:
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = factory.create(self.settings, self.paths.cache / "models")
            return self._embedder

    @property
    def image_embedder(self) -> "ImageEmbedder | None":
        """The photo model (loaded on first use), or None when photos are indexed by name only."""
        with self._embedder_lock:
            if self._image_embedder is None:
                from localsearch.core.embed import image

                self._image_embedder = image.create(self.settings.image_model, self.settings.device,
                                                    self.paths.cache / "models")
            return self._image_embedder

    def apply_settings(self, settings: Settings) -> None:
        """New settings take effect for the next pass; a new model re-indexes (see Indexer._bind_model)."""
        if settings.text_model != self.settings.text_model or settings.device != self.settings.device:
            with self._embedder_lock:
                self._embedder = None
            self._forget_indexes()
        if settings.image_model != self.settings.image_model or settings.device != self.settings.device:
            with self._embedder_lock:
                self._image_embedder = None
            self._forget_indexes()
        self.settings = settings

    def _forget_indexes(self) -> None:
        with self._indexes_lock:
            self._indexes.clear()

    @property
    def model_id(self) -> str:
        """The configured model's id, known without loading it."""
        return self._embedder.model_id if self._embedder is not None else factory.model_id_for(self.settings.text_model)

    # --- indexing -----------------------------------------------------------------------------

    def index(self, collection: str, roots: Sequence[str] = (), on_progress: "ProgressFn | None" = None,
              cancel: threading.Event | None = None, read_photo_text: bool = True) -> "Report":
        """A full pass, then (settings.ocr) the slow pass that reads text in photos."""
        from localsearch.core.indexer import Indexer

        indexer = Indexer(self.catalog, self.paths.vectors, self.embedder, self.settings, on_progress, cancel,
                          image_embedder=self.image_embedder)
        try:
            report = indexer.index(collection, roots)
            if read_photo_text and not report.cancelled:
                read = indexer.read_photo_text(collection)
                report.photos_read, report.chunks = read.photos_read, report.chunks + read.chunks
                report.cancelled = read.cancelled
            return report
        finally:
            indexer.close()
            self._forget_indexes()

    @property
    def watch_state_file(self) -> Path:
        return self.paths.data / "watch-state.json"

    def watcher(self, collections: Sequence[str] | None = None, force_polling: bool = False,
                on_state: "Callable[[list[WatchState]], None] | None" = None,
                on_report: "Callable[[Report], None] | None" = None, poll_interval: float = 2.0,
                on_progress: "ProgressFn | None" = None,
                on_error: "Callable[[BaseException], None] | None" = None) -> "Watcher":
        """Keeps collections current; its thread owns its own catalog connection and is the only writer."""
        from localsearch.core import watcher
        from localsearch.core.indexer import Indexer

        def make_indexer() -> "tuple[Indexer, Catalog]":
            catalog = Catalog(self.paths.catalog)
            indexer = Indexer(catalog, self.paths.vectors, self.embedder, self.settings, on_progress,
                              image_embedder=self.image_embedder)
            indexer.background_rebuild = True  # keep up with changes while a big index retrains
            return indexer, catalog

        return watcher.Watcher(make_indexer, self.catalog, collections, force_polling=force_polling,
                               poll_interval=poll_interval, state_file=self.watch_state_file, on_state=on_state,
                               on_report=on_report, warm_up=lambda: self.embedder.embed_texts(["warm up"]),
                               on_error=on_error)

    def rename_collection(self, old: str, new: str) -> None:
        self.catalog.rename_collection(old, new)

    def add_folder(self, collection: str, folder: str) -> None:
        """Register a folder; the watcher's catch-up pass (or `index`) does the indexing."""
        col = self.catalog.ensure_collection(collection)
        self.catalog.add_root(col.id, os.path.abspath(os.path.expanduser(folder)))

    def remove_collection(self, name: str) -> None:
        col = self.catalog.remove_collection(name)
        if col.dim:
            VectorIndex(self.paths.vectors, col.id, col.dim).delete_files()
        with self._indexes_lock:
            for space in ("text", "image"):
                self._indexes.pop((col.id, space), None)

    # --- search -------------------------------------------------------------------------------

    def _selected(self, names: Sequence[str] | None) -> list[Collection]:
        reader = self._reader()
        if not names:
            return reader.collections()
        return [reader.collection(n) for n in names]

    def collection(self, name: str) -> Collection:
        """The collection named `name`, or CollectionNotFound."""
        return self._reader().collection(name)

    def indexed_file(self, path: str) -> "access.IndexedFile":
        """The indexed file at `path` if a program may read it (see core.access), else NotIndexed/OutsideFolders."""
        return access.indexed_file(self._reader(), path)

    def _vector_index(self, col: Collection, space: str = "text", dim: int | None = None) -> VectorIndex:
        """The collection's index for searching, reloaded (in memory only) when the catalog moved on.

        A big index whose file is behind the catalog (the indexer has committed, not yet saved) is
        served as it is rather than rebuilt for minutes; it is loaded again once the file moves on.
        One lock: concurrent searches load a collection's index once, not once each."""
        with self._indexes_lock:
            return self._vector_index_locked(col, space, dim)

    def _vector_index_locked(self, col: Collection, space: str, dim: int | None) -> VectorIndex:
        cached = self._indexes.get((col.id, space))
        if cached and cached[0] == col.vector_version:
            return cached[1]
        if cached and cached[1].stale:
            side = cached[1].read_sidecar()
            if side is not None and side.version == cached[1].loaded_version:
                return cached[1]  # the file has not moved since it was loaded
        vindex = VectorIndex(self.paths.vectors, col.id, dim or col.dim or self.embedder.dim,
                             compression=self.settings.vector_compression, space=space)
        vindex.load_or_rebuild(self._reader(), col, persist=False, stale_ok=True)
        self._indexes[(col.id, space)] = (vindex.loaded_version if vindex.stale else col.vector_version, vindex)
        return vindex

    def _photos_for_words(self, query: search.Query, cols: list[Collection], depth: int) -> list[tuple[int, float]]:
        """With a CLIP model: the query's words in the photo space -> (each photo's first passage, cosine)."""
        model = self.image_embedder
        if query.kind == "document" or model is None or not hasattr(model, "embed_text_query"):  # labels: no text space
            return []
        matching = [c for c in cols if c.image_model_id == model.model_id]
        if not matching:
            return []
        vector = model.embed_text_query(query.text)
        found = search.semantic_ranked([self._vector_index(c, "image", model.dim).search(vector, depth)
                                        for c in matching], depth)
        first = self._reader().photo_rows(fid for fid, _ in found)
        return [(first[fid].id, cos) for fid, cos in found if fid in first]

    def search(self, query: search.Query) -> SearchResult:
        _single_threaded_search()
        cols = self._selected(query.collections)
        out = SearchResult(hits=[])
        if not cols or not query.text.strip():
            return out
        usable = []
        for col in cols:
            if col.model_id is None:
                continue
            if col.model_id != self.model_id:
                out.warnings.append(
                    f"collection {col.name!r} was indexed with {col.model_id}; the configured model is "
                    f"{self.model_id}. Run 'localsearch index --collection {col.name}' to reindex it. "
                    "Until then it is searched by keywords only.")
            else:
                usable.append(col)
        depth = search.candidates(query.k)
        every = not query.collections
        keyword_result = self._keyword_search(query.text, [c.id for c in cols], depth, every)
        semantic: list[tuple[int, float]] = []
        photos: list[tuple[int, float]] = []
        clock = time.perf_counter()
        try:
            if usable:
                qvec = self.embedder.embed_query(query.text)
                out.timings["embed"], clock = time.perf_counter() - clock, time.perf_counter()
                indexes = [self._vector_index(c) for c in usable]
                if len(indexes) == 1:
                    per_collection = [indexes[0].search(qvec, depth)]
                else:  # FAISS releases the GIL: collections are searched side by side, then merged
                    with ThreadPoolExecutor(max_workers=min(len(indexes), os.cpu_count() or 2)) as pool:
                        per_collection = list(pool.map(lambda vi: vi.search(qvec, depth), indexes))
                semantic = search.semantic_ranked(per_collection, depth, self.settings.min_similarity)
            photos = self._photos_for_words(query, cols, depth)
            out.timings["vector"] = time.perf_counter() - clock
        finally:
            keyword, out.timings["keyword"] = keyword_result()
        clock = time.perf_counter()
        rows = self._reader().chunk_rows({cid for cid, _ in keyword} | {cid for cid, _ in semantic}
                                         | {cid for cid, _ in photos})
        texts = {cid: f"{r.text} {r.path}" for cid, r in rows.items()}  # FTS matches names too
        terms = search.keyword_terms(query.text)  # highlight what matters, not "the" or "how"
        fused = search.weighted_rrf(keyword, semantic, texts, terms, photos=photos)
        rows = {cid: r for cid, r in rows.items() if query.accepts(r)}
        pattern = search.term_pattern(terms)
        by_meaning, by_look = {cid for cid, _ in semantic}, {cid for cid, _ in photos}
        files = search.group_by_file(fused, rows)
        out.total = len(files)
        out.hits = [search.to_hit(score, row, terms, pattern, by_meaning=row.id in by_meaning,
                                  by_look=row.id in by_look)
                    for score, row in files[: query.k]]
        out.timings["fusion"] = time.perf_counter() - clock
        log.search.debug("%r: %d keyword, %d semantic candidates -> %d hits", query.text, len(keyword),
                         len(semantic), len(out.hits))
        return out

    def similar(self, image_path: str, k: int = 20, collections: Sequence[str] | None = None,
                exclude_self: bool = False) -> SearchResult:
        """Photos that look like the one at image_path (itself first, score 1.0, if it is indexed,
        unless exclude_self)."""
        from localsearch.core.extract.photo import to_model_input

        out = SearchResult(hits=[])
        model = self.image_embedder
        if model is None:
            out.warnings.append("photo similarity is off in settings (image_model: none)")
            return out
        vector = model.embed_images([to_model_input(Path(image_path))])[0][0]
        per_collection: list[list[tuple[int, float]]] = []
        for col in self._selected(collections):
            if col.image_model_id is None:
                continue
            if col.image_model_id != model.model_id:
                out.warnings.append(f"collection {col.name!r} has photo vectors of {col.image_model_id}; "
                                    "re-index it to search its photos by similarity")
                continue
            per_collection.append(self._vector_index(col, "image", model.dim).search(vector, k + 1))
        found = search.semantic_ranked(per_collection, k + 1)
        rows = self._reader().photo_rows(fid for fid, _ in found)
        itself = os.path.realpath(image_path)
        hits = [search.to_hit(score, rows[fid], [], why=[_look_alike(score)]) for fid, score in found
                if fid in rows and not (exclude_self and os.path.realpath(rows[fid].path) == itself)]
        out.total, out.hits = len(hits), hits[:k]
        return out

    # --- status -------------------------------------------------------------------------------

    def overview(self) -> list[CollectionOverview]:
        """Each collection's figures, cheap enough to read on every metrics scrape."""
        reader = self._reader()  # asked from the HTTP service's threads too
        out = []
        for col in reader.collections():
            stats = reader.stats(col.id)
            vfile = VectorIndex(self.paths.vectors, col.id, col.dim or 1).file
            out.append(CollectionOverview(
                id=col.id, name=col.name, roots=reader.roots(col.id), files=stats["files"], chunks=stats["chunks"],
                failed=stats["failed"], model=col.model_id,
                needs_reindex=bool(col.model_id and col.model_id != self.model_id) or col.needs_reindex,
                vector_index_bytes=vfile.stat().st_size if vfile.exists() else 0,
                last_indexed=col.last_indexed, last_commit=reader.last_commit(col.id)))
        return out

    def status(self) -> dict[str, Any]:
        from localsearch.core import watcher

        live = watcher.read_state(self.watch_state_file)
        watching = {c["collection"]: c for c in live["collections"]} if live else {}
        reader = self._reader()
        cols = []
        for c in self.overview():
            cols.append({
                "name": c.name,
                "roots": c.roots,
                "files": c.files,
                "failed": c.failed,
                "chunks": c.chunks,
                "model": c.model,
                "needs_reindex": c.needs_reindex,
                "vector_index_bytes": c.vector_index_bytes,
                "last_indexed": c.last_indexed,
                "failures": [{"path": p, "reason": r} for _, p, r in reader.failures(c.id)],
                "watch": watching.get(c.name),
            })
        db = self.paths.catalog
        return {
            "data_dir": str(self.paths.data),
            "model": self.model_id,
            "catalog_bytes": sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file()),
            "collections": cols,
        }
