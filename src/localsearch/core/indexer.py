"""The one writer: scan -> diff against the catalog -> extract (worker processes) -> chunk -> embed -> commit.

Incremental by mark and sweep (as rclip does): unchanged files (size + mtime) are skipped, changed
ones replaced, vanished ones removed, and renamed or moved ones keep their vectors (content hash).
Work is committed in batches, each one SQLite transaction, so an interrupted run (Ctrl-C, kill -9,
power loss) loses at most the batch in flight and the next run finishes the job.
"""

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import CancelledError, Future
from concurrent.futures import wait as wait_for
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pebble import ProcessExpired, ProcessPool

from localsearch.core import (backfill, check, chunking, extract, extract_worker, log, passages, priority, repair,
                              scanner, sweep)
from localsearch.core.backfill import Backfill
from localsearch.core.embed import variants
from localsearch.core.embed.base import Embedder, gpu_likely
from localsearch.core.embed.image import ImageEmbedder
from localsearch.core.embed_stage import EmbedStage
from localsearch.core.errors import ExtractionError
from localsearch.core.extract.limits import Limits
from localsearch.core.paths import Paths
from localsearch.core.settings import Settings
from localsearch.core.store import compact, keywords, successor, wordsync
from localsearch.core.store.catalog import Catalog, Collection, FileResult, FileRow, display_path
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.types import Chunk, Extracted


TEXT_FIRST_FILES = 20
"""A run reading at least this many files with a CPU model commits their text first (found by words and
name as soon as read) and embeds afterwards (see backfill); a smaller one, a watcher's edit, embeds
before committing, so an edited file is found by meaning as soon as by words; so does a run on a GPU."""
WORDS_EVERY_S = 2.0
"""A run brings the fast keyword index up to the catalog at most this often, and when it ends: each
update is a tantivy commit (40 ms), which at a GPU's pace (a batch every 0.2 s) would be a fifth of the
writer's time. Searches use FTS5, which every commit keeps current, while that index is behind."""


@dataclass
class Progress:
    collection: str
    # scanning | upgrading keywords | compacting | compacting file | indexing | embedding | reading text | done
    # | cancelled
    phase: str
    # indexing counts files committed (findable); embedding (a big run's second phase, see backfill) counts passages
    done: int = 0
    total: int = 0
    chunks: int = 0
    failures: int = 0
    current: str | None = None
    switching: str | None = None  # the model a switch indexes with, while the old index serves


@dataclass
class Report:
    collection: str
    scanned: int = 0
    unchanged: int = 0
    touched: int = 0  # of `unchanged`, files whose mtime moved but whose content did not (nothing re-read)
    added: int = 0
    updated: int = 0
    retried: int = 0
    moved: int = 0
    removed: int = 0
    failed: int = 0
    chunks: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    reindexed_from: str | None = None  # the model a collection was indexed with before this pass switched it
    switching_to: str | None = None  # the model this pass indexes into the collection's next index (unfinished)
    photos_read: int = 0  # photos and scanned PDFs the OCR pass read (with or without text found)
    reused: int = 0  # files whose content was already indexed: their vectors were reused, not made again
    reused_chunks: int = 0  # of `chunks`, the passages whose vectors were reused
    offline: list[str] = field(default_factory=list)  # folders missing now: their files are kept, not shown
    vector_index: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)


ProgressFn = Callable[[Progress], None]


def name_chunk(raw_path: bytes) -> Chunk:
    """Files with no text (unknown types, photos until the image model) are found by their name."""
    name = display_path(os.path.basename(raw_path))
    return Chunk(0, len(name), name, None)


def chunks_for(raw_path: bytes, extracted: Extracted, budget: chunking.Budget = chunking.WORDS) -> list[Chunk]:
    chunks = chunking.chunk_text(extracted.text, extracted.pages, budget)
    return chunks or [name_chunk(raw_path)]


