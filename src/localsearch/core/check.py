"""`localsearch check`: is every stored thing whole and consistent? (Read only; `repair` fixes.)

What is checked, like restic's `check` or git's `fsck`:
- the catalog: SQLite's own `integrity_check` and `foreign_key_check`;
- the keyword index: FTS5's `integrity-check`, and one keyword row per passage;
- each vector index file: its checksum, dimension, and count (and ids, for an exact index) against
  the catalog; the vectors stored in the catalog are finite;
- a sample of stored passages embedded again with the configured model: the vectors must match
  (cosine >= SAMPLE_MIN_COSINE), or the index was made by another model than it claims.
"""

import random
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from localsearch.core import passages
from localsearch.core.embed import variants
from localsearch.core.embed.base import Embedder
from localsearch.core.paths import Paths
from localsearch.core.store import changelog, keywords, vecblob, wordindex
from localsearch.core.store.catalog import Catalog, Collection, random_passages
from localsearch.core.store.vectors import VectorIndex

SAMPLE = 16
SAMPLE_MIN_COSINE = 0.99
"""The same text through the same model gives cosine >= 0.9999 (batching and padding move the last
digits only); another model, or damaged vectors, fall far below."""


@dataclass(frozen=True)
class Problem:
    area: str  # "catalog" | "keyword index" | "vector index" | "stored vectors" | "model"
    collection: str | None
    detail: str
    space: str = "text"


@dataclass
class CheckResult:
    passed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def catalog_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's verdict on the database file itself ([] when whole)."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)")]
    if rows != ["ok"]:
        return rows
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    return [f"{len(broken)} rows point at rows that are gone (first: table {broken[0][0]})"] if broken else []


def keyword_problems(conn: sqlite3.Connection, full: bool = True) -> list[str]:
    """full: FTS5's own integrity-check too. It writes nothing, but as an INSERT it holds the write lock
    while it reads the whole index (minutes at 1M passages), so it is skipped while another process writes."""
    out = []
    t = keywords.serving_table(conn)
    tables = (t, keywords.TABLE) if t != keywords.TABLE else (t,)  # the one being filled: its pages too
    try:  # FTS5's own check of its index against the text it holds
        for table in tables if full else ():
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as e:
        out.append(f"FTS5 integrity-check failed: {e}")
    missing = conn.execute(f"SELECT count(*) FROM chunks WHERE id NOT IN (SELECT rowid FROM {t})").fetchone()[0]
    extra = conn.execute(f"SELECT count(*) FROM {t} WHERE rowid NOT IN (SELECT id FROM chunks)").fetchone()[0]
    if missing or extra:
        out.append(f"{missing} passages missing from it, {extra} rows of passages that are gone")
    return out


_PROBE_WORD = re.compile(r"[A-Za-z0-9]{4,}")


def keywords_answer(catalog: Catalog, samples: int = 3) -> bool:
    """A spot check on open, a few milliseconds: random passages (from the catalog, the truth) must be
    found in the keyword index by one of their own words. A damaged keyword index (zeroed or garbled
    pages) fails it, so searches refuse rather than answer from it and the writer rebuilds it.
    The full check (FTS5's integrity-check) is `localsearch check`."""
    conn = catalog.conn
    try:
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")  # one snapshot: a passage the writer deletes meanwhile is not "missing"
        try:
            t = keywords.serving_table(conn)
            for cid, text in random_passages(conn, samples):
                words = _PROBE_WORD.findall(text)
                if words and conn.execute(f"SELECT rowid FROM {t} WHERE {t} MATCH ? AND rowid = ?",
                                          (f'"{max(words, key=len)}"', cid)).fetchone() is None:
                    return False
        finally:
            if own:
                conn.execute("COMMIT")
    except sqlite3.DatabaseError:
        return False
    return True


