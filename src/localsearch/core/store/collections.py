"""The catalog's collections: each one's model, folders and version, and the small JSON copy of the
folders kept beside the catalog for `repair`. A part of store.catalog.Catalog (its connection is this one's)."""

import json
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from localsearch.core import atomic
from localsearch.core.errors import CollectionNotFound, KnownError


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    model_id: str | None
    dim: int | None
    vector_version: int
    needs_reindex: bool
    last_indexed: float | None
    image_model_id: str | None = None


def drop_collection(c: sqlite3.Connection, cid: int) -> None:
    """A collection's rows, inside the caller's transaction: its passages first (their keyword rows go by
    trigger), then the collection (roots and files by cascade)."""
    c.execute("DELETE FROM chunks WHERE file_id IN (SELECT id FROM files WHERE collection_id = ?)", (cid,))
    c.execute("DELETE FROM collections WHERE id = ?", (cid,))


class Collections:
    conn: sqlite3.Connection
    path: Path

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # store.catalog.Catalog's

    def _collection(self, row: tuple[object, ...] | None, name: str) -> Collection:
        if row is None:
            raise CollectionNotFound(f"no collection named {name!r}")
        cid, cname, model_id, dim, ver, reindex, last, image_model = row
        return Collection(int(cid), str(cname), model_id, dim, int(ver), bool(reindex), last,  # type: ignore[arg-type, call-overload]
                          image_model)  # type: ignore[arg-type]

    _COLS = "id, name, model_id, dim, vector_version, needs_reindex, last_indexed, image_model_id"

    def collection(self, name: str) -> Collection:
        """A collection by name; the next index of one (store.successor) is not a collection of its own."""
        row = self.conn.execute(f"SELECT {self._COLS} FROM collections WHERE name = ? AND successor_of IS NULL",
                                (name,)).fetchone()
        return self._collection(row, name)

    def collection_by_id(self, cid: int) -> Collection:
        row = self.conn.execute(f"SELECT {self._COLS} FROM collections WHERE id = ?", (cid,)).fetchone()
        return self._collection(row, f"#{cid}")

    def collections(self) -> list[Collection]:
        rows = self.conn.execute(f"SELECT {self._COLS} FROM collections WHERE successor_of IS NULL ORDER BY name"
                                 ).fetchall()
        return [self._collection(r, "") for r in rows]

    def ensure_collection(self, name: str) -> Collection:
        self.conn.execute(
            "INSERT INTO collections(name, created) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, time.time())
        )
        return self.collection(name)

    def rename_collection(self, old: str, new: str) -> None:
        self.collection(old)
        if new != old and self.conn.execute("SELECT 1 FROM collections WHERE name = ? AND successor_of IS NULL",
                                            (new,)).fetchone():
            raise KnownError(f"a collection named {new!r} already exists")
        self.conn.execute("UPDATE collections SET name = ? WHERE name = ? AND successor_of IS NULL", (new, old))
        self.copy_folders()

    def remove_collection(self, name: str) -> Collection:
        col = self.collection(name)
        with self.transaction() as c:
            for (succ,) in c.execute("SELECT id FROM collections WHERE successor_of = ?", (col.id,)).fetchall():
                drop_collection(c, int(succ))  # a model switch's unfinished next index goes with it
            drop_collection(c, col.id)
        self.copy_folders()
        return col

    def set_image_model(self, cid: int, model_id: str | None) -> None:
        self.conn.execute("UPDATE collections SET image_model_id = ? WHERE id = ?", (model_id, cid))

    def set_model(self, cid: int, model_id: str, dim: int) -> None:
        """Bind a collection to a model. Called only when it holds no vectors of another model."""
        self.conn.execute(
            "UPDATE collections SET model_id = ?, dim = ?, needs_reindex = 0 WHERE id = ?", (model_id, dim, cid)
        )

    def clear_vectors(self, cid: int) -> None:
        """Forget every file of a collection so the next run re-embeds all of it with the new model."""
        with self.transaction() as c:
            c.execute("DELETE FROM chunks WHERE file_id IN (SELECT id FROM files WHERE collection_id = ?)", (cid,))
            c.execute("DELETE FROM files WHERE collection_id = ?", (cid,))
            c.execute(
                "UPDATE collections SET vector_version = vector_version + 1, model_id = NULL, dim = NULL,"
                " image_model_id = NULL, needs_reindex = 0 WHERE id = ?",
                (cid,),
            )

    def has_files(self, cid: int) -> bool:
        return self.conn.execute("SELECT 1 FROM files WHERE collection_id = ? LIMIT 1", (cid,)).fetchone() is not None

    def touch_indexed(self, cid: int) -> None:
        self.conn.execute("UPDATE collections SET last_indexed = ? WHERE id = ?", (time.time(), cid))

    def add_root(self, cid: int, root: str) -> None:
        if self.conn.execute("INSERT OR IGNORE INTO roots(collection_id, path) VALUES (?, ?)", (cid, root)).rowcount:
            self.copy_folders()  # only when a folder was added: `index FOLDER` names its folders on every run

    @property
    def folders_copy(self) -> Path:
        return self.path.with_name("folders.json")

    def copy_folders(self) -> None:
        """Each collection's folders, also in a small JSON file beside the catalog: should the catalog
        ever be damaged, `repair` still knows what to index again."""
        folders: dict[str, list[str]] = {c.name: [] for c in self.collections()}
        for name, root in self.conn.execute("SELECT c.name, r.path FROM roots r JOIN collections c"
                                            " ON c.id = r.collection_id WHERE c.successor_of IS NULL"
                                            " ORDER BY c.name, r.path"):
            folders[str(name)].append(str(root))
        atomic.write_text(self.folders_copy, json.dumps(folders, indent=1, ensure_ascii=False))

    def indexed_kind(self, cid: int, raw_path: bytes) -> str | None:
        """The kind of a successfully indexed file at exactly raw_path, or None."""
        row = self.conn.execute("SELECT kind FROM files WHERE collection_id = ? AND raw_path = ? AND status = 'ok'",
                                (cid, raw_path)).fetchone()
        return str(row[0]) if row else None

    def last_commit(self, cid: int) -> float | None:
        """When a file of the collection was last committed (epoch seconds), if ever."""
        row = self.conn.execute("SELECT max(indexed_at) FROM files WHERE collection_id = ?", (cid,)).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def roots(self, cid: int) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM roots WHERE collection_id = ? ORDER BY path", (cid,))]
