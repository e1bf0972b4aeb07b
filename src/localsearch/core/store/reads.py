"""The catalog's read queries: passages and their files for hits, vectors to build an index from, BM25
over the FTS5 table, word counts for coverage, and each collection's figures and failures. A part of
store.catalog.Catalog (its connection is this one's)."""

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from localsearch.core.store import keywords, vecblob


@dataclass(frozen=True)
class ChunkRow:
    id: int
    file_id: int
    collection: str
    path: str
    kind: str
    start: int
    end: int
    page: int | None
    text: str
    mtime_ns: int | None = None
    hash: str | None = None  # of the file's content: copies of one file are one result


class Reads:
    conn: sqlite3.Connection
    _vocab: bool  # this connection's view of the keyword index's vocabulary (temp.words_vocab) exists

    def failures(self, cid: int | None = None) -> list[tuple[str, str, str]]:
        """(collection, path, reason) of every file that failed, for `status` and the window."""
        sql = (
            "SELECT c.name, f.path, f.error FROM files f JOIN collections c ON c.id = f.collection_id"
            " WHERE f.status = 'failed'"
        )
        args: tuple[int, ...] = ()
        if cid is not None:
            sql += " AND c.id = ?"
            args = (cid,)
        return [(r[0], r[1], r[2] or "") for r in self.conn.execute(sql + " ORDER BY c.name, f.path", args)]

    def notes(self, cid: int) -> list[tuple[str, str]]:
        """(path, note) of every file indexed only in part, for `status` and the window."""
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT path, note FROM files WHERE collection_id = ? AND note IS NOT NULL ORDER BY path", (cid,))]

    # --- vectors and chunks -------------------------------------------------------------------

    _SPACES = {
        # space -> (id, vector, FROM ... WHERE collection and vector present)
        "text": ("ch.id", "ch.vector", "chunks ch JOIN files f ON f.id = ch.file_id"
                 " WHERE f.collection_id = ? AND ch.vector IS NOT NULL"),
        "image": ("iv.file_id", "iv.vector", "image_vectors iv JOIN files f ON f.id = iv.file_id"
                  " WHERE f.collection_id = ?"),
    }

    def vector_count(self, cid: int, space: str = "text") -> int:
        _, _, source = self._SPACES[space]
        return int(self.conn.execute(f"SELECT count(*) FROM {source}", (cid,)).fetchone()[0])

    def iter_vectors(self, cid: int, dim: int, batch: int = 50_000,
                     space: str = "text") -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All (ids, vectors) of a collection in batches, to rebuild its FAISS index."""
        key, vector, source = self._SPACES[space]
        cur = self.conn.execute(f"SELECT {key}, {vector} FROM {source} ORDER BY {key}", (cid,))
        while rows := cur.fetchmany(batch):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            if space == "text":
                vecs = vecblob.decode_many([r[1] for r in rows], dim)
            else:  # photo vectors are stored as float32 (see vecblob)
                vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
            yield ids, vecs

    _CHUNK_ROW = ("SELECT ch.id, ch.file_id, c.name, f.path, f.kind, ch.start, ch.end, ch.page, ch.text, f.mtime_ns,"
                  " f.hash FROM chunks ch JOIN files f ON f.id = ch.file_id JOIN collections c ON c.id = f.collection_id")

    def chunk_texts(self, ids: Iterable[int]) -> dict[int, str]:
        """Passages' text alone, by chunk id."""
        wanted = list(ids)
        out: dict[int, str] = {}
        for i in range(0, len(wanted), 900):
            part = wanted[i : i + 900]
            marks = ",".join("?" * len(part))
            out.update((int(r[0]), str(r[1])) for r in self.conn.execute(
                f"SELECT id, text FROM chunks WHERE id IN ({marks})", part))
        return out

    def chunk_rows(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        ids = list(ids)
        if not ids:
            return {}
        out: dict[int, ChunkRow] = {}
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            q = ",".join("?" * len(part))
            for r in self.conn.execute(
                f"{self._CHUNK_ROW} WHERE ch.id IN ({q})",
                part,
            ):
                out[r[0]] = ChunkRow(*r)
        return out

    def photo_rows(self, file_ids: Iterable[int]) -> dict[int, ChunkRow]:
        """For image hits (keyed by file): the photo's first passage (its name and labels)."""
        out: dict[int, ChunkRow] = {}
        for fid in file_ids:
            r = self.conn.execute(f"{self._CHUNK_ROW} WHERE ch.file_id = ? ORDER BY ch.ord LIMIT 1",
                                  (fid,)).fetchone()
            if r:
                out[fid] = ChunkRow(*r)
        return out

    def keyword_search(self, fts_query: str, collection_ids: list[int], limit: int,
                       every_collection: bool = False, rowids: tuple[int, int] | None = None) -> list[tuple[int, float]]:
        """BM25 over passage text and file path; (chunk id, bm25 where lower is better).

        When every collection is searched, the FTS table is read alone: joining each match to its
        chunk and file to filter by collection costs 2-3x the time at 1M passages. rowids limits
        the search to a range of chunk ids; BM25's statistics stay those of the whole table, so the
        top hits of several ranges merge into the top hits of all.
        """
        if not fts_query or not collection_ids:
            return []
        lo, hi = rowids if rowids is not None else (-(2**63), 2**63 - 1)
        t = keywords.serving_table(self.conn)
        if every_collection:
            sql = (f"SELECT rowid, bm25({t}, 1.0, 0.5) AS rank FROM {t} WHERE {t} MATCH ?"
                   " AND rowid BETWEEN ? AND ? ORDER BY rank LIMIT ?")
            rows = self.conn.execute(sql, (fts_query, lo, hi, limit)).fetchall()
        else:
            q = ",".join("?" * len(collection_ids))
            rows = self.conn.execute(
                f"SELECT {t}.rowid, bm25({t}, 1.0, 0.5) AS rank FROM {t}"
                f" JOIN chunks ch ON ch.id = {t}.rowid JOIN files f ON f.id = ch.file_id"
                f" WHERE {t} MATCH ? AND {t}.rowid BETWEEN ? AND ?"
                f" AND f.collection_id IN ({q}) ORDER BY rank LIMIT ?",
                (fts_query, lo, hi, *collection_ids, limit),
            ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def document_frequencies(self, stems: Iterable[str]) -> dict[str, int]:
        """How many passages hold each word (in the index's stemmed form); {} while the index that
        stems is still being filled. Read through FTS5's own vocabulary, no table scan."""
        wanted = sorted(set(stems))
        if not wanted or keywords.serving_table(self.conn) != keywords.TABLE:
            return {}
        if not self._vocab:
            self.conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_vocab USING fts5vocab(main, "
                              f"{keywords.TABLE}, 'row')")
            self._vocab = True
        found = {str(t): int(d) for t, d in self.conn.execute(
            f"SELECT term, doc FROM temp.words_vocab WHERE term IN ({','.join('?' * len(wanted))})", wanted)}
        return {t: found.get(t, 0) for t in wanted}

    def max_chunk_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0])

    # --- status -------------------------------------------------------------------------------

    def stats(self, cid: int) -> dict[str, int]:
        files = self.conn.execute(
            "SELECT count(*), coalesce(sum(status = 'failed'), 0) FROM files WHERE collection_id = ?", (cid,)
        ).fetchone()
        chunks = self.conn.execute(
            "SELECT count(*) FROM chunks ch JOIN files f ON f.id = ch.file_id WHERE f.collection_id = ?", (cid,)
        ).fetchone()
        return {"files": int(files[0]), "failed": int(files[1]), "chunks": int(chunks[0])}