OCR_TIMEOUT_FACTOR = 10
"""A scanned PDF is read page by page (~1-2 s each here): give OCR ten parse time limits per file."""


def limits_from(settings: Settings) -> Limits:
    return Limits(max_file_bytes=settings.max_file_bytes)


def _worker_context() -> multiprocessing.context.BaseContext:
    """forkserver: workers never fork a parent that holds torch's (or Qt's) threads.

    No preload list: with one, the server would re-import the caller's __main__ script.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def settle(future: object, raw_path: bytes, doing: str, timed_out: str, crashed: str) -> tuple[Any, str | None]:
    """A worker's outcome: (its result, None), or (None, why it failed, in plain words)."""
    try:
        return future.result(), None  # type: ignore[attr-defined]
    except FutureTimeout:
        return None, timed_out
    except ExtractionError as e:
        return None, str(e)
    except ProcessExpired as e:
        return None, f"{crashed} (exit code {e.exitcode})"
    except CancelledError:
        return None, "cancelled"
    except Exception as e:  # a bug in our code or a parser: keep going, but keep the traceback
        log.extract.exception("unexpected error %s %s", doing, display_path(raw_path))
        return None, f"internal error: {type(e).__name__}: {e}"


class Indexer:
    """Owns the writes of one catalog. Holds its worker pool and vector indexes until close()."""

    def __init__(self, catalog: Catalog, vectors_dir: Path, embedder: Embedder, settings: Settings,
                 on_progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                 workers: int | None = None, image_embedder: ImageEmbedder | None = None) -> None:
        self.catalog = catalog
        self.image_embedder = image_embedder
        self.vectors_dir = vectors_dir
        self.model = embedder  # as configured; self.embedder is the variant that indexes the collection at hand
        self.embedder = embedder
        self.settings = settings
        self.on_progress = on_progress or (lambda p: None)
        self.cancel = cancel or threading.Event()
        self.workers = workers or max(1, min(4, (os.cpu_count() or 2)))
        self.save_every_s = 60.0
        # The watcher retrains a grown or drifted IVF in the background and keeps indexing changes;
        # a one-off `localsearch index` waits for it, so the index it leaves is the final one.
        self.background_rebuild = False
        self.background = False  # the watcher's: workers run at background priority (see core.priority)
        self._last_save = time.monotonic()
        self._pool: ProcessPool | None = None
        self._vindexes: dict[tuple[int, str], VectorIndex] = {}
        self._keywords_checked = False
        self.words = wordsync.WordSync(Paths.words_beside(catalog.path), catalog.conn)

    def pool(self) -> ProcessPool:
        if self._pool is None or not self._pool.active:
            self._pool = ProcessPool(max_workers=self.workers, max_tasks=500, context=_worker_context(),
                                     initializer=priority.lower_worker if self.background else None)
        return self._pool

    def close(self) -> None:
        """Stop the workers and write every vector index that has unsaved changes."""
        if self._pool is not None:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=10)
            self._pool = None
        self.save_dirty()
        self._vindexes.clear()
        self.words.close()

    def save_dirty(self, due_only: bool = False) -> None:
        """Bring every index file up to the catalog: changed ones are written, unchanged ones that the
        catalog moved past (text read in photos leaves photo vectors alone) get their version noted,
        so readers load them instead of rebuilding. due_only: only once save_every_s has passed; an
        index file is rewritten whole (1.5 GB at 1M vectors), too much for every small step. The fast
        keyword index is brought up to date every time (cheap when nothing changed)."""
        self.sync_words()
        for vindex in self._vindexes.values():
            vindex.finish_rebuild()
        if due_only and time.monotonic() - self._last_save < self.save_every_s:
            return
        for (cid, _), vindex in self._vindexes.items():
            col = self.catalog.collection_by_id(cid)
            side = vindex.read_sidecar()
            if vindex.dirty or (side is not None and side.version != col.vector_version):
                vindex.touch_for(col)
        self._last_save = time.monotonic()

    def sync_words(self) -> None:
        """Apply the catalog's latest changes to the fast keyword index; a failure there (disk full, a
        damaged file) never stops indexing: that index is dropped and built again, FTS5 serving meanwhile."""
        try:
            self.words.sync()
        except (ValueError, OSError) as e:
            log.index.warning("the fast keyword index could not be updated (%s); it will be built again", e)
            self.words.discard()

    def _build_words(self, name: str) -> None:
        """Build the fast keyword index if it is missing (a new install, an upgrade, a damaged one), in
        bounded commits that a stop resumes; searches use FTS5 until it is complete."""
        try:
            self.words.build(self.cancel.is_set,
                             lambda done, total: self.on_progress(Progress(name, "upgrading keywords", done, total)))
        except (ValueError, OSError) as e:
            log.index.warning("the fast keyword index could not be built (%s); searches use FTS5", e)
            self.words.discard()

    @property
    def rebuilding(self) -> bool:
        return bool(self.rebuilding_collections())

    def rebuilding_collections(self) -> set[int]:
        return {cid for (cid, _), v in self._vindexes.items() if v.rebuilding}

    def vindex_for(self, col: Collection, space: str = "text") -> tuple[VectorIndex, str]:
        dim = self.embedder.dim if space == "text" else self.image_embedder.dim  # type: ignore[union-attr]
        cached = self._vindexes.get((col.id, space))
        if cached is not None and cached.dim == dim:
            return cached, "cached"
        vindex = VectorIndex(self.vectors_dir, col.id, dim, compression=self.settings.vector_compression,
                             space=space)
        state = vindex.load_or_rebuild(self.catalog, col)
        self._vindexes[(col.id, space)] = vindex
        return vindex, state

    # --- entry points -------------------------------------------------------------------------

    def index(self, name: str, add_roots: Sequence[str] = ()) -> Report:
        """A full pass over the collection's folders: catch up with everything that changed."""
        if not self._keywords_checked:  # verified once per writer; a damaged one is rebuilt from the passages
            self._keywords_checked = True
            if not check.keywords_answer(self.catalog):
                log.index.warning("the keyword index is damaged; rebuilding it from the passages")
                repair.rebuild_keywords(self.catalog)
        self._upgrade_catalog(name)
        self._build_words(name)
        col = self.catalog.ensure_collection(name)
        for root in add_roots:
            self.catalog.add_root(col.id, os.path.abspath(os.path.expanduser(root)))
        report = Report(collection=name)
        target = self._bind_model(col, report)
        self.on_progress(Progress(name, "scanning", switching=report.switching_to))
        roots = self.catalog.roots(col.id)
        scan = scanner.scan(roots, self.settings.excludes, self._bounds(roots))
        scan.protected.extend(scan.missing)  # a root that is gone (unmounted drive) keeps its index
        report.offline = [display_path(m) for m in scan.missing]
        for folder in report.offline:
            log.index.info("%s: folder %s is missing (unplugged or moved?); its files are kept but not shown",
                              name, folder)
        self._run(target, scan, self.catalog.files(target.id), report, full=True)
        if target.id != col.id and not report.cancelled:
            self._take_over(col, target, report)
        return report

    def _take_over(self, col: Collection, succ: Collection, report: Report) -> None:
        """A complete pass of the successor: it becomes the collection (store.successor), the old vector
        index files go."""
        self.save_dirty()  # the successor's vector index is on disk, complete, before it serves
        successor.take_over(self.catalog, col, succ)
        self._forget_vectors(col.id)
        text = col.model_id != succ.model_id
        report.reindexed_from = col.model_id if text else col.image_model_id  # the model that changed
        report.switching_to = None
        log.index.info("%s: switched from %s to %s", col.name, report.reindexed_from,
                       succ.model_id if text else succ.image_model_id)

    def _upgrade_catalog(self, name: str) -> None:
        """A catalog from before schema 5: fill the keyword index that matches word forms, a bounded
        step per commit, while the old one keeps serving searches (see store.keywords; from before schema 12:
        the index without its own copy of the text); one from before schema 11: store its vectors at half
        width, then compact the file (see store.compact)."""
        def progress(done: int, total: int) -> None:
            self.on_progress(Progress(name, "upgrading keywords", done, total))

        if keywords.filling(self.catalog.conn):
            log.index.info("upgrading the keyword index to match word forms")
            if not keywords.fill(self.catalog.conn, self.cancel.is_set, progress):
                return
        if compact.pending(self.catalog.conn):
            compact.run(self.catalog.conn, self.catalog.path, self.cancel.is_set,
                        lambda done, total: self.on_progress(Progress(name, "compacting", done, total)),
                        lambda going: self.on_progress(Progress(name, "compacting file", 0 if going else 1, 1)))

    def update(self, name: str, changed: Iterable[bytes]) -> Report:
        """Re-check just these paths (files or folders, present or gone): what a watcher batch needs."""
        col = self.catalog.collection(name)
        report = Report(collection=name)
        target = self._bind_model(col, report)  # during a model switch, changes go to the next index
        roots = [os.fsencode(r) for r in self.catalog.roots(col.id)]
        live_roots = [r for r in roots if os.path.isdir(r)]
        scope = sorted({
            p for p in changed
            if any(scanner.under_any(p, [r]) and not scanner.excluded_below(p, r, self.settings.excludes)
                   for r in live_roots)
        })
        if not scope:
            return report
        scan = scanner.scan(scope, self.settings.excludes, self._bounds(self.catalog.roots(col.id)))
        return self._run(target, scan, self.catalog.files_under(target.id, scope), report, full=False)

    def _bounds(self, roots: list[str]) -> list[str] | None:
        """The folders links may lead into: the collection's own, unless the user allows any."""
        return None if self.settings.follow_symlinks_outside else roots

    def read_photo_text(self, name: str, max_photos: int | None = None) -> Report:
        """The slow second pass: OCR the photos not read since they changed (photo_text.read)."""
        from localsearch.core import photo_text

        return photo_text.read(self, name, max_photos)

    def _run(self, col: Collection, scan: scanner.ScanResult, known: dict[bytes, FileRow], report: Report,
             full: bool) -> Report:
        started = time.monotonic()
        vindex, report.vector_index = self.vindex_for(col)
        ivindex = self.vindex_for(col, "image")[0] if self.image_embedder is not None else None
        report.scanned = len(scan.files)
        todo, missing = sweep.diff(scan, known, report)
        todo = sweep.same_content(self.catalog, todo, known, report)
        if missing:
            sweep.moved_or_gone(self.catalog, col, vindex, ivindex, known, todo, missing, report,
                                self.settings.max_file_bytes)
            self.sync_words()
        sweep.count_changes(known, todo, report)
        run = _Run(self, col, vindex, ivindex, report, total=len(todo) + len(scan.problems))
        run.record_problems(scan.problems)
        try:
            run.process(todo)
            run.finish()
        finally:
            run.stage.close()
        if full and not report.cancelled:
            self.catalog.touch_indexed(col.id)
        report.seconds = time.monotonic() - started
        log.index.info(
            "%s: %d files scanned, %d new, %d changed, %d retried, %d moved, %d removed, %d failed, %d chunks"
            " in %.1f s%s", report.collection, report.scanned, report.added, report.updated, report.retried, report.moved,
            report.removed, report.failed, report.chunks, report.seconds, " (cancelled)" if report.cancelled else "",
        )
        return report

    def _bind_model(self, col: Collection, report: Report) -> Collection:
        """The collection to index into. Vectors of two models (or two variants of one) never share an
        index: a collection made by another model than the configured one is indexed again into its
        successor while it keeps serving (store.successor); one with nothing indexed yet is simply bound."""
        image_id = self.image_embedder.model_id if self.image_embedder is not None else None
        self.embedder = variants.choose(self.model, col.model_id, self.settings.text_precision)
        changed = (col.model_id is not None and col.model_id != self.embedder.model_id) or \
                  (col.image_model_id is not None and col.image_model_id != image_id)
        target = col
        if changed and not self.catalog.has_files(col.id):
            self.catalog.clear_vectors(col.id)  # nothing to serve meanwhile: bind it anew
            self.embedder = variants.choose(self.model, None, self.settings.text_precision)
        elif changed:
            target = successor.start(self.catalog, col)
            self.embedder = variants.choose(self.model, target.model_id, self.settings.text_precision)
            if (target.model_id not in (None, self.embedder.model_id)
                    or target.image_model_id not in (None, image_id)):  # a successor for a model since left
                self._forget_vectors(target.id)
                successor.discard(self.catalog, col)
                target = successor.start(self.catalog, col)
                self.embedder = variants.choose(self.model, None, self.settings.text_precision)
            report.switching_to = self.embedder.model_id if col.model_id != self.embedder.model_id else image_id
            log.index.info("%s: switching from %s to %s in the background; the current index serves meanwhile",
                           col.name, col.model_id if col.model_id != self.embedder.model_id else col.image_model_id,
                           report.switching_to)
        elif (stale := successor.discard(self.catalog, col)) is not None:  # the model was changed back
            self._forget_vectors(stale.id)
        fresh = self.catalog.collection_by_id(target.id)
        if fresh.model_id is None:
            self.catalog.set_model(target.id, self.embedder.model_id, self.embedder.dim)
        if fresh.image_model_id is None and image_id is not None:
            self.catalog.set_image_model(target.id, image_id)
        return self.catalog.collection_by_id(target.id)

    def _forget_vectors(self, cid: int) -> None:
        for space in ("text", "image"):
            self._vindexes.pop((cid, space), None)
            VectorIndex(self.vectors_dir, cid, 1, space=space).delete_files()

