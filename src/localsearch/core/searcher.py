"""Query -> hits over the catalog and the vector indexes: the read side of the engine.

Many threads search at once (the window's runner, the HTTP service's pool, the keyword helpers): each
reads through its own SQLite connection, and the cache of loaded vector indexes is locked. Nothing
here writes; the indexer is the only writer.
"""

import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol


from localsearch.core import cutoff, folders, keyword_side, log, memory, query_syntax, scanner, search, words
from localsearch.core.embed.base import Embedder
from localsearch.core.paths import Paths
from localsearch.core.settings import Settings
from localsearch.core.store import keywords, successor, wordindex
from localsearch.core.store.catalog import Catalog, Collection
from localsearch.core.store.reads import ChunkRow
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.search import Query
from localsearch.core.types import Hit

if TYPE_CHECKING:
    from localsearch.core.embed.image import ImageEmbedder

_latency = threading.local()
_blas_limited = False


def _single_threaded_search() -> None:
    """One query is one small vector: on few cores, numpy's BLAS threads and FAISS' OpenMP threads
    only fight each other (whole search p95 55 ms with 2 threads, 25 ms with 1; bench/README.md).
    Torch's own thread pool, which does the indexing, is not affected. OpenMP's thread count is a
    per-thread setting, so it is set in every thread that searches (the HTTP service searches on a
    pool of threads: set once, only the first kept 1, and the others' idle OpenMP workers spun)."""
    global _blas_limited
    if getattr(_latency, "set", False):
        return
    import faiss

    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _blas_limited = True
    faiss.omp_set_num_threads(1)
    _latency.set = True


@dataclass
class SearchResult:
    hits: list[Hit]
    warnings: list[str] = field(default_factory=list)
    total: int = 0
    """Files that matched among the candidates looked at, before cutting to k (so at least this many)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: embed, keyword, vector, fusion (the HTTP service's metrics read them)."""


