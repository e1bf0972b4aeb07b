"""The SQLite catalog: collections, roots, files, chunks (text, span, vector) and the keyword index.

It is the source of truth. One writer (the indexer) at a time; searches read through their own
connection, which WAL lets run while the writer commits.
"""

import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from localsearch.core import errors
from localsearch.core.errors import CatalogUnusable
from localsearch.core.store import keywords, schema, vecblob
from localsearch.core.store.collections import Collection as Collection  # where the rest of the engine imports it
from localsearch.core.store.collections import Collections
from localsearch.core.store.collections import drop_collection as drop_collection
from localsearch.core.store.reads import Reads
from localsearch.core.types import Chunk


@dataclass(frozen=True)
class FileRow:
    id: int
    raw_path: bytes
    size: int | None
    mtime_ns: int | None
    hash: str | None
    status: str


@dataclass
class FileResult:
    """One file's outcome, committed atomically with its chunks and vectors."""

    raw_path: bytes
    size: int
    mtime_ns: int
    hash: str | None
    kind: str
    chunks: list[Chunk] = field(default_factory=list)
    vectors: np.ndarray | None = None
    error: str | None = None
    image: np.ndarray | None = None  # decoded photo, in flight only
    image_vector: np.ndarray | None = None
    needs_ocr: bool = False  # a photo, or a PDF with pages that have no text layer
    note: str | None = None  # indexed only in part, and why ("truncated after 5000 passages")
    title: str | None = None  # put before each passage for embedding (passages.embedding_text)


@dataclass
class CommitResult:
    removed_ids: list[int] = field(default_factory=list)
    added_ids: list[int] = field(default_factory=list)
    added_vectors: list[np.ndarray] = field(default_factory=list)
    removed_image_ids: list[int] = field(default_factory=list)  # file ids
    added_image_ids: list[int] = field(default_factory=list)
    added_image_vectors: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class Donor:
    """A stored file's passages (texts, vectors) and photo vector, for a file with the same content."""

    texts: list[str]
    vectors: list[np.ndarray]
    image_vector: np.ndarray | None
    title: str | None = None  # the passages were embedded after it



def _insert_chunks(c: sqlite3.Connection, file_id: int, first_ord: int, chunks: list[Chunk],
                   vectors: np.ndarray | None, out: CommitResult) -> None:
    """A file's passages (numbered from first_ord) with their vectors; new ids and vectors go to out."""
    indexed: list[tuple[int, str, int]] = []
    for i, ch in enumerate(chunks):
        vec = vectors[i] if vectors is not None else None
        cur = c.execute(
            "INSERT INTO chunks(file_id, ord, start, end, page, text, vector) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (file_id, first_ord + i, ch.start, ch.end, ch.page, ch.text,
             None if vec is None else vecblob.encode(vec)))
        indexed.append((int(cur.lastrowid or 0), ch.text, file_id))
        if vec is not None:
            out.added_ids.append(int(cur.lastrowid or 0))
            out.added_vectors.append(vec)
    keywords.insert(c, indexed)


def random_passages(conn: sqlite3.Connection, samples: int) -> Iterator[tuple[int, str]]:
    """Up to `samples` passages (id, text) picked at random, for the spot checks of the indexes derived
    from them; lazily, so a check that fails early reads no more."""
    top = int(conn.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0])
    for _ in range(samples if top else 0):
        row = conn.execute("SELECT id, text FROM chunks WHERE id >= ? ORDER BY id LIMIT 1",
                           (random.randint(1, top),)).fetchone()
        if row is not None:
            yield int(row[0]), str(row[1])


def display_path(raw: bytes) -> str:
    """A printable form of any file name; raw bytes stay the key, this is only shown."""
    return raw.decode("utf-8", errors="replace")


def to_raw(path: str | os.PathLike[str]) -> bytes:
    return os.fsencode(path)


PAGE_SIZE = 8192
"""A new catalog's page size. A passage's row (its text and float16 vector, ~1.9 KB) leaves a third of a
4 KB page unused on average; at 8 KB the catalog of bench/disk_footprint.py's 3,200 documents is 7 %
smaller (bench/README.md). An existing catalog keeps its page size (it cannot change in WAL mode)."""


