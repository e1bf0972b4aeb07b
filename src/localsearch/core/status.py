"""What `localsearch status`, the window and the HTTP service say about the collections."""

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localsearch.core import disk, folders, words
from localsearch.core.embed import variants
from localsearch.core.embed.sentence import DEFAULT_MODEL_ID
from localsearch.core.store import pending, successor
from localsearch.core.store.catalog import Catalog, Collection
from localsearch.core.store.vectors import VectorIndex

if TYPE_CHECKING:
    from localsearch.core.service import Service


@dataclass(frozen=True)
class Switching:
    model: str | None
    files: int  # files the next index holds so far
    of: int  # files the serving index holds


@dataclass(frozen=True)
class CollectionOverview:
    id: int
    name: str
    roots: list[str]
    files: int
    chunks: int
    failed: int
    model: str | None
    needs_reindex: bool
    vector_index_bytes: int
    last_indexed: float | None
    last_commit: float | None
    offline: list[str]
    """Folders that are missing now (unplugged, moved): their files are kept but not served."""
    switching: Switching | None = None
    """The next index being built with another model (store.successor) while this one serves."""
    unembedded: int = 0
    """Passages found by their words but not yet by meaning (a big run's second phase, store.pending)."""


SCRIPT_NAMES = {"cjk": "Chinese, Japanese or Korean", "cyrillic": "Cyrillic script (Russian, Ukrainian, ...)",
                "arabic": "Arabic script", "greek": "Greek", "hebrew": "Hebrew", "devanagari": "Devanagari (Hindi, ...)",
                "thai": "Thai"}
HINT_SHARE = 0.3
HINT_SAMPLE = 300


def language_hint(reader: Catalog, col: Collection, model_id: str) -> str | None:
    """A suggestion when the built-in English model indexes a collection whose text is largely in another
    writing system (the first passage of a sample of its documents): the multilingual model would find it by meaning. Writing
    systems only: German or Spanish text, in the Latin alphabet, is not told apart from English."""
    if variants.base(model_id) != DEFAULT_MODEL_ID or variants.base(col.model_id or model_id) != DEFAULT_MODEL_ID:
        return None  # another model is configured (a switch may be under way), or made it
    texts = [str(r[0]) for r in reader.conn.execute(  # the first passage of up to HINT_SAMPLE documents
        "SELECT (SELECT c.text FROM chunks c WHERE c.file_id = f.id ORDER BY c.ord LIMIT 1) FROM files f"
        " WHERE f.collection_id = ? AND f.kind = 'document' AND f.status = 'ok' LIMIT ?", (col.id, HINT_SAMPLE))
        if r[0] is not None]
    scripts = Counter(words.script(t) for t in texts)
    other = [(n, s) for s, n in scripts.most_common() if s not in ("latin", "")]
    if not texts or sum(n for n, _ in other) < HINT_SHARE * len(texts):
        return None
    return (f"much of it is in {SCRIPT_NAMES.get(other[0][1], other[0][1])}: the built-in multilingual text model "
            "(Settings → Text model) would find it by meaning, also from questions in other languages")


def overview(service: "Service") -> list[CollectionOverview]:
    """Each collection's figures, cheap enough to read on every metrics scrape."""
    reader = service.searcher.reader()  # asked from the HTTP service's threads too
    out = []
    for col in reader.collections():
        stats = reader.stats(col.id)
        vfile = VectorIndex(service.paths.vectors, col.id, col.dim or 1).file
        roots = folders.folders(reader, col.id)
        succ = successor.of(reader, col)
        switching = Switching(succ.model_id, *successor.progress(reader, col, succ)) if succ is not None else None
        out.append(CollectionOverview(
            id=col.id, name=col.name, roots=[r.path for r in roots], files=stats["files"], chunks=stats["chunks"],
            failed=stats["failed"], model=col.model_id,
            needs_reindex=bool(col.model_id and variants.base(col.model_id) != service.model_id),  # another model's
            vector_index_bytes=vfile.stat().st_size if vfile.exists() else 0,
            last_indexed=col.last_indexed, last_commit=reader.last_commit(col.id),
            offline=[r.path for r in roots if not r.online], switching=switching,
            unembedded=pending.left(reader.conn, col.id)))
    return out


def report(service: "Service") -> dict[str, Any]:
    from localsearch.core import watcher

    live = watcher.read_state(service.watch_state_file)
    watching = {c["collection"]: c for c in live["collections"]} if live else {}
    reader = service.searcher.reader()
    cols = []
    for c in overview(service):
        cols.append({
            "name": c.name,
            "roots": c.roots,
            "offline": c.offline,
            "files": c.files,
            "failed": c.failed,
            "chunks": c.chunks,
            "model": c.model,
            "needs_reindex": c.needs_reindex,
            "hint": language_hint(reader, reader.collection_by_id(c.id), service.model_id),  # not per scrape
            "unembedded": c.unembedded,
            "switching": None if c.switching is None else
            {"model": c.switching.model, "files": c.switching.files, "of": c.switching.of},
            "vector_index_bytes": c.vector_index_bytes,
            "last_indexed": c.last_indexed,
            "failures": [{"path": p, "reason": r} for _, p, r in reader.failures(c.id)],
            "partial": [{"path": p, "note": n} for p, n in reader.notes(c.id)],
            "watch": watching.get(c.name),
        })
    db = service.paths.catalog
    return {
        "data_dir": str(service.paths.data),
        "model": service.model_id,
        "catalog_bytes": sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file()),
        "data_bytes": disk.data_bytes(service.paths.data),
        "collections": cols,
    }