class _Reader:
    """One thread's read connection, closed when that thread ends (its thread-locals are freed): the
    HTTP service's pool retires idle threads and starts new ones, and each would otherwise leave an
    open connection and its page cache behind (bench/api_load.py: +65 MB of RSS a round)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def __del__(self) -> None:
        self.catalog.close()


class Engine(Protocol):
    """What a search needs of the Service: its folders, settings and (lazily loaded) models."""

    @property
    def paths(self) -> Paths: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def image_embedder(self) -> "ImageEmbedder | None": ...
    @property
    def model_id(self) -> str: ...
    def query_embedder(self, model_id: str) -> Embedder | None: ...


class Searcher:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._indexes: dict[tuple[int, str], tuple[int, VectorIndex]] = {}  # (collection, space) -> (version, index)
        self._indexes_lock = threading.RLock()
        self._helper = ThreadPoolExecutor(max_workers=keyword_side.KEYWORD_PARTS, thread_name_prefix="localsearch-keyword")
        self._local = threading.local()
        self._readers: "weakref.WeakSet[_Reader]" = weakref.WeakSet()
        self._readers_lock = threading.Lock()
        self.keywords = keyword_side.KeywordSide(engine.paths.words, self.reader, self._helper)

    def close(self) -> None:
        self._helper.shutdown(wait=True)
        with self._readers_lock:
            for reader in list(self._readers):
                reader.catalog.close()

    def forget(self, collection_id: int | None = None) -> None:
        """Drop loaded indexes (all, or one collection's): after a model change, an index run, a removal."""
        self.keywords.forget()
        with self._indexes_lock:
            if collection_id is None:
                self._indexes.clear()
                return
            for space in ("text", "image"):
                self._indexes.pop((collection_id, space), None)

    def reader(self) -> Catalog:
        """This thread's own read connection: one SQLite connection runs one statement at a time, and
        searches run on several threads at once (helpers, the window's runner, the HTTP service's pool)."""
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = _Reader(Catalog(self.engine.paths.catalog, reader=True))
            with self._readers_lock:
                self._readers.add(reader)
        return reader.catalog

    def word_index(self) -> wordindex.WordIndex | None:
        """The fast keyword index when it holds exactly what the catalog does (keyword_side.KeywordSide)."""
        return self.keywords.word_index()

    def selected(self, names: Sequence[str] | None) -> list[Collection]:
        reader = self.reader()
        if not names:
            return reader.collections()
        return [reader.collection(n) for n in names]

    def vector_index(self, col: Collection, space: str = "text", dim: int | None = None) -> VectorIndex:
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
        vindex = VectorIndex(self.engine.paths.vectors, col.id, dim or col.dim or self.engine.embedder.dim,
                             compression=self.engine.settings.vector_compression, space=space)
        vindex.load_or_rebuild(self.reader(), col, persist=False, stale_ok=True)
        self._indexes[(col.id, space)] = (vindex.loaded_version if vindex.stale else col.vector_version, vindex)
        if cached:  # the previous copy and the arrays of this load are free now: give the pages back
            del cached
            memory.trim()
        return vindex

    def _photos_for_words(self, query: search.Query, cols: list[Collection], depth: int) -> list[tuple[int, float]]:
        """With a CLIP model: the query's words in the photo space -> (each photo's first passage, cosine)."""
        model = self.engine.image_embedder
        if query.kind == "document" or model is None or not hasattr(model, "embed_text_query"):  # labels: no text space
            return []
        matching = [c for c in cols if c.image_model_id == model.model_id]
        if not matching:
            return []
        vector = model.embed_text_query(query.text)
        found = search.semantic_ranked([self.vector_index(c, "image", model.dim).search(vector, depth)
                                        for c in matching], depth)
        first = self.reader().photo_rows(fid for fid, _ in found)
        return [(first[fid].id, cos) for fid, cos in found if fid in first]

    def search(self, query: search.Query) -> SearchResult:
        _single_threaded_search()
        cols = self.selected(query.collections)
        typed = query.text.strip()
        query, problems = query.with_syntax()
        out = SearchResult(hits=[], warnings=problems)
        if not cols or not query.text.strip():
            if cols and typed and not problems:  # only operators: say what is missing
                out.warnings.append("operators narrow a search: add words to search for")
            return out
        self.keywords.verify()
        usable: list[tuple[Collection, Embedder]] = []
        for col in cols:  # a collection made by an earlier model answers with it until its next index is done
            model = self.engine.query_embedder(col.model_id) if col.model_id is not None else None
            if model is not None:
                usable.append((col, model))
            elif col.model_id is not None:
                out.warnings.append(
                    f"collection {col.name!r} was indexed with {col.model_id}, which cannot be loaded; the "
                    f"configured model is {self.engine.model_id}. Run 'localsearch index --collection {col.name}' "
                    "to reindex it. Until then it is searched by keywords only.")
        depth = search.candidates(query.k)
        # Every collection's passages at once (no filter) only when no hidden next index holds copies of them.
        every = not query.collections and not successor.any_building(self.reader())
        if query.mode == "keywords":
            usable = []
        keyword_result = (self.keywords.start(query.text, [c.id for c in cols], depth, every)
                          if query.mode != "meaning" else lambda: ([], 0.0))
        semantic: list[tuple[int, float]] = []
        photos: list[tuple[int, float]] = []
        clock = time.perf_counter()
        try:
            if usable:
                # An index not loaded yet (the first search of a process) loads beside the query encoding.
                cold = any((c.id, "text") not in self._indexes for c, _ in usable)
                loading = self._helper.submit(lambda: [self.vector_index(c) for c, _ in usable]) if cold else None
                models = {id(m): m for _, m in usable}  # one query vector per model (two during a switch)
                qvecs = {key: m.embed_query(query.text) for key, m in models.items()}
                out.timings["embed"], clock = time.perf_counter() - clock, time.perf_counter()
                indexes = loading.result() if loading is not None else [self.vector_index(c) for c, _ in usable]
                asked = [(vi, qvecs[id(m)]) for vi, (_, m) in zip(indexes, usable)]
                if len(asked) == 1:
                    per_collection = [asked[0][0].search(asked[0][1], depth)]
                else:  # FAISS releases the GIL: collections are searched side by side, then merged
                    with ThreadPoolExecutor(max_workers=min(len(asked), os.cpu_count() or 2)) as pool:
                        per_collection = list(pool.map(lambda a: a[0].search(a[1], depth), asked))
                per_collection = [cutoff.calibrated(c.model_id, found, self._across(query.text, found, c.model_id))
                                  for (c, _), found in zip(usable, per_collection)]
                semantic = search.semantic_ranked(per_collection, depth, self.engine.settings.min_similarity)
            photos = self._photos_for_words(query, cols, depth) if query.mode != "keywords" else []
            out.timings["vector"] = time.perf_counter() - clock
        finally:
            keyword, out.timings["keyword"] = keyword_result()
        clock = time.perf_counter()
        rows = self.reader().chunk_rows({cid for cid, _ in keyword} | {cid for cid, _ in semantic}
                                         | {cid for cid, _ in photos})
        roots = [r for c in cols for r in self.reader().roots(c.id)]  # FTS matches names inside them too
        texts = {cid: f"{r.text} {search.relative_name(r.path, roots)}" for cid, r in rows.items()}
        terms = search.keyword_terms(query.text)  # highlight what matters, not "the" or "how"
        gone = folders.offline(self.reader(), [c.id for c in cols])
        rows = {cid: r for cid, r in rows.items() if query.accepts(r) and not (gone and scanner.under_any(r.path, gone))
                and (query.folder is None or query_syntax.in_folder(r.path, roots, query.folder))}
        if gone:
            out.warnings.append(f"not searched while missing: {', '.join(gone)} (unplugged or moved? If it moved: "
                                "localsearch collections move-root OLD NEW)")
        stems = [s for t in terms for s in words.term_stems(t)]
        fast = self.word_index()
        if fast is not None:
            frequencies, passages = fast.document_frequencies(stems), fast.passages()
        else:
            frequencies, passages = self.reader().document_frequencies(stems), self.reader().max_chunk_id()
        pattern = search.term_pattern(terms, frequencies, passages)

        def found(ranked: list[tuple[int, float]]) -> set[int | str]:  # files, as fuse_files groups them
            return {search.file_key(rows[cid]) for cid, _ in ranked if cid in rows}

        by_meaning, by_look = found(semantic), found(photos)
        gate = cutoff.gate_for(usable[0][0].model_id if usable else None)
        strengths: dict[int | str, float] = {}
        files = self._ordered(search.fuse_files(keyword, semantic, rows, texts, pattern, photos=photos,
                                                by_coverage=query.mode != "keywords", gate=gate,
                                                strengths=strengths), query)
        out.total = len(files)
        out.hits = [replace(search.to_hit(score, row, terms, pattern, by_meaning=search.file_key(row) in by_meaning,
                                          by_look=search.file_key(row) in by_look),
                            match_strength=strengths.get(search.file_key(row)))
                    for score, row in files[: query.k]]
        out.timings["fusion"] = time.perf_counter() - clock
        log.search.debug("%r: %d keyword, %d semantic candidates -> %d hits", query.text, len(keyword),
                         len(semantic), len(out.hits))
        return out

    def _across(self, question: str, found: list[tuple[int, float]],
                model_id: str | None) -> Callable[[int], bool] | None:
        """For a model measured across languages: which of these passages are in another writing system
        than the question (cutoff.ACROSS_SCRIPTS); None for other models."""
        if not found or not cutoff.across_languages(model_id):
            return None
        asked = words.script(question)
        texts = self.reader().chunk_texts([cid for cid, _ in found])
        return lambda cid: bool(asked) and words.script(texts.get(cid, "")) not in ("", asked)

    def _ordered(self, files: list[tuple[float, ChunkRow]], query: Query) -> list[tuple[float, ChunkRow]]:
        """The fused files narrowed by the query's phrases and excluded words (whole files: a phrase may sit
        in a passage other than the one shown), then in the order asked for."""
        if query.phrases or query.excluded:
            ids = sorted({row.file_id for _, row in files})
            keep = set(ids)
            for phrase in query.phrases:
                keep &= keywords.files_holding(self.reader().conn, phrase, ids)
            for word in query.excluded:
                keep -= keywords.files_holding(self.reader().conn, word, ids)
            files = [(score, row) for score, row in files if row.file_id in keep]
        if query.sort == "modified":
            files.sort(key=lambda f: -(f[1].mtime_ns or 0))
        elif query.sort == "name":
            files.sort(key=lambda f: (os.path.basename(f[1].path).casefold(), f[1].path))
        return files

    def similar(self, image_path: str, k: int = 20, collections: Sequence[str] | None = None,
                exclude_self: bool = False, min_similarity: float | None = None) -> SearchResult:
        """Photos that look like the one at image_path (similar.look_alikes)."""
        from localsearch.core import similar

        _single_threaded_search()
        return similar.look_alikes(self, image_path, k, collections, exclude_self, min_similarity)
