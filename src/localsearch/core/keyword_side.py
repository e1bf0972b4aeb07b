"""The keyword stage of a search: BM25 from the fast word index (tantivy) when it holds exactly what the
catalog does, else from the catalog's own FTS5 table; either never answers from damage."""

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from localsearch.core import check, log, search
from localsearch.core.errors import KnownError
from localsearch.core.store import changelog, wordindex
from localsearch.core.store.catalog import Catalog

KEYWORD_SPLIT_AT = 250_000
"""From this many passages BM25 runs as KEYWORD_PARTS id ranges in parallel: at 1M passages on 2
cores the whole search measured p95 24.7-30.9 ms split vs 27.3-40.1 ms as one query (12 runs
interleaved, bench/README.md). Below it the split's fixed cost (each range re-reads the terms'
document counts) outweighs it."""
KEYWORD_PARTS = 2
WORDS_RETRY_S = 10.0
"""How often a fast keyword index that failed its check is looked at again (the writer rebuilds it)."""


class KeywordSide:
    """reader: this thread's read connection (searcher.Searcher.reader); helper: the pool the keyword
    search runs on beside the query's embedding."""

    def __init__(self, words_dir: Path, reader: Callable[[], Catalog], helper: ThreadPoolExecutor) -> None:
        self.reader = reader
        self._helper = helper
        self._keywords_ok = False  # the keyword index passed its spot check since the last forget()
        self._words = wordindex.WordIndex(words_dir)
        self._words_lock = threading.Lock()
        self._words_checked: wordindex.State | None = None  # the state that passed the spot check
        self._words_bad: wordindex.State | None = None  # the state that failed it
        self._words_bad_at = 0.0

    def forget(self) -> None:
        """Check both indexes again at the next search (after an index run, a repair, a removal)."""
        self._keywords_ok = False
        self._words_checked = None  # opened and checked again at the next search
        self._words.state = None

    def verify(self) -> None:
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

    def start(self, query: str, ids: list[int], depth: int,
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
                    return self._fts5(query, ids, depth, every)()
            return fast_wait
        return self._fts5(query, ids, depth, every)

    def _fts5(self, query: str, ids: list[int], depth: int,
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
