"""The engine's one front door: what the CLI, the window and the HTTP service can do, composed from
the core parts (searching is core.searcher's, indexing core.indexer's and core.watcher's).

Collaborators are passed in (paths, settings, embedder) so tests hand in fakes.
"""

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localsearch.core import access, folders, log, models, search
from localsearch.core.search import Query
from localsearch.core.embed.base import Embedder
from localsearch.core.errors import CatalogDamaged, KnownError
from localsearch.core.paths import Paths
from localsearch.core.searcher import SearchResult, Searcher
from localsearch.core.settings import Settings
from localsearch.core.settings import load as load_settings
from localsearch.core.store import successor
from localsearch.core.store.catalog import Catalog, Collection
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.writer import WriterLock

if TYPE_CHECKING:  # the indexer and watcher pull in parsers and watchdog: a search needs neither
    from localsearch.core.check import CheckResult
    from localsearch.core.repair import RepairResult, Salvage
    from localsearch.core.status import CollectionOverview
    from localsearch.core.embed.image import ImageEmbedder
    from localsearch.core.indexer import Indexer, ProgressFn, Report
    from localsearch.core.rerank import Reranker
    from localsearch.core.watcher import Watcher, WatchState
    from localsearch.core.preview import Preview


_FROZEN = False
"""Whether this process's long-lived objects were moved out of the garbage collector's reach (_warm_up)."""


