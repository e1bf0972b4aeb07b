"""The writer's side of the word index (wordindex): build it from the catalog, then keep it current
from the catalog's change log (changelog). Only the process holding the writer lock runs this.

A build copies the passages in id order, BUILD_BATCH a commit, noting how far it came, so a crash or a
stop resumes where it was; it records the log's position from before it began, so changes made during
the build are applied after it. A damaged index, one of another schema version, or one made for another
catalog is removed and built again. Searches use FTS5 whenever this index is not complete and current.
"""

import dataclasses
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localsearch.core import log
from localsearch.core.paths import make_private
from localsearch.core.store import changelog, wordindex
from localsearch.core.store.wordindex import State

BUILD_BATCH = 20_000
SYNC_BATCH = 20_000
WRITER_HEAP = 48_000_000
"""Bytes tantivy buffers before it writes a segment (one thread): the watcher's memory stays small."""


class WordSync:
    def __init__(self, folder: Path, conn: sqlite3.Connection) -> None:
        self.folder = folder
        self.conn = conn
        self._index: Any = None
        self._writer: Any = None
        self.state: State | None = None
        self._checked = False

    def _open(self) -> State | None:
        """The index to write, made or remade as needed; None when tantivy cannot be used here."""
        if self._writer is not None:
            return self.state
        if not wordindex.available():
            return None
        catalog = changelog.catalog_id(self.conn)
        try:
            self._index = wordindex.open_index(self.folder, create=True)
            self._index.reload()
            state = wordindex.read_state(self._index, self._index.searcher())
        except (ValueError, OSError) as e:
            log.index.warning("the fast keyword index is damaged (%s); building it again", e)
            state = None
            self._index = None
        if state is None or state.version != wordindex.VERSION or state.catalog != catalog:
            if state is not None:
                log.index.info("the fast keyword index belongs to another catalog or version; building it again")
            self._index = None
            wordindex.wipe(self.folder)
            self._index = wordindex.open_index(self.folder, create=True)
            state = State(catalog, changelog.last_change(self.conn), 0, False, wordindex.VERSION, uuid.uuid4().hex)
        try:
            self._writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as e:  # held by another writer of this process (never two under the writer lock)
            log.index.warning("the fast keyword index is busy (%s); searches use the catalog's own", e)
            self._index = None
            return None
        self.state = state
        return state

    def _commit(self, state: State) -> None:
        self._writer.delete_documents_by_query(wordindex.term_set(self._index, "meta", [1]))
        self._writer.add_document(wordindex.state_document(state))
        self._writer.commit()
        make_private(self.folder)  # tantivy makes its files with the process' umask
        self.state = state

    def build(self, stop: Callable[[], bool] = lambda: False,
              progress: Callable[[int, int], None] | None = None) -> bool:
        """Copy the passages in until the index is complete (True) or stop() (False: resumed next time)."""
        state = self._open()
        if state is None:
            return False
        if state.complete:
            return True
        top = int(self.conn.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0])
        if state.built_to == 0:
            log.index.info("building the fast keyword index (%d passages)", top)
        while not stop():
            batch = changelog.rows_after(self.conn, state.built_to, BUILD_BATCH)
            if not batch:
                self._commit(dataclasses.replace(state, complete=True))
                log.index.info("the fast keyword index is complete")
                self.sync()
                return True
            for row in batch:  # ids above built_to are not there yet: a crash drops an uncommitted batch whole
                self._writer.add_document(wordindex.document(row))
            state = dataclasses.replace(state, built_to=batch[-1][0])
            self._commit(state)
            if progress is not None:
                progress(min(state.built_to, top), top)
        return False

    def sync(self) -> None:
        """Apply the catalog's changes since the index's last commit (only to a complete index: a build
        in progress applies them once it is done)."""
        state = self._open()
        if state is None or not state.complete:
            return
        applied = state.seq
        while found := changelog.changes(self.conn, applied, SYNC_BATCH):
            ids = sorted({cid for _, cid in found})
            self._writer.delete_documents_by_query(wordindex.term_set(self._index, "id", ids))
            for row in changelog.rows(self.conn, ids):
                self._writer.add_document(wordindex.document(row))
            applied = found[-1][0]
            self._commit(dataclasses.replace(state, seq=applied))
        if self.conn.execute("SELECT 1 FROM keyword_changes WHERE seq <= ? LIMIT 1", (applied,)).fetchone():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                changelog.forget(self.conn, applied)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        if not self._checked:  # once per writer: a damaged index is built again, not kept up to date
            self._checked = True
            reader = wordindex.WordIndex(self.folder)
            if reader.refresh() is not None and not reader.spot_check(self.conn):
                log.index.warning("the fast keyword index does not match the catalog; building it again")
                self.discard()

    def discard(self) -> None:
        """Remove the index (damaged, or a write failed): the next build() makes it again."""
        self._writer = self._index = self.state = None
        self._checked = False
        wordindex.wipe(self.folder)

    def close(self) -> None:
        """Let tantivy finish its merges and release its lock."""
        if self._writer is not None:
            try:
                self._writer.wait_merging_threads()
            except (ValueError, OSError) as e:
                log.index.info("the fast keyword index's merge stopped: %s", e)
        self._writer = self._index = None