def word_index_verdict(catalog: Catalog, folder: Path) -> tuple[bool, str]:
    """The fast keyword index, in words: (searches use it, what it is). Never a problem to repair: it is
    derived, searches answer from FTS5 whenever it is not current, and the writer builds it again."""
    words = wordindex.WordIndex(folder)
    state = words.refresh()
    identity, last = changelog.position(catalog.conn)
    if state is None:
        return False, ("fast keyword index: missing or unreadable; the next index run (or the window, or "
                       "'localsearch watch') builds it again, and searches use FTS5 meanwhile")
    if not state.complete:
        return False, f"fast keyword index: being built (up to passage {state.built_to}); searches use FTS5 meanwhile"
    if not state.current(identity, last):
        return False, ("fast keyword index: behind the catalog; the next index run or the watcher brings it up "
                       "to date, and searches use FTS5 meanwhile")
    if not words.spot_check(catalog.conn, samples=SAMPLE):
        return False, ("fast keyword index: does not match the catalog (spot check); the next index run builds it "
                       "again, and searches use FTS5 meanwhile")
    return True, f"fast keyword index: current, {words.passages()} passages, spot check ok"


def _ids_of(index: faiss.Index) -> np.ndarray | None:
    """The ids an exact (flat, id-mapped) index holds; None for other kinds (count and checksum suffice)."""
    if isinstance(index, faiss.IndexIDMap):
        return faiss.vector_to_array(index.id_map)
    return None


def vector_index_problems(catalog: Catalog, vectors: Path, col: Collection, space: str, dim: int,
                          compare_version: bool) -> list[str]:
    """What is wrong with one saved index file against the catalog ([] when it matches)."""
    vindex = VectorIndex(vectors, col.id, dim, space=space)
    stored = catalog.vector_count(col.id, space)
    if not vindex.file.exists():
        return [f"index file missing ({stored} vectors in the catalog)"] if stored else []
    try:
        meta = vindex.read_verified()
    except (RuntimeError, OSError) as e:
        return [f"unreadable: {str(e).splitlines()[0][:160]}"]
    out = []
    if vindex.index.d != dim or meta.dim != dim:
        out.append(f"dimension {vindex.index.d}, the model's is {dim}")
    if compare_version and meta.version != col.vector_version:
        out.append(f"saved at version {meta.version}, the catalog is at {col.vector_version}")
    if int(vindex.index.ntotal) != stored:
        out.append(f"{vindex.index.ntotal} vectors, the catalog has {stored}")
    ids = _ids_of(vindex.index)
    if ids is not None and not out:
        key = "ch.id" if space == "text" else "iv.file_id"
        known = {i for batch, _ in catalog.iter_vectors(col.id, dim, space=space) for i in batch.tolist()}
        strays = len(set(ids.tolist()) - known)
        if strays:
            out.append(f"{strays} vectors whose {key} is not in the catalog")
    return out


def nonfinite_files(catalog: Catalog, col: Collection, space: str, dim: int) -> list[int]:
    """Ids (chunk ids, or photo file ids) of stored vectors that hold NaN or infinity."""
    bad: list[int] = []
    for ids, vecs in catalog.iter_vectors(col.id, dim, space=space):
        bad.extend(ids[~np.isfinite(vecs).all(axis=1)].tolist())
    return bad


def sample_cosines(catalog: Catalog, col: Collection, embed: Callable[[list[str]], np.ndarray],
                   n: int = SAMPLE) -> list[float]:
    """Cosines between stored vectors and the same passages embedded again, for a random sample."""
    top = catalog.max_chunk_id()
    picks = random.Random().sample(range(1, top + 1), min(top, 20 * n)) if top else []
    rows: list[tuple[str, bytes, str | None]] = []
    for start in range(0, len(picks), 500):
        part = picks[start:start + 500]
        rows += catalog.conn.execute(
            f"SELECT ch.text, ch.vector, f.title FROM chunks ch JOIN files f ON f.id = ch.file_id WHERE f.collection_id = ?"
            f" AND ch.vector IS NOT NULL AND ch.id IN ({','.join('?' * len(part))})", (col.id, *part)).fetchall()
        if len(rows) >= n:
            break
    rows = rows[:n]
    if not rows:
        return []
    fresh = embed([passages.embedding_text(title, str(t)) for t, _, title in rows])
    stored = vecblob.decode_many([v for _, v, _ in rows], fresh.shape[1])
    norms = np.linalg.norm(fresh, axis=1) * np.linalg.norm(stored, axis=1)
    return [float(c) for c in (fresh * stored).sum(axis=1) / np.maximum(norms, 1e-12)]


