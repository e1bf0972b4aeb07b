"""Schema 11: a catalog's float32 passage vectors rewritten at float16 (see vecblob), then the file compacted.

Rewriting every vector of a big catalog takes a while (~1.3 s per 20,000 passages here), too long for a
migration that blocks searches: the migration only notes the work (`vector_recode`), and the writer does
it in bounded steps, one transaction each, resuming after a stop or a crash (like keywords.fill).
Nothing else changes: the values are the same to float16's precision, so the vector indexes stay valid.

Smaller rows leave their pages partly empty (SQLite does not move rows to fill them), and the keyword
index that schema 12 replaces leaves its pages free: when the rewrite is done, the file is compacted once
(VACUUM: searches go on meanwhile, the writer waits; ~1 s per 20,000 passages here), if the disk has room
for the copy SQLite writes.
"""

import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from localsearch.core import log
from localsearch.core.store import vecblob

TABLE = "vector_recode"
BATCH = 5000
"""Passages rewritten per transaction."""


def _exists(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone() is not None


def migrate(conn: sqlite3.Connection) -> None:
    """Schema 11 (inside the migration's transaction): note the rewrite when there are vectors to rewrite."""
    if conn.execute("SELECT 1 FROM chunks WHERE vector IS NOT NULL LIMIT 1").fetchone() is not None:
        conn.execute(f"CREATE TABLE {TABLE}(next_id INTEGER NOT NULL)")
        conn.execute(f"INSERT INTO {TABLE}(next_id) VALUES (0)")


def pending(conn: sqlite3.Connection) -> bool:
    return _exists(conn)


def step(conn: sqlite3.Connection, batch: int = BATCH) -> bool:
    """One bounded step in its own transaction; True when every vector is at float16."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _exists(conn):
            conn.execute("COMMIT")
            return True
        after = int(conn.execute(f"SELECT next_id FROM {TABLE}").fetchone()[0])
        rows = conn.execute("SELECT ch.id, ch.vector, c.dim FROM chunks ch JOIN files f ON f.id = ch.file_id"
                            " JOIN collections c ON c.id = f.collection_id"
                            " WHERE ch.id > ? AND ch.vector IS NOT NULL ORDER BY ch.id LIMIT ?",
                            (after, batch)).fetchall()
        conn.executemany("UPDATE chunks SET vector = ? WHERE id = ?",
                         [(vecblob.half(blob, int(dim)), cid) for cid, blob, dim in rows
                          if dim and len(blob) == 4 * int(dim)])
        if rows:
            conn.execute(f"UPDATE {TABLE} SET next_id = ?", (rows[-1][0],))
        else:
            conn.execute(f"DROP TABLE {TABLE}")
        conn.execute("COMMIT")
        return not rows
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def compact(conn: sqlite3.Connection, path: Path) -> bool:
    """VACUUM, when the disk holds two copies of the file (SQLite writes the compacted file through the
    write-ahead log, then copies it back); True when it ran."""
    size = path.stat().st_size
    free = shutil.disk_usage(path.parent).free
    if free < 2 * size + (64 << 20):
        log.store.info("catalog not compacted: %.0f MB free on the disk, %.0f MB needed", free / 2**20,
                       2 * size / 2**20)
        return False
    started = time.monotonic()
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # a reader still at an older state: done later
    except sqlite3.OperationalError as e:  # the disk filled meanwhile, say: the catalog is whole as it was
        log.store.warning("catalog not compacted: %s", e)
        return False
    log.store.info("catalog compacted: %.0f -> %.0f MB in %.1f s", size / 2**20, path.stat().st_size / 2**20,
                   time.monotonic() - started)
    return True


def run(conn: sqlite3.Connection, path: Path, stop: Callable[[], bool] = lambda: False,
        progress: Callable[[int, int], None] | None = None,
        compacting: Callable[[bool], None] | None = None) -> bool:
    """Steps until every vector is at float16 (then compacts, if worth it) or `stop()`; True when done. The
    caller holds the writer lock; progress(done, total) is told in passage ids, compacting(True) before the
    VACUUM (one step with no count: ~25 s at 1M passages) and compacting(False) after it."""
    total = int(conn.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0])
    while not stop():
        if step(conn):  # the note exists only where float32 vectors were: rows shrank, pages are to give back
            log.store.info("passage vectors are now stored at half width (float16)")
            if compacting is not None:
                compacting(True)
            try:
                compact(conn, path)
            finally:
                if compacting is not None:
                    compacting(False)
            return True
        if progress is not None and _exists(conn):
            progress(min(int(conn.execute(f"SELECT next_id FROM {TABLE}").fetchone()[0]), total), total)
    return False
