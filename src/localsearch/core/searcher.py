"""Query -> hits over the catalog and the vector indexes: the read side of the engine.

Many threads search at once (the window's runner, the HTTP service's pool, the keyword helpers): each
reads through its own SQLite connection, and the cache of loaded vector indexes is locked. Nothing
here writes; the indexer is the only writer.
"""

import functools
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from localsearch.core import check, cutoff, folders, log, memory, query_syntax, scanner, search, words
from localsearch.core.embed.base import Embedder
from localsearch.core.errors import KnownError
from localsearch.core.paths import Paths
from localsearch.core.settings import Settings
from localsearch.core.store import changelog, keywords, successor, wordindex
from localsearch.core.store.catalog import Catalog, ChunkRow, Collection
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.search import Query
from localsearch.core.types import Hit

if TYPE_CHECKING:
    from localsearch.core.embed.image import ImageEmbedder

KEYWORD_SPLIT_AT = 250_000
"""From this many passages BM25 runs as KEYWORD_PARTS id ranges in parallel: at 1M passages on 2
cores the whole search measured p95 24.7-30.9 ms split vs 27.3-40.1 ms as one query (12 runs
interleaved, bench/README.md). Below it the split's fixed cost (each range re-reads the terms'
document counts) outweighs it."""
KEYWORD_PARTS = 2
WORDS_RETRY_S = 10.0
"""How often a fast keyword index that failed its check is looked at again (the writer rebuilds it)."""


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


SAME_PHOTO = 0.7
"""EfficientNet-Lite0 cosine from which a look-alike is called the same photo: on 8 scikit-image
photos, their half-size, JPEG q20 and 80 % crop copies measured 0.77-1.0 (median 0.94) against the
original, and distinct photos at most 0.30."""


SAME_COLOURS = 1.0
"""Most L1 distance between two photos' colour histograms (extract.photo.colours) for "same photo":
resized, JPEG q20 and cropped copies of 8 scikit-image photos measured at most 0.80 (a 60 % crop),
while images the photo model scores alike but coloured otherwise (the screenshot script's sunsets,
one gradient in different hues) are far apart. The model's features alone cannot tell those."""

SAME = "same photo (resized, cropped or re-encoded)"


def _look_alike(cosine: float) -> str:
    return SAME if cosine >= SAME_PHOTO else "looks alike"


def _colours(path: str) -> np.ndarray | None:
    """A photo's colour histogram (extract.photo.colours), None where it cannot be read."""
    from localsearch.core.extract.photo import colours

    try:
        return colours(path)
    except (OSError, ValueError):
        return None