class _Run:
    """One pass over the files to (re)index: a bounded pipeline with batched commits."""

    def __init__(self, owner: Indexer, col: Collection, vindex: VectorIndex, ivindex: VectorIndex | None,
                 report: Report, total: int) -> None:
        self.o = owner
        self.col = col
        self.vindex = vindex
        self.ivindex = ivindex
        self.report = report
        self.progress = Progress(report.collection, "indexing", total=total, switching=report.switching_to)
        self.pending: list[FileResult] = []
        self.pending_chunks = 0
        self.last_flush = time.monotonic()
        self.last_save = time.monotonic()
        self.last_words = 0.0
        s = owner.settings
        # A model switch keeps its old index serving meanwhile: there, words first would gain nothing. A GPU
        # keeps up with reading (its batches commit every second or so) and gains more from the overlap.
        self.text_first = total >= TEXT_FIRST_FILES and not report.switching_to and not gpu_likely(s.device)
        self.stage = EmbedStage(owner.embedder, owner.image_embedder, s.commit_every_chunks, s.embed_budget_s,
                                max(64, 4 * s.embed_batch), text=not self.text_first)

    def record_problems(self, problems: list[tuple[bytes, str]]) -> None:
        for raw, reason in problems:
            self._add(FileResult(raw, 0, 0, None, "document", error=reason))

    def _add(self, result: FileResult) -> None:
        if result.error:
            self._failed(display_path(result.raw_path), result.error)
            log.extract.info("%s: %s", display_path(result.raw_path), result.error)
        if self.pending and self.pending_chunks + len(result.chunks) > self.o.settings.commit_every_chunks:
            self.flush()  # a big file commits on its own: the files before it do not wait for its embedding
        self._commit(self.stage.ready())  # a batch the model has finished is not kept waiting
        self.pending.append(result)
        self.pending_chunks += len(result.chunks)
        self.progress.current = display_path(result.raw_path)
        due = time.monotonic() - self.last_flush > 10.0
        if self.pending_chunks >= self.o.settings.commit_every_chunks or due:
            self.flush()
        self.o.on_progress(self.progress)

    def process(self, todo: list[scanner.Entry]) -> None:
        if not todo:
            return
        limits = limits_from(self.o.settings)
        timeout = self.o.settings.parse_timeout_s
        ahead = 2 * self.o.workers + 2
        pool = self.o.pool()
        inflight: deque[tuple[scanner.Entry, Future[Any]]] = deque()
        entries = iter(todo)
        try:
            while True:
                while len(inflight) < ahead and (entry := next(entries, None)) is not None:
                    too_large = limits.too_large(entry.size)
                    if too_large:
                        self._add(self._failure(entry, too_large))
                        continue
                    if entry.size == 0:
                        self._add(self._failure(entry, "empty file (nothing to index)"))
                        continue
                    inflight.append((entry, pool.schedule(extract_worker.run, args=(entry.raw_path, limits),
                                                          timeout=timeout)))
                if not inflight or self.o.cancel.is_set():
                    break
                entry, future = inflight[0]
                while not future.done() and not self.o.cancel.is_set():  # a stop need not wait for a parse
                    wait_for([future], timeout=0.1)
                if self.o.cancel.is_set():
                    break
                inflight.popleft()
                self._add(self._collect(entry, future, timeout))
        finally:
            for _, future in inflight:
                future.cancel()
        if self.o.cancel.is_set():
            self.report.cancelled = True

    def _failure(self, entry: scanner.Entry, reason: str) -> FileResult:
        return FileResult(entry.raw_path, entry.size, entry.mtime_ns, None,
                          extract.kind_of(Path(os.fsdecode(entry.raw_path))), error=reason)

    def _collect(self, entry: scanner.Entry, future: object, timeout: float) -> FileResult:
        value, why = settle(future, entry.raw_path, "extracting",
                            f"parsing took longer than {timeout:.0f} s and was abandoned",
                            "the parser crashed on this file")
        if why is not None:
            return self._failure(entry, why)
        digest, extracted = value
        kind = extract.kind_of(Path(os.fsdecode(entry.raw_path)))
        title = passages.title_of(extracted) if extracted.text else None
        chunks, note = chunks_for(entry.raw_path, extracted, passages.budget_for(self.o.embedder, title)), None
        cap = self.o.settings.max_passages_per_file
        if len(chunks) > cap:
            chunks, note = chunks[:cap], f"truncated after {cap} passages (of {len(chunks)})"
            log.index.info("%s: %s", display_path(entry.raw_path), note)
        return FileResult(entry.raw_path, entry.size, entry.mtime_ns, digest, kind, chunks=chunks,
                          image=extracted.image, needs_ocr=kind == "photo" or bool(extracted.unread_pages), note=note,
                          title=title)

    def flush(self) -> None:
        """Hand the pending files to the embedding stage and commit the batch it finished before them."""
        if not self.pending:
            return
        batch, self.pending, self.pending_chunks = self.pending, [], 0
        self.last_flush = time.monotonic()
        image_model = self.o.image_embedder.model_id if self.o.image_embedder is not None else None
        reused, reused_chunks = passages.reuse_stored(self.o.catalog, batch, self.o.embedder.model_id, image_model)
        self.report.reused += reused
        self.report.reused_chunks += reused_chunks
        self._commit(self.stage.push(batch))

    def _commit(self, batch: list[FileResult] | None) -> None:
        if not batch:
            return
        for r in batch:
            self._refuse_invalid(r)
        result = self.o.catalog.commit_files(self.col.id, batch)
        self.progress.done += len(batch)  # a file counts once committed (findable): the rate holds the commits
        self.vindex.remove(result.removed_ids)
        self.vindex.add(result.added_ids, result.added_vectors)
        if self.ivindex is not None:
            self.ivindex.remove(result.removed_image_ids)
            self.ivindex.add(result.added_image_ids, result.added_image_vectors)
        self.report.chunks += len(result.added_ids)
        self.progress.chunks += len(result.added_ids)
        if time.monotonic() - self.last_words > WORDS_EVERY_S:
            self.o.sync_words()
            self.last_words = time.monotonic()
        if self._save_due():
            self.save()

    def _save_due(self) -> bool:
        """Every save_every_s, and at once when the collection's first vectors have no file yet: a search
        from another process would otherwise rebuild the index from the catalog (and warn) until then."""
        return time.monotonic() - self.last_save > self.o.save_every_s or \
            (self.vindex.count > 0 and not self.vindex.file.exists())

    def _backfill(self) -> None:
        """Embed what was committed without vectors: this run's text-first files, or a stopped run's."""
        def progress(done: int, total: int) -> None:
            self.progress.phase, self.progress.done, self.progress.total = "embedding", done, total
            self.progress.current = None
            self.o.on_progress(self.progress)
            if self._save_due():
                self.save()

        fill = Backfill(self.o.catalog, self.col.id, self.o.embedder, self.vindex,
                        self.o.settings.commit_every_chunks, self.o.cancel, progress)
        embedded = fill.run()
        self.report.chunks += embedded
        self.progress.chunks += embedded
        for path in self.o.catalog.paths_of(fill.failed):
            self._failed(path, backfill.invalid_numbers("text"))
        if self.o.cancel.is_set():
            self.report.cancelled = True

    def _refuse_invalid(self, r: FileResult) -> None:
        """A model that returns NaN or inf (a broken custom model, an fp16 overflow) must not put them in
        the index, where every search would rank them: the file is recorded as failed instead."""
        which = ("text" if r.vectors is not None and not np.isfinite(r.vectors).all() else
                 "photo" if r.image_vector is not None and not np.isfinite(r.image_vector).all() else None)
        if which is None or r.error:
            return
        r.error = backfill.invalid_numbers(which)
        r.chunks, r.vectors, r.image_vector = [], None, None
        self._failed(display_path(r.raw_path), r.error)
        log.index.warning("%s: %s", display_path(r.raw_path), r.error)

    def _failed(self, path: str, reason: str) -> None:
        """A file that could not be indexed, counted and listed in the report and the progress."""
        self.report.failed += 1
        self.progress.failures += 1
        self.report.errors.append((path, reason))

    def save(self) -> None:
        col = self.o.catalog.collection_by_id(self.col.id)
        for vi in (self.vindex, self.ivindex):
            if vi is not None:
                vi.save_for(col)
        self.last_save = time.monotonic()

    def finish(self) -> None:
        self.flush()
        self._commit(self.stage.drain())
        self.o.sync_words()
        if not self.o.cancel.is_set():
            self._backfill()
        self.vindex.finish_rebuild()
        if not self.report.cancelled and not self.vindex.rebuilding and self.vindex.needs_reshape():
            # Searches keep using the old index (their copy, and the saved file) until the new one is saved.
            col = self.o.catalog.collection_by_id(self.col.id)
            log.index.info("%s: reorganising the vector index (%d vectors, drift %.2f)", col.name,
                           self.vindex.count, self.vindex.drift())
            self.vindex.start_rebuild(self.o.catalog, col)
            if not self.o.background_rebuild:
                self.vindex.finish_rebuild(wait=True)
        version = self.o.catalog.collection_by_id(self.col.id).vector_version
        if any(vi is not None and (vi.dirty or (side := vi.read_sidecar()) is None or side.version != version)
               for vi in (self.vindex, self.ivindex)):
            self.save()
        self.progress.phase = "cancelled" if self.report.cancelled else "done"
        self.o.on_progress(self.progress)
