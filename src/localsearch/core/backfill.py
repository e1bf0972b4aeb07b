"""Indexing's second phase: the collection's passages that have no vector yet (store.pending) are embedded
in bounded batches, each batch stored in one transaction with the vector index, the next batch embedded on
a thread of its own meanwhile. A stop leaves the rest for the next run; searches find them by words."""

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from localsearch.core import log, passages
from localsearch.core.embed.base import Embedder
from localsearch.core.store import pending
from localsearch.core.store.catalog import Catalog
from localsearch.core.store.vectors import VectorIndex

Rows = list[tuple[int, int, str, str | None]]
STEP = 32
"""Passages embedded between looks at `cancel` (~0.5 s of the 8-bit model on 2 cores): a stop, e.g. the
window closing, waits for at most this much embedding, and what was embedded before it is kept."""


def invalid_numbers(model: str) -> str:
    """Why a file failed when the text or photo model returned NaN or infinity for it."""
    return f"the {model} model returned invalid numbers (NaN or infinity) for this file"


INVALID = invalid_numbers("text")


class Backfill:
    def __init__(self, catalog: Catalog, cid: int, embedder: Embedder, vindex: VectorIndex, batch: int,
                 cancel: threading.Event, on_batch: Callable[[int, int], None]) -> None:
        self.catalog = catalog
        self.cid = cid
        self.embedder = embedder
        self.vindex = vindex
        self.batch = batch
        self.cancel = cancel
        self.on_batch = on_batch  # (passages embedded so far, passages there were to embed)
        self.failed: list[int] = []  # files given up on

    def run(self) -> int:
        """Embed until nothing is left or cancel is set; returns the passages embedded."""
        total = pending.left(self.catalog.conn, self.cid)
        if not total:
            return 0
        done = 0
        self.on_batch(done, total)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="localsearch-backfill") as thread:
            rows = pending.next_batch(self.catalog.conn, self.cid, self.batch)
            ahead: Future[np.ndarray] | None = thread.submit(self._embed, rows) if rows else None
            while ahead is not None:
                vectors = ahead.result()
                rows = rows[: len(vectors)]  # a stop ends the batch early: the part embedded is kept
                later = [] if self.cancel.is_set() or not rows else pending.next_batch(
                    self.catalog.conn, self.cid, self.batch, after=rows[-1][0])
                ahead = thread.submit(self._embed, later) if later else None
                done += self._store(rows, vectors) if rows else 0
                self.on_batch(done, total)
                rows = later
        return done

    def _embed(self, rows: Rows) -> np.ndarray:
        """The rows' vectors, in steps of STEP; fewer (the first ones) when cancel is set meanwhile."""
        texts = [passages.embedding_text(title, text) for _, _, text, title in rows]
        parts = []
        for at in range(0, len(texts), STEP):
            if at and self.cancel.is_set():
                break
            parts.append(self.embedder.embed_texts(texts[at : at + STEP]))
        return np.concatenate(parts) if parts else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def _store(self, rows: Rows, vectors: np.ndarray) -> int:
        """One transaction: the batch's vectors, or its files recorded as failed where the model returned
        NaN or infinity (never put in the index, where every search would rank them)."""
        finite = np.isfinite(vectors).all(axis=1)
        bad = sorted({fid for (_, fid, _, _), ok in zip(rows, finite) if not ok} - set(self.failed))
        gone = set(bad) | set(self.failed)  # a file given up on in an earlier batch has no passages left
        keep = [i for i, (_, fid, _, _) in enumerate(rows) if fid not in gone]
        ids = [rows[i][0] for i in keep]
        dropped: list[int] = []
        with self.catalog.transaction() as c:
            if bad:
                dropped = pending.give_up(c, bad, INVALID)
            if ids:
                pending.store(c, self.cid, ids, vectors[keep])
        if bad:
            log.index.warning("%d file(s): %s", len(bad), INVALID)
            self.failed.extend(bad)
            self.vindex.remove(dropped)
        if ids:
            self.vindex.add(ids, list(vectors[keep]))
        return len(ids)
