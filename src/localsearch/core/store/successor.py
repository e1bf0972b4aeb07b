"""A collection's next index: built beside the one that serves while the text or photo model changes.

Changing the model must not take search away for the hours a large collection takes to embed again.
So the writer indexes the collection's folders into a hidden *successor* (a row of `collections` with
`successor_of` set: its own files, passages, vectors and vector index files, all of the new model), while
searches keep reading the collection as it was, its queries encoded by its own model. When a full pass
of the successor completes, one transaction hands the name over: the old collection's rows go, the
successor becomes the collection. A crash at any point leaves either the old collection serving and a
successor that the next pass resumes (every commit of it is bounded, like any indexing), or the new one
serving: vectors of two models never share an index, and a search never meets a half-built one.
"""

import time

from localsearch.core.store.catalog import Catalog, Collection, drop_collection


def _name(col: Collection) -> str:
    return f"(next index of #{col.id})"


def of(catalog: Catalog, col: Collection) -> Collection | None:
    """The successor being built for `col`, if any."""
    row = catalog.conn.execute("SELECT id FROM collections WHERE successor_of = ?", (col.id,)).fetchone()
    return catalog.collection_by_id(int(row[0])) if row else None


def any_building(catalog: Catalog) -> bool:
    """Whether some collection has a successor (its passages are in the keyword index too, under its id)."""
    return catalog.conn.execute("SELECT 1 FROM collections WHERE successor_of IS NOT NULL LIMIT 1").fetchone() \
        is not None


def start(catalog: Catalog, col: Collection) -> Collection:
    """The successor of `col` (made now, or the one a stopped switch left), with `col`'s folders."""
    found = of(catalog, col)
    if found is None:
        with catalog.transaction() as c:
            c.execute("INSERT INTO collections(name, created, successor_of) VALUES (?, ?, ?)",
                      (_name(col), time.time(), col.id))
        found = of(catalog, col)
        assert found is not None
    follow_roots(catalog, col, found)
    return found


def follow_roots(catalog: Catalog, col: Collection, succ: Collection) -> None:
    """The successor indexes the folders the collection has now (one added or moved meanwhile too)."""
    with catalog.transaction() as c:
        c.execute("DELETE FROM roots WHERE collection_id = ? AND path NOT IN"
                  " (SELECT path FROM roots WHERE collection_id = ?)", (succ.id, col.id))
        c.execute("INSERT OR IGNORE INTO roots(collection_id, path) SELECT ?, path FROM roots"
                  " WHERE collection_id = ?", (succ.id, col.id))


def discard(catalog: Catalog, col: Collection) -> Collection | None:
    """Drop a successor no longer wanted (the model was changed back, or to a third one); returns it."""
    succ = of(catalog, col)
    if succ is not None:
        with catalog.transaction() as c:
            drop_collection(c, succ.id)
    return succ


def take_over(catalog: Catalog, col: Collection, succ: Collection) -> Collection:
    """One transaction: the old collection's rows go and the successor takes its name and settings."""
    with catalog.transaction() as c:
        name = c.execute("SELECT name FROM collections WHERE id = ?", (col.id,)).fetchone()[0]  # renamed meanwhile?
        c.execute("UPDATE collections SET successor_of = NULL WHERE id = ?", (succ.id,))  # not deleted with it
        drop_collection(c, col.id)
        c.execute("UPDATE collections SET name = ? WHERE id = ?", (name, succ.id))
    catalog.copy_folders()
    return catalog.collection_by_id(succ.id)


def progress(catalog: Catalog, col: Collection, succ: Collection) -> tuple[int, int]:
    """(files in the successor, files in the collection): how far a switch has come."""
    count = "SELECT count(*) FROM files WHERE collection_id = ?"
    return (int(catalog.conn.execute(count, (succ.id,)).fetchone()[0]),
            int(catalog.conn.execute(count, (col.id,)).fetchone()[0]))