class Service:
    def __init__(self, paths: Paths, settings: Settings | None = None, embedder: Embedder | None = None,
                 image_embedder: "ImageEmbedder | None" = None, one_off: bool = False) -> None:
        """one_off: this process answers one search and ends (the command line on its own): its query is
        encoded without opening an ONNX Runtime session (SentenceEmbedder.one_query)."""
        self.paths = paths.ensure()
        self.models = models.Models(settings if settings is not None else load_settings(paths.settings),
                                    self.paths.cache / "models", embedder, image_embedder, one_off)
        self.catalog = Catalog(paths.catalog)
        self.searcher = Searcher(self)

    def close(self) -> None:
        self.searcher.close()
        self.catalog.close()

    @property
    def settings(self) -> Settings:
        """The settings in force (one record, kept by the models they name)."""
        return self.models.settings

    @property
    def embedder(self) -> Embedder:
        return self.models.embedder

    @property
    def image_embedder(self) -> "ImageEmbedder | None":
        """The photo model (loaded on first use), or None when photos are indexed by name only."""
        return self.models.image_embedder

    def apply_settings(self, settings: Settings) -> None:
        """New settings take effect for the next pass; a new model re-indexes (see Indexer._bind_model)."""
        if self.models.apply(settings):
            self.searcher.forget()

    def query_embedder(self, model_id: str) -> Embedder | None:
        """The model that encodes queries for a collection made by `model_id` (models.Models.query_embedder)."""
        return self.models.query_embedder(model_id)

    @property
    def model_id(self) -> str:
        """The configured model's id, known without loading it."""
        return self.models.model_id

    # --- indexing -----------------------------------------------------------------------------

    def index(self, collection: str, roots: Sequence[str] = (), on_progress: "ProgressFn | None" = None,
              cancel: threading.Event | None = None, read_photo_text: bool = True,
              on_wait: Callable[[str], None] | None = None) -> "Report":
        """A full pass, then (settings.ocr) the slow pass that reads text in photos. Another writer of
        this data folder first finishes (on_wait is told who it is; `cancel` stops the waiting)."""
        from localsearch.core.indexer import Report

        lock = WriterLock(self.paths.data, f"index {collection}")
        if not lock.acquire(cancel, on_wait):
            return Report(collection=collection, cancelled=True)
        try:
            return self._index_locked(collection, roots, on_progress, cancel, read_photo_text)
        finally:
            lock.release()

    def _index_locked(self, collection: str, roots: Sequence[str] = (), on_progress: "ProgressFn | None" = None,
                      cancel: threading.Event | None = None, read_photo_text: bool = True) -> "Report":
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
            self.searcher.forget()

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
            indexer.background = True  # give way to the desktop
            return indexer, catalog

        return watcher.Watcher(make_indexer, self.catalog, collections, force_polling=force_polling,
                               writer_lock=WriterLock(self.paths.data, "keeping collections current"),
                               poll_interval=poll_interval, state_file=self.watch_state_file, on_state=on_state,
                               on_report=on_report, warm_up=self._warm_up,
                               on_error=on_error)

    def _warm_up(self) -> None:
        """Load the query encoder, the tokenizer that sizes passages and the encoder a new collection would be
        indexed with (the 8-bit one, on a CPU, needs no torch): making each holds the GIL for ~0.1-0.5 s,
        which here, at start-up, costs nothing, but at the first search or the first file read stalls
        the window as the user types."""
        from localsearch.core.embed import variants

        self.embedder.embed_query("warm up")
        counter = getattr(self.embedder, "token_counter", None)
        if callable(counter):
            counter()
        variants.choose(self.embedder, None, self.settings.text_precision).embed_texts(["warm up"])
        # What is loaded by now (modules, models) lives as long as the process: the cyclic garbage collector,
        # which stops every thread while it runs, no longer walks it (a full collection took 60 ms at 1M
        # passages, bench/gui_stall.py). Once per process, after a collection: garbage frozen is never freed.
        global _FROZEN
        if not _FROZEN:
            _FROZEN = True
            gc.collect()
            gc.freeze()

    def rename_collection(self, old: str, new: str) -> None:
        self.catalog.rename_collection(old, new)

    def add_folder(self, collection: str, folder: str) -> str:
        """Register a folder (the collection is made if new); the watcher's catch-up pass (or `index`)
        indexes it. Returns the folder as stored."""
        return folders.add(self.catalog, collection, folder)

    @contextmanager
    def _writing(self, what: str, on_wait: Callable[[str], None] | None) -> Iterator[None]:
        """Hold the data folder's writer lock (waiting for another writer to finish) around a change."""
        lock = WriterLock(self.paths.data, what)
        lock.acquire(None, on_wait)
        try:
            yield
            self._sync_words()
        finally:
            lock.release()

    def _sync_words(self) -> None:
        """Bring the fast keyword index up to a change made outside an index run (a folder removed or
        moved), so searches do not fall back to FTS5 until the next run. Under the writer lock."""
        from localsearch.core.store.wordsync import WordSync

        words = WordSync(self.paths.words, self.catalog.conn)
        try:
            words.sync()
        except (ValueError, OSError) as e:  # the next index run rebuilds it; searches use FTS5 meanwhile
            log.index.warning("the fast keyword index could not be updated (%s)", e)
        finally:
            words.close()

    def remove_folder(self, collection: str, folder: str, on_wait: Callable[[str], None] | None = None) -> int:
        """Stop searching one folder of a collection (its files are not touched); files dropped."""
        with self._writing(f"remove a folder of {collection}", on_wait):
            removed = folders.remove(self.catalog, self.paths.vectors, collection, folder,
                                     self.settings.vector_compression)
        self.searcher.forget()
        return removed

    def move_root(self, old: str, new: str, collection: str | None = None,
                  on_wait: Callable[[str], None] | None = None) -> list[tuple[str, int]]:
        """A folder moved or was renamed: point each collection that searched it (or just `collection`)
        at its new place, keeping the index. Returns (collection, files kept) for each."""
        names = [collection] if collection else [
            c.name for c in self.catalog.collections() if folders.normal(old) in self.catalog.roots(c.id)]
        if not names:
            raise KnownError(f"no collection searches {folders.normal(old)} (localsearch status lists the folders)")
        with self._writing("move a folder", on_wait):
            moved = [(name, folders.move(self.catalog, name, old, new)) for name in names]
        self.searcher.forget()
        return moved

    def remove_collection(self, name: str) -> None:
        building = successor.of(self.catalog, self.catalog.collection(name))  # removed with it
        col = self.catalog.remove_collection(name)
        for cid in [col.id] + ([building.id] if building is not None else []):
            for space in ("text", "image"):  # both, or SQLite may hand the id to a new collection with them
                VectorIndex(self.paths.vectors, cid, 1, space=space).delete_files()
            self.searcher.forget(cid)

    # --- integrity ----------------------------------------------------------------------------

    def check(self, sample: bool = True) -> "CheckResult":
        """Is everything stored whole and consistent (see core.check)? Reads only. sample: embed a few
        stored passages again to see that the vectors are the model's (loads the model)."""
        from localsearch.core import check

        lock = WriterLock(self.paths.data, "check")
        alone = lock.try_acquire()  # another writer's index files may lawfully lag its commits
        try:
            return check.run(self.searcher.reader(), self.paths.vectors, self.model_id,
                             self.embedder if sample else None, compare_versions=alone)
        finally:
            lock.release()

    def repair(self, salvage: "Salvage | None" = None, on_progress: "ProgressFn | None" = None,
               on_wait: Callable[[str], None] | None = None, sample: bool = True) -> "RepairResult":
        """Fix what check finds (see core.repair), then check again; nothing done when it finds nothing.
        A damaged catalog raises CatalogDamaged (the caller sets it aside: repair.set_aside_alone); with
        `salvage`, the collections of one set aside are restored and their folders indexed from scratch."""
        from localsearch.core import check, repair

        with self._writing("repair", on_wait):
            if salvage is not None:
                done, again = [f"damaged catalog kept as {salvage.moved_to}"], set(salvage.collections)
                self.restore(salvage)
            else:
                found = check.run(self.catalog, self.paths.vectors, self.model_id,
                                  self.embedder if sample else None, compare_versions=True)
                if found.healthy:
                    return repair.RepairResult([], found)
                damage = [p.detail for p in found.problems if p.area == "catalog"]
                if damage:
                    raise CatalogDamaged(f"the catalog {self.paths.catalog} is damaged ({damage[0]})")
                done, again = repair.fix(self.catalog, self.paths.vectors, found.problems,
                                         self.settings.vector_compression)
            for name in sorted(again):
                report = self._index_locked(name, on_progress=on_progress)
                done.append(f"{name}: indexed again ({report.scanned} files, {report.chunks} passages)")
        self.searcher.forget()
        return repair.RepairResult(done, self.check(sample))

    def restore(self, salvage: "Salvage") -> None:
        """The collections and folders of a damaged catalog set aside, into this fresh one (nothing indexed
        yet: `repair`, a watcher or the window's catch-up indexes them from the files)."""
        for name, roots in salvage.collections.items():
            col = self.catalog.ensure_collection(name)
            for root in roots:
                self.catalog.add_root(col.id, root)

    # --- search -------------------------------------------------------------------------------

    def collection(self, name: str) -> Collection:
        """The collection named `name`, or CollectionNotFound."""
        return self.searcher.reader().collection(name)

    def indexed_file(self, path: str) -> "access.IndexedFile":
        """The indexed file at `path` if a program may read it (see core.access), else NotIndexed/OutsideFolders."""
        return access.indexed_file(self.searcher.reader(), path)

    def preview(self, path: str, query: str = "") -> "Preview":
        """What the preview pane shows for an indexed file: the passages holding the query's words (from
        the catalog, not the file), or a photo's labels, read text and camera facts (see core.preview)."""
        from localsearch.core import preview

        return preview.build(self.searcher.reader(), path, query)

    def search(self, query: search.Query) -> SearchResult:
        """Words or a question -> one hit per file, best first (keyword and meaning lists fused)."""
        return self.searcher.search(query)

    @property
    def reranker(self) -> "Reranker | None":
        """The configured cross-encoder (loaded on first use), or None when none is set."""
        return self.models.reranker

    def rerank(self, query: Query, result: SearchResult) -> SearchResult:
        """The hits of search(query) with the top ones reordered by the configured cross-encoder; the
        same result when none is set. Separate from search() so a window can show results first."""
        query = query.with_syntax()[0]  # the question without its operators
        if not result.hits or query.mode == "keywords" or query.sort != "relevance":
            return result
        model = self.reranker
        if model is None:
            return result
        from localsearch.core import rerank

        ids = [h.chunk_id for h in result.hits[: rerank.DEPTH] if h.chunk_id is not None]
        texts = {cid: row.text for cid, row in self.searcher.reader().chunk_rows(ids).items()}
        return replace(result, hits=rerank.reorder(result.hits, texts, model.scores, query.text))

    def similar(self, image_path: str, k: int = 20, collections: Sequence[str] | None = None,
                exclude_self: bool = False, min_similarity: float | None = None) -> SearchResult:
        """Photos that look like the one at image_path (itself first if indexed, unless exclude_self),
        down to min_similarity (None: the photo model's own look-alike threshold)."""
        return self.searcher.similar(image_path, k, collections, exclude_self, min_similarity)

    # --- status -------------------------------------------------------------------------------

    def overview(self) -> "list[CollectionOverview]":
        """Each collection's figures, cheap enough to read on every metrics scrape."""
        from localsearch.core import status

        return status.overview(self)

    def status(self) -> dict[str, Any]:
        """Everything `localsearch status` shows, as JSON-ready data."""
        from localsearch.core import status

        return status.report(self)