def image_dim(catalog: Catalog, col: Collection) -> int | None:
    row = catalog.conn.execute("SELECT length(iv.vector) FROM image_vectors iv JOIN files f ON f.id = iv.file_id"
                               " WHERE f.collection_id = ? LIMIT 1", (col.id,)).fetchone()
    return int(row[0]) // 4 if row else None


def run(catalog: Catalog, vectors: Path, model_id: str, embedder: Embedder | None,
        compare_versions: bool) -> CheckResult:
    """Every check, over every collection. embedder=None skips the re-embedding sample; compare_versions is
    off while another process writes (its index files may lawfully lag its commits until it saves)."""
    out = CheckResult()
    damage = catalog_problems(catalog.conn)
    if damage:
        out.problems.append(Problem("catalog", None, "; ".join(damage[:3])))
        return out  # nothing read from a damaged file can be trusted
    out.passed.append("catalog: SQLite integrity check ok")
    words = keyword_problems(catalog.conn, full=compare_versions)
    if not (words or compare_versions or keywords_answer(catalog, samples=SAMPLE)):  # the spot check stands in
        words = ["passages are missing from it (spot check)"]
    out.problems += [Problem("keyword index", None, w) for w in words]
    if not words:
        out.passed.append("keyword index: " + ("FTS5 integrity check ok, one row per passage" if compare_versions else
                                               "one row per passage, spot check ok"))
    if not compare_versions:
        out.skipped.append("FTS5's full integrity check and index versions: another LocalSearch is writing "
                           "(run check again when it is idle or closed)")
    usable, verdict = word_index_verdict(catalog, Paths.words_beside(catalog.path))
    (out.passed if usable else out.skipped).append(verdict)
    for col in catalog.collections():
        spaces = [("text", col.dim)] + ([("image", image_dim(catalog, col))] if col.image_model_id else [])
        for space, dim in spaces:
            if not dim:
                continue
            what = "photo vector" if space == "image" else "vector"
            found = vector_index_problems(catalog, vectors, col, space, dim, compare_versions)
            out.problems += [Problem("vector index", col.name, f, space) for f in found]
            bad = nonfinite_files(catalog, col, space, dim)
            if bad:
                out.problems.append(Problem("stored vectors", col.name, f"NaN or infinity in {len(bad)} stored {what}s",
                                            space))
            if not found and not bad:
                out.passed.append(f"{col.name}: {what} index matches the catalog "
                                  f"({catalog.vector_count(col.id, space)} vectors)")
        if embedder is None or col.model_id is None:
            continue
        if variants.base(col.model_id) != model_id:
            out.skipped.append(f"{col.name}: made by {col.model_id}, not the configured model; not re-embedded")
            continue
        text = variants.choose(embedder, col.model_id, "auto")  # the variant that made it
        if text.model_id != col.model_id:
            out.skipped.append(f"{col.name}: made by {col.model_id}, which cannot run here; not re-embedded")
            continue
        cosines = sample_cosines(catalog, col, text.embed_texts)
        if cosines and min(cosines) < SAMPLE_MIN_COSINE:
            out.problems.append(Problem("model", col.name, f"{sum(c < SAMPLE_MIN_COSINE for c in cosines)} of "
                                        f"{len(cosines)} sampled passages embed differently now (lowest cosine "
                                        f"{min(cosines):.3f}): the vectors are not the model's"))
        elif cosines:
            out.passed.append(f"{col.name}: {len(cosines)} sampled passages embed the same (cosine >= "
                              f"{min(cosines):.4f})")
    return out