class Catalog(Collections, Reads):
    def __init__(self, path: Path, reader: bool = False) -> None:
        """reader: a connection for searches, which never deletes passages. It gets no SQL function in
        Python (keywords.register): such a connection is closed when its thread ends (searcher._Reader),
        and closing one that holds a Python function there crashes CPython 3.11 (the function's
        destructor runs while the thread's state is being torn down)."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = path
        # Private before SQLite opens it: SQLite gives the -wal and -shm files the database's own mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
        if not reader:
            keywords.register(self.conn)
        self._vocab = False  # this connection's view of the keyword index's vocabulary (temp.words_vocab)
        try:
            self._use_wal()
            self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL+NORMAL: durable across app crashes
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA busy_timeout = 30000")
            schema.migrate(self.conn, f"the catalog {path}")
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise errors.catalog_error(path, e) from e
        except CatalogUnusable:
            self.conn.close()
            raise

    def _use_wal(self) -> None:
        """Switching a new catalog to WAL needs it alone: a second process opening it at that moment gets
        SQLITE_BUSY at once (no busy handler for this pragma), so it tries again, up to the busy timeout."""
        deadline = time.monotonic() + 30.0
        self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # takes effect only on a new, empty catalog
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if getattr(e, "sqlite_errorcode", 0) & 0xFF not in (5, 6) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- files --------------------------------------------------------------------------------

    def files(self, cid: int) -> dict[bytes, FileRow]:
        rows = self.conn.execute(
            "SELECT id, raw_path, size, mtime_ns, hash, status FROM files WHERE collection_id = ?", (cid,)
        )
        return {bytes(r[1]): FileRow(r[0], bytes(r[1]), r[2], r[3], r[4], r[5]) for r in rows}

    def files_under(self, cid: int, prefixes: Iterable[bytes]) -> dict[bytes, FileRow]:
        """Rows at or below each path: what a watcher batch may have touched."""
        out: dict[bytes, FileRow] = {}
        sep = os.sep.encode()
        for p in prefixes:
            lo = p.rstrip(sep) + sep
            hi = p.rstrip(sep) + bytes([sep[0] + 1])  # every key starting with lo sorts below hi
            for r in self.conn.execute(
                "SELECT id, raw_path, size, mtime_ns, hash, status FROM files WHERE collection_id = ?"
                " AND (raw_path = ? OR (raw_path >= ? AND raw_path < ?))",
                (cid, p, lo, hi),
            ):
                out[bytes(r[1])] = FileRow(r[0], bytes(r[1]), r[2], r[3], r[4], r[5])
        return out

    def paths_of(self, file_ids: Iterable[int]) -> list[str]:
        return [str(r[0]) for fid in file_ids for r in self.conn.execute("SELECT path FROM files WHERE id = ?", (fid,))]

    def chunk_ids_of(self, file_ids: Iterable[int]) -> list[int]:
        ids: list[int] = []
        for fid in file_ids:
            ids.extend(r[0] for r in self.conn.execute("SELECT id FROM chunks WHERE file_id = ?", (fid,)))
        return ids

    def remove_files(self, cid: int, file_ids: list[int]) -> list[int]:
        """Delete files and their chunks; returns the chunk ids to drop from the vector index."""
        if not file_ids:
            return []
        with self.transaction() as c:
            removed = self.chunk_ids_of(file_ids)
            c.executemany("DELETE FROM chunks WHERE file_id = ?", ((f,) for f in file_ids))
            c.executemany("DELETE FROM files WHERE id = ?", ((f,) for f in file_ids))
            c.execute("UPDATE collections SET vector_version = vector_version + 1 WHERE id = ?", (cid,))
        return removed

    def move_file(self, file_id: int, raw_path: bytes, size: int, mtime_ns: int) -> None:
        """A rename keeps the file's chunks and vectors; only its path (and the name index) change."""
        with self.transaction() as c:
            c.execute("UPDATE files SET raw_path = ?, path = ?, size = ?, mtime_ns = ?, indexed_at = ? WHERE id = ?",
                      (raw_path, display_path(raw_path), size, mtime_ns, time.time(), file_id))
            keywords.renamed(c, [file_id])

    def touch_files(self, stamps: list[tuple[int, int]]) -> None:
        """Files whose content is what the catalog holds (same hash) but whose mtime moved: record the
        new mtime (file id, mtime_ns) and keep their passages and vectors as they are."""
        with self.transaction() as c:
            c.executemany("UPDATE files SET mtime_ns = ? WHERE id = ?", [(m, fid) for fid, m in stamps])

    def commit_files(self, cid: int, results: list[FileResult]) -> CommitResult:
        """Replace each file's row and chunks in one transaction: a crash keeps all or none of the batch."""
        out = CommitResult()
        now = time.time()
        with self.transaction() as c:
            for r in results:
                status = "failed" if r.error else "ok"
                row = c.execute(
                    "SELECT id FROM files WHERE collection_id = ? AND raw_path = ?", (cid, r.raw_path)
                ).fetchone()
                if row:
                    fid = int(row[0])
                    out.removed_ids.extend(self.chunk_ids_of([fid]))
                    c.execute("DELETE FROM chunks WHERE file_id = ?", (fid,))
                    if c.execute("DELETE FROM image_vectors WHERE file_id = ?", (fid,)).rowcount:
                        out.removed_image_ids.append(fid)
                    c.execute(
                        "UPDATE files SET size = ?, mtime_ns = ?, hash = ?, kind = ?, status = ?, error = ?,"
                        " indexed_at = ?, ocr = ?, note = ?, title = ? WHERE id = ?",
                        (r.size, r.mtime_ns, r.hash, r.kind, status, r.error, now, None if r.needs_ocr else "none",
                         r.note, r.title, fid),
                    )
                else:
                    cur = c.execute(
                        "INSERT INTO files(collection_id, raw_path, path, size, mtime_ns, hash, kind, status, error,"
                        " indexed_at, ocr, note, title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (cid, r.raw_path, display_path(r.raw_path), r.size, r.mtime_ns, r.hash, r.kind, status,
                         r.error, now, None if r.needs_ocr else "none", r.note, r.title),
                    )
                    fid = int(cur.lastrowid or 0)
                if r.error:
                    continue
                if r.image_vector is not None:
                    c.execute("INSERT INTO image_vectors(file_id, vector) VALUES (?, ?)",
                              (fid, np.ascontiguousarray(r.image_vector, dtype=np.float32).tobytes()))
                    out.added_image_ids.append(fid)
                    out.added_image_vectors.append(r.image_vector)
                _insert_chunks(c, fid, 0, r.chunks, r.vectors, out)
            c.execute("UPDATE collections SET vector_version = vector_version + 1 WHERE id = ?", (cid,))
        return out

    def reusable(self, content_hash: str, model_id: str, image_model_id: str | None) -> "Donor | None":
        """What is stored for a file with this content, made by these models (in any collection): the
        passages' texts and vectors, and a photo's vector, so a copy or a touched file is not embedded again."""
        row = self.conn.execute(
            "SELECT f.id, c.image_model_id, f.title, c.dim FROM files f JOIN collections c ON c.id = f.collection_id"
            " WHERE f.hash = ? AND f.status = 'ok' AND c.model_id = ? ORDER BY f.id LIMIT 1",
            (content_hash, model_id)).fetchone()
        if row is None:
            return None
        chunks = self.conn.execute("SELECT text, vector FROM chunks WHERE file_id = ? ORDER BY ord", (row[0],)).fetchall()
        if any(v is None for _, v in chunks):
            return None
        image = None
        if image_model_id is not None and row[1] == image_model_id:
            found = self.conn.execute("SELECT vector FROM image_vectors WHERE file_id = ?", (row[0],)).fetchone()
            image = np.frombuffer(found[0], dtype=np.float32) if found else None
        return Donor([str(t) for t, _ in chunks], [vecblob.decode(v, int(row[3])) for _, v in chunks], image, row[2])

    def file_title(self, file_id: int) -> str | None:
        row = self.conn.execute("SELECT title FROM files WHERE id = ?", (file_id,)).fetchone()
        return str(row[0]) if row and row[0] is not None else None

    # --- text in photos (OCR) ------------------------------------------------------------------

    def ocr_todo(self, cid: int, limit: int) -> list[FileRow]:
        """Photos and scanned PDFs whose text has not been read since they last changed, oldest first."""
        rows = self.conn.execute(
            "SELECT id, raw_path, size, mtime_ns, hash, status FROM files WHERE collection_id = ?"
            " AND status = 'ok' AND ocr IS NULL ORDER BY id LIMIT ?", (cid, limit))
        return [FileRow(r[0], bytes(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def ocr_left(self, cid: int) -> int:
        return int(self.conn.execute(
            "SELECT count(*) FROM files WHERE collection_id = ? AND status = 'ok' AND ocr IS NULL", (cid,)).fetchone()[0])

    def add_read_text(self, cid: int, row: FileRow, chunks: list[Chunk], vectors: np.ndarray | None,
                      state: str) -> CommitResult:
        """Text read by OCR as passages after the file's own, if the file is still the one that was
        read; otherwise nothing (re-indexing a changed file resets it to be read again)."""
        out = CommitResult()
        with self.transaction() as c:
            now = c.execute("SELECT size, mtime_ns, ocr FROM files WHERE id = ?", (row.id,)).fetchone()
            if now is None or (now[0], now[1]) != (row.size, row.mtime_ns) or now[2] is not None:
                return out
            first = int(c.execute("SELECT coalesce(max(ord), -1) + 1 FROM chunks WHERE file_id = ?",
                                  (row.id,)).fetchone()[0])
            _insert_chunks(c, row.id, first, chunks, vectors, out)
            c.execute("UPDATE files SET ocr = ? WHERE id = ?", (state, row.id))
            c.execute("UPDATE collections SET vector_version = vector_version + 1 WHERE id = ?", (cid,))
        return out
