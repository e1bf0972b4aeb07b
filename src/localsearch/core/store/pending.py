"""Passages stored before their vectors.

A run over many files commits each file's text first, so it is found by its words and name as soon as
it is read, and then embeds the passages that have no vector yet, oldest first, in bounded batches
(indexer's backfill). The catalog drives it: a crash or a stop resumes where it was, and searches
meanwhile find those passages by keywords (the vector index holds only passages with vectors).
"""

import sqlite3

import numpy as np

from localsearch.core.store import vecblob

CREATE = "CREATE INDEX chunks_without_vector ON chunks(id) WHERE vector IS NULL"
"""Schema 10: finding what is left to embed reads this small index, not every passage."""


def left(conn: sqlite3.Connection, cid: int) -> int:
    """Passages of the collection that have no vector yet."""
    return int(conn.execute(
        "SELECT count(*) FROM chunks ch JOIN files f ON f.id = ch.file_id WHERE ch.vector IS NULL"
        " AND f.collection_id = ?", (cid,)).fetchone()[0])


def next_batch(conn: sqlite3.Connection, cid: int, limit: int, after: int = 0) -> list[tuple[int, int, str, str | None]]:
    """Up to `limit` of them with ids above `after`, oldest first: (passage id, file id, text, file title)."""
    rows = conn.execute(
        "SELECT ch.id, ch.file_id, ch.text, f.title FROM chunks ch JOIN files f ON f.id = ch.file_id"
        " WHERE ch.vector IS NULL AND ch.id > ? AND f.collection_id = ? ORDER BY ch.id LIMIT ?",
        (after, cid, limit)).fetchall()
    return [(int(i), int(fid), str(text), title) for i, fid, text, title in rows]


def store(conn: sqlite3.Connection, cid: int, ids: list[int], vectors: np.ndarray) -> None:
    """Their vectors, inside the caller's transaction; the collection's vector index moves on with them."""
    conn.executemany("UPDATE chunks SET vector = ? WHERE id = ?",
                     [(vecblob.encode(v), i) for i, v in zip(ids, vectors)])
    conn.execute("UPDATE collections SET vector_version = vector_version + 1 WHERE id = ?", (cid,))


def give_up(conn: sqlite3.Connection, file_ids: list[int], error: str) -> list[int]:
    """Files the model returned invalid numbers for are recorded as failed, without passages, inside the
    caller's transaction; returns the ids of their passages that had vectors (to drop from the index)."""
    marks = ",".join("?" * len(file_ids))
    had = [int(r[0]) for r in conn.execute(
        f"SELECT id FROM chunks WHERE file_id IN ({marks}) AND vector IS NOT NULL", file_ids)]
    conn.execute(f"DELETE FROM chunks WHERE file_id IN ({marks})", file_ids)
    conn.execute(f"UPDATE files SET status = 'failed', error = ? WHERE id IN ({marks})", (error, *file_ids))
    return had