def _same_colours(asked: Callable[[], np.ndarray | None], path: str) -> bool:
    """Whether a look-alike has the colours of the photo asked about (a copy, not a recoloured likeness).
    Where either cannot be read, the features decide alone."""
    mine, theirs = asked(), _colours(path)
    return mine is None or theirs is None or float(np.abs(theirs - mine).sum()) <= SAME_COLOURS


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
        self._helper = ThreadPoolExecutor(max_workers=KEYWORD_PARTS, thread_name_prefix="localsearch-keyword")
        self._local = threading.local()
        self._readers: "weakref.WeakSet[_Reader]" = weakref.WeakSet()
        self._readers_lock = threading.Lock()
        self._keywords_ok = False  # the keyword index passed its spot check since the last forget()
        self._words = wordindex.WordIndex(engine.paths.words)
        self._words_lock = threading.Lock()
        self._words_checked: wordindex.State | None = None  # the state that passed the spot check
        self._words_bad: wordindex.State | None = None  # the state that failed it
        self._words_bad_at = 0.0

    def close(self) -> None:
        self._helper.shutdown(wait=True)
        with self._readers_lock:
            for reader in list(self._readers):
                reader.catalog.close()

    def forget(self, collection_id: int | None = None) -> None:
        """Drop loaded indexes (all, or one collection's): after a model change, an index run, a removal."""
        self._keywords_ok = False
        self._words_checked = None  # opened and checked again at the next search
        self._words.state = None
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

    def _verify_keywords(self) -> None:
        """Never answer from a damaged keyword index (see check.keywords_answer): refuse, in one line."""
        if self._keywords_ok:
            return
        if not check.keywords_answer(self.reader()):
            raise KnownError("the keyword index in the catalog is damaged: run 'localsearch repair' (your files are "
                             "safe; the window and 'localsearch watch' also rebuild it when they start)")
        self._keywords_ok = True

    def word_index(self) -> wordindex.WordIndex | None:
        """The fast keyword index when it holds exactly what the catalog does (else FTS5 answers): it
        is opened or reloaded when the catalog has moved past it, and spot-checked against the catalog
        once per state before it is trusted. One that failed (its check, or a search) is looked at
        again every WORDS_RETRY_S, for the writer to have built it again."""
        reader = self.reader()
        identity, last = changelog.position(reader.conn)
        state = self._words.state
        trusted = state is not None and state == self._words_checked and state != self._words_bad
        if trusted and state is not None and state.current(identity, last):
            return self._words  # the common case: nothing to do
        with self._words_lock:
            if state is not None and state == self._words_bad:
                if time.monotonic() - self._words_bad_at < WORDS_RETRY_S:
                    return None
                self._words_bad_at = time.monotonic()
                state = None
            if state is None or not state.current(identity, last):
                state = self._words.refresh()
            if state is None or state == self._words_bad or not state.current(identity, last):
                return None
            if state != self._words_checked:
                if not self._words.spot_check(reader.conn):
                    log.search.warning("the fast keyword index does not match the catalog; searching the "
                                       "catalog's own until the writer rebuilds it")
                    self._words_bad, self._words_bad_at = state, time.monotonic()
                    return None
                self._words_checked = state
        return self._words

    def _keyword_search(self, query: str, ids: list[int], depth: int,
                        every: bool) -> Callable[[], tuple[list[tuple[int, float]], float]]:
        """Starts the BM25 search beside the query embedding (both release the GIL); call the result
        to wait for it and get (hits, seconds the slowest part took). From the fast keyword index when
        it is current; else from FTS5, a big catalog as KEYWORD_PARTS ranges of chunk ids at once."""
        fast = self.word_index()
        if fast is not None:
            alternatives = search.term_alternatives(query)
            state = fast.state

            def fast_one() -> tuple[list[tuple[int, float]], float]:
                started = time.perf_counter()
                return fast.search(alternatives, None if every else ids, depth), time.perf_counter() - started

            future = self._helper.submit(fast_one)

            def fast_wait() -> tuple[list[tuple[int, float]], float]:
                try:
                    return future.result()
                except (ValueError, OSError) as e:  # damage found only now: this and later searches use FTS5
                    log.search.warning("the fast keyword index failed (%s); searching the catalog's own", e)
                    self._words_bad, self._words_bad_at = state, time.monotonic()
                    return self._fts5_search(query, ids, depth, every)()
            return fast_wait
        return self._fts5_search(query, ids, depth, every)

    def _fts5_search(self, query: str, ids: list[int], depth: int,
                     every: bool) -> Callable[[], tuple[list[tuple[int, float]], float]]:
        fts = search.fts_query(query)
        top = self.reader().max_chunk_id()
        parts = KEYWORD_PARTS if top >= KEYWORD_SPLIT_AT and (os.cpu_count() or 1) > 1 else 1

        def one(rowids: tuple[int, int]) -> tuple[list[tuple[int, float]], float]:
            started = time.perf_counter()
            return self.reader().keyword_search(fts, ids, depth, every, rowids), time.perf_counter() - started

        futures = [self._helper.submit(one, r) for r in search.id_ranges(top, parts)]

        def wait() -> tuple[list[tuple[int, float]], float]:
            done = [f.result() for f in futures]
            return search.keyword_merged([hits for hits, _ in done], depth), max(sec for _, sec in done)
        return wait

    def _selected(self, names: Sequence[str] | None) -> list[Collection]:
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
        cols = self._selected(query.collections)
        typed = query.text.strip()
        query, problems = query.with_syntax()
        out = SearchResult(hits=[], warnings=problems)
        if not cols or not query.text.strip():
            if cols and typed and not problems:  # only operators: say what is missing
                out.warnings.append("operators narrow a search: add words to search for")
            return out
        self._verify_keywords()
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
        keyword_result = (self._keyword_search(query.text, [c.id for c in cols], depth, every)
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
        """Photos that look like the one at image_path (itself first, score 1.0, if it is indexed,
        unless exclude_self), down to min_similarity (None: the photo model's own threshold, see
        cutoff.looks_alike; 0: every photo, nearest first)."""
        from localsearch.core.extract.photo import to_model_input

        _single_threaded_search()
        out = SearchResult(hits=[])
        model = self.engine.image_embedder
        if model is None:
            out.warnings.append("photo similarity is off in settings (image_model: none)")
            return out
        try:
            pixels = to_model_input(Path(image_path))
        except OSError as e:  # missing, unreadable: the user's to fix, in one line
            raise KnownError(f"cannot read the photo {image_path}: {e.strerror or e}") from e
        vector = model.embed_images([pixels])[0][0]
        per_collection: list[list[tuple[int, float]]] = []
        cols = self._selected(collections)
        for col in cols:
            if col.image_model_id is None:
                continue
            if col.image_model_id != model.model_id:
                out.warnings.append(f"collection {col.name!r} has photo vectors of {col.image_model_id}; "
                                    "re-index it to search its photos by similarity")
                continue
            per_collection.append(self.vector_index(col, "image", model.dim).search(vector, k + 1))
        floor = cutoff.looks_alike(model.model_id) if min_similarity is None else min_similarity
        asked = functools.cache(lambda: _colours(image_path))  # read once, and only if a copy is to be told
        found = search.semantic_ranked(per_collection, k + 1, floor)
        rows = self.reader().photo_rows(fid for fid, _ in found)
        itself = os.path.realpath(image_path)
        gone = folders.offline(self.reader(), [c.id for c in cols])
        seen: set[str | int] = set()
        hits = []
        for fid, score in found:
            row = rows.get(fid)
            if row is None or scanner.under_any(row.path, gone):
                continue
            is_self = os.path.realpath(row.path) == itself
            if is_self and exclude_self:
                continue
            if is_self or search.file_key(row) not in seen:  # copies listed once, but always beside the photo asked about
                seen.add(fid if is_self else search.file_key(row))
                why = "the photo itself" if is_self else _look_alike(score)
                if why == SAME and not _same_colours(asked, row.path):
                    why = "looks alike"
                hits.append(replace(search.to_hit(score, row, [], why=[why]),
                                    match_strength=round(min(1.0, max(0.0, score)), 3)))
        out.total, out.hits = len(hits), hits[:k]
        return out
