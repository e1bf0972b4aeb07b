"""A collection's folders: add one, drop one, re-point one that moved, and tell which are offline.

A moved or renamed folder keeps its index: `move_root` rewrites the stored paths under it in one
transaction (no file is read again, nothing is re-embedded; the vector ids are unchanged). A folder
that is missing (an unplugged drive, a folder renamed outside LocalSearch) is *offline*: its files
stay in the catalog but are not served as results until it is back or re-pointed.
"""

import os
import random
from dataclasses import dataclass
from pathlib import Path

from localsearch.core import log, scanner
from localsearch.core.errors import KnownError
from localsearch.core.store import keywords
from localsearch.core.store.catalog import Catalog, Collection, display_path
from localsearch.core.store.vectors import VectorIndex


def normal(folder: str) -> str:
    return os.path.abspath(os.path.expanduser(folder))


@dataclass(frozen=True)
class Folder:
    path: str
    online: bool


def folders(catalog: Catalog, cid: int) -> list[Folder]:
    return [Folder(root, os.path.isdir(root)) for root in catalog.roots(cid)]


def offline(catalog: Catalog, cids: list[int]) -> list[str]:
    """The folders of these collections that are missing now (one stat each)."""
    return [root for cid in cids for root in catalog.roots(cid) if not os.path.isdir(root)]


def _own_root(catalog: Catalog, col: Collection, folder: str) -> str:
    root = normal(folder)
    roots = catalog.roots(col.id)
    if root not in roots:
        listed = ", ".join(roots) or "none"
        raise KnownError(f"{root} is not a folder of collection '{col.name}' (its folders: {listed})")
    return root


def add(catalog: Catalog, collection: str, folder: str) -> str:
    """Register a folder (indexed by the next pass). Refused: not a folder, unreadable, already covered."""
    path = normal(folder)
    if not os.path.isdir(path):
        raise KnownError(f"not a folder: {path}")
    if not os.access(path, os.R_OK | os.X_OK):
        raise KnownError(f"cannot read {path} (permission denied): check the folder's permissions")
    col = catalog.ensure_collection(collection)
    roots = catalog.roots(col.id)
    if scanner.under_any(path, roots):
        raise KnownError(f"{path} is already searched as part of collection '{collection}'")
    catalog.add_root(col.id, path)
    return path


def _loaded(catalog: Catalog, vectors: Path, col: Collection, compression: str) -> list[VectorIndex]:
    """The collection's saved indexes as they are now (verified), to take ids out of and save again."""
    out = []
    for space in ("text", "image"):
        probe = VectorIndex(vectors, col.id, 1, space=space)
        side = probe.read_sidecar()
        if side is None or not probe.file.exists():
            continue  # nothing saved: whoever needs it next builds it from the catalog
        vindex = VectorIndex(vectors, col.id, side.dim, compression=compression, space=space)
        vindex.load_or_rebuild(catalog, col)
        out.append(vindex)
    return out


def remove(catalog: Catalog, vectors: Path, collection: str, folder: str, compression: str = "none") -> int:
    """Stop searching a folder: its files, passages and vectors leave the index (the files are not
    touched). The folder's row goes first: a crash after it leaves files under no folder, which the
    next pass removes. Returns the number of files dropped."""
    col = catalog.collection(collection)
    root = _own_root(catalog, col, folder)
    indexes = _loaded(catalog, vectors, col, compression)
    catalog.conn.execute("DELETE FROM roots WHERE collection_id = ? AND path = ?", (col.id, root))
    others = [os.fsencode(r) for r in catalog.roots(col.id)]
    rows = [r for r in catalog.files_under(col.id, [os.fsencode(root)]).values()
            if not scanner.under_any(r.raw_path, others)]  # a folder nested in another stays searched
    file_ids = [r.id for r in rows]
    chunk_ids = catalog.remove_files(col.id, file_ids)
    after = catalog.collection_by_id(col.id)
    for vindex in indexes:
        vindex.remove(chunk_ids if vindex.space == "text" else file_ids)
        vindex.save_for(after)
    catalog.copy_folders()
    log.index.info("%s: folder %s removed (%d files)", collection, root, len(rows))
    return len(rows)


def move(catalog: Catalog, collection: str, old: str, new: str) -> int:
    """Re-point a folder that moved: every stored path under `old` now lies under `new`, in one
    transaction; nothing is read or embedded again. Refused when `new` holds none of the files (a
    wrong folder would otherwise have the next pass drop the whole index). Returns files re-pointed."""
    col = catalog.collection(collection)
    source, target = _own_root(catalog, col, old), normal(new)
    if not os.path.isdir(target):
        raise KnownError(f"not a folder: {target}")
    if scanner.under_any(target, catalog.roots(col.id)) or scanner.under_any(source, [target]):
        raise KnownError(f"{target} is already a folder of collection '{collection}' or contains one")
    old_b, new_b = os.fsencode(source), os.fsencode(target)
    rows = list(catalog.files_under(col.id, [old_b]).values())
    sample = random.Random(0).sample(rows, min(50, len(rows)))
    if sample and not any(os.path.exists(new_b + r.raw_path[len(old_b):]) for r in sample):
        raise KnownError(f"none of the files indexed in {source} are in {target}: is it the right folder?")
    with catalog.transaction() as c:
        c.execute("UPDATE roots SET path = ? WHERE collection_id = ? AND path = ?", (target, col.id, source))
        c.executemany("UPDATE files SET raw_path = ?, path = ? WHERE id = ?",
                      ((raw, display_path(raw), r.id) for r in rows for raw in [new_b + r.raw_path[len(old_b):]]))
        keywords.renamed(c, [r.id for r in rows])  # names inside the folder: the same, nothing rewritten
    catalog.copy_folders()
    log.index.info("%s: folder %s re-pointed to %s (%d files kept)", collection, source, target, len(rows))
    return len(rows)
