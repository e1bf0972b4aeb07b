"""The slow second pass over photos and scans: the text read in them (OCR, in the worker pool), chunked,
embedded and added as passages of their file, a bounded number of photos per call."""

import time

import numpy as np

from localsearch.core import chunking, log, ocr, passages
from localsearch.core.embed import variants
from localsearch.core.indexer import OCR_TIMEOUT_FACTOR, Indexer, Progress, Report, settle
from localsearch.core.store.catalog import FileRow, display_path


def read(indexer: Indexer, name: str, max_photos: int | None = None) -> Report:
    """The slow second pass: OCR the photos not read since they changed, in the worker pool.

    max_photos bounds one call, so a watcher can interleave it with fresh changes.
    """
    col = indexer.catalog.collection(name)
    report = Report(collection=name)
    if not (indexer.settings.ocr and ocr.available()):
        return report
    started = time.monotonic()
    left = indexer.catalog.ocr_left(col.id)
    if not left:
        return report
    indexer.embedder = variants.choose(indexer.model, col.model_id, indexer.settings.text_precision)
    if col.model_id is not None and col.model_id != indexer.embedder.model_id:
        return report  # the next index pass re-embeds the collection; text read now would not match
    vindex, _ = indexer.vindex_for(col)
    progress = Progress(name, "reading text", total=min(left, max_photos or left))
    indexer.on_progress(progress)
    pool, timeout = indexer.pool(), indexer.settings.parse_timeout_s * OCR_TIMEOUT_FACTOR
    batch = 2 * indexer.workers
    while not indexer.cancel.is_set() and report.photos_read < progress.total:
        rows = indexer.catalog.ocr_todo(col.id, min(batch, progress.total - report.photos_read))
        if not rows:
            break
        futures = [pool.schedule(ocr.read_text, args=(r.raw_path,), timeout=timeout) for r in rows]
        for row, future in zip(rows, futures):
            if indexer.cancel.is_set():
                future.cancel()  # type: ignore[no-untyped-call]
                continue  # not read: stays to do
            parts, state = _read_one(row, future, timeout)
            title = indexer.catalog.file_title(row.id)  # a PDF's passages read from its scans join its own
            chunks = chunking.chunk_text(*ocr.joined(parts), passages.budget_for(indexer.embedder, title)) \
                if parts else []
            vectors = indexer.embedder.embed_texts([passages.embedding_text(title, c.text) for c in chunks]) \
                if chunks else None
            if vectors is not None and not np.isfinite(vectors).all():  # never into the index
                chunks, vectors, state = [], None, "failed: the text model returned invalid numbers"
            result = indexer.catalog.add_read_text(col.id, row, chunks, vectors, state)
            vindex.add(result.added_ids, result.added_vectors)
            report.photos_read += 1
            report.chunks += len(result.added_ids)
            progress.done += 1
            progress.current = display_path(row.raw_path)
            indexer.on_progress(progress)
    if indexer.image_embedder is not None and col.image_model_id == indexer.image_embedder.model_id:
        indexer.vindex_for(col, "image")  # held, so that saving notes the catalog's new version on it too
    # Not saved here: the caller's save_dirty() does, on its cadence (the watcher steps often).
    indexer.sync_words()
    report.cancelled = indexer.cancel.is_set()
    report.seconds = time.monotonic() - started
    progress.phase = "cancelled" if report.cancelled else "done"
    indexer.on_progress(progress)
    log.index.info("%s: read text in %d photos (%d passages) in %.1f s", name, report.photos_read,
                   report.chunks, report.seconds)
    return report


def _read_one(row: FileRow, future: object, timeout: float) -> tuple[list[tuple[int | None, str]], str]:
    """(text by page, state): a file whose text cannot be read stays indexed; only that text is missing."""
    value, why = settle(future, row.raw_path, "reading text in",
                        f"reading text took longer than {timeout:.0f} s", "text recognition crashed")
    if why is None:
        return list(value), "done"
    log.extract.info("%s: no text read: %s", display_path(row.raw_path), why)
    return [], f"failed: {why}"
