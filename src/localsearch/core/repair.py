"""`localsearch repair`: build again what is derived, or start over when the catalog itself is damaged.

The catalog (SQLite) is the truth and everything else is derived from it: a damaged keyword index is
rebuilt from the passages, a damaged or mismatched vector index from the stored vectors, and files
whose stored vectors are invalid (or not the model's) are embedded again from the files. A damaged
catalog is never patched: it is set aside as `catalog.sqlite3.damaged-<date>` (kept for a report),
its collections and folders are read from it where SQLite still can, and the folders are indexed
again from scratch, reusing nothing made from it.
"""

import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from localsearch.core import log
from localsearch.core.check import CheckResult, Problem, image_dim, nonfinite_files
from localsearch.core.errors import KnownError
from localsearch.core.paths import Paths
from localsearch.core.store import keywords
from localsearch.core.store.catalog import Catalog
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.writer import WriterLock


@dataclass
class RepairResult:
    done: list[str]
    after: "CheckResult"  # the check run again once repaired


@dataclass
class Salvage:
    """A damaged catalog set aside, and the collections (name -> folders) still readable from it."""

    moved_to: Path
    collections: dict[str, list[str]] = field(default_factory=dict)


def _readable_collections(path: Path) -> dict[str, list[str]]:
    """Collections and their folders: from the damaged catalog where SQLite can still read them, else
    from the copy kept beside it (folders.json)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            try:  # not a model switch's unfinished next index (store.successor): it is built again anyway
                names = dict(conn.execute("SELECT id, name FROM collections WHERE successor_of IS NULL").fetchall())
            except sqlite3.OperationalError:  # a catalog from before schema 9
                names = dict(conn.execute("SELECT id, name FROM collections").fetchall())
            out: dict[str, list[str]] = {str(n): [] for n in names.values()}
            for cid, root in conn.execute("SELECT collection_id, path FROM roots ORDER BY path"):
                if cid in names:
                    out[str(names[cid])].append(str(root))
            return out
        finally:
            conn.close()
    except (sqlite3.DatabaseError, KeyError) as e:
        log.store.info("the damaged catalog's collections are unreadable (%s); using folders.json", e)
    try:
        copy = json.loads(path.with_name("folders.json").read_text(encoding="utf-8"))
        return {str(k): [str(r) for r in v] for k, v in copy.items()}
    except (OSError, ValueError, AttributeError, TypeError) as e:
        log.store.warning("no record of the collections' folders could be read: %s", e)
        return {}


def set_aside(paths: Paths) -> Salvage:
    """Move the damaged catalog (and its -wal/-shm) aside and drop the indexes made from it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = paths.catalog.with_name(f"{paths.catalog.name}.damaged-{stamp}")
    salvage = Salvage(dest, _readable_collections(paths.catalog))
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{paths.catalog}{suffix}")
        if source.exists():
            os.replace(source, Path(f"{dest}{suffix}"))
    for derived in paths.vectors.glob("collection-*"):
        derived.unlink()
    log.store.warning("damaged catalog moved to %s", dest)
    return salvage


def set_aside_alone(paths: Paths, on_wait: Callable[[str], None] | None = None) -> Salvage:
    """set_aside() holding the writer lock: waiting for another writer (on_wait is told who), or, with no
    on_wait, refusing at once in one line naming it."""
    lock = WriterLock(paths.data, "repair")
    if on_wait is not None:
        lock.acquire(None, on_wait)
    elif not lock.try_acquire():
        raise KnownError(f"another LocalSearch ({lock.holder()}) is using the index: close it, then try again")
    try:
        return set_aside(paths)
    finally:
        lock.release()


def rebuild_keywords(catalog: Catalog) -> None:
    """The keyword index again from the passages and file names, in one transaction."""
    with catalog.transaction() as c:
        keywords.rebuild(c)


def _drop_invalid(catalog: Catalog, cid: int, space: str, dim: int) -> int:
    """Forget the files whose stored vectors hold NaN or infinity (the next pass embeds them again)."""
    col = catalog.collection_by_id(cid)
    bad = nonfinite_files(catalog, col, space, dim)
    if space == "text":
        files = {int(r[0]) for i in range(0, len(bad), 900) for r in catalog.conn.execute(
            f"SELECT DISTINCT file_id FROM chunks WHERE id IN ({','.join('?' * len(bad[i:i + 900]))})",
            bad[i:i + 900])}
    else:
        files = set(bad)
    catalog.remove_files(cid, sorted(files))
    return len(files)


def fix(catalog: Catalog, vectors: Path, problems: list[Problem], compression: str) -> tuple[list[str], set[str]]:
    """Apply the fix for each problem found by check.run; returns (what was done, collections to index again)."""
    done: list[str] = []
    again: set[str] = set()
    cols = {c.name: c for c in catalog.collections()}
    for p in problems:  # what invalidates stored vectors first: the indexes are rebuilt after
        col = cols.get(p.collection or "")
        if col is None:
            continue
        if p.area == "model":
            catalog.clear_vectors(col.id)
            done.append(f"{col.name}: every file will be embedded again with the configured model")
            again.add(col.name)
        elif p.area == "stored vectors":
            dim = col.dim if p.space == "text" else image_dim(catalog, col)
            dropped = _drop_invalid(catalog, col.id, p.space, dim or 1)
            done.append(f"{col.name}: {dropped} files with invalid vectors will be embedded again")
            again.add(col.name)
    if any(p.area == "keyword index" for p in problems):
        rebuild_keywords(catalog)
        done.append("keyword index rebuilt from the passages")
    for name in sorted({p.collection for p in problems if p.collection} | again):
        col = catalog.collection(name)
        spaces = [("text", col.dim)] + ([("image", image_dim(catalog, col))] if col.image_model_id else [])
        for space, dim in spaces:
            vindex = VectorIndex(vectors, col.id, dim or 1, compression=compression, space=space)
            vindex.delete_files()
            if dim:
                vindex.rebuild(catalog, col, persist=True)
        done.append(f"{name}: vector index rebuilt from the catalog")
    return done, again
