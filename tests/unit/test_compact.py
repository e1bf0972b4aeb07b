"""Passage vectors are stored at float16 and the vector indexes hold float16 codes (half the bytes); a
catalog and index files made before (float32) keep answering, and the writer rewrites them in bounded
steps, compacts the file, and rebuilds the index files in the new form."""

import json
import sqlite3
from pathlib import Path

import faiss
import numpy as np

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store import compact, keywords, schema, vecblob
from localsearch.core.store.vector_file import file_digest
from localsearch.core.store.vectors import CODES, VectorIndex

DIM = 384


def write_docs(folder: Path, n: int = 120) -> Path:
    folder.mkdir()
    for i in range(n):
        (folder / f"n{i:03}.txt").write_text(f"note {i}: " + " ".join(f"w{(i * 7 + j) % 997}" for j in range(60)))
    return folder


def make(home: paths.Paths) -> Service:
    return Service(home, Settings(text_model="hashing", ocr=False), HashingEmbedder())


def blob_lengths(home: paths.Paths) -> set[int]:
    conn = sqlite3.connect(home.catalog)
    try:
        return {int(r[0]) for r in conn.execute("SELECT DISTINCT length(vector) FROM chunks WHERE vector IS NOT NULL")}
    finally:
        conn.close()


def test_vectors_round_trip_at_half_width() -> None:
    rng = np.random.default_rng(1)
    v = rng.standard_normal(DIM).astype(np.float32)
    v /= np.linalg.norm(v)
    blob = vecblob.encode(v)
    assert len(blob) == 2 * DIM
    back = vecblob.decode(blob, DIM)
    assert back.dtype == np.float32 and float(back @ v) > 0.99999
    assert np.array_equal(vecblob.decode(v.tobytes(), DIM), v), "a float32 vector of an older catalog reads as it was"
    big = v * 1e6  # beyond float16: kept exact at float32
    assert len(vecblob.encode(big)) == 4 * DIM and np.array_equal(vecblob.decode(vecblob.encode(big), DIM), big)
    mixed = vecblob.decode_many([blob, v.tobytes()], DIM)
    assert mixed.shape == (2, DIM) and np.allclose(mixed[0], mixed[1], atol=1e-3)


def test_a_new_catalog_and_index_hold_half_width_vectors(tmp_path: Path) -> None:
    home = paths.resolve(tmp_path / "home")
    service = make(home)
    try:
        service.index("docs", [str(write_docs(tmp_path / "docs"))])
        hits = service.search(Query("w350 w357 w364", k=5)).hits
        col = service.collection("docs")
    finally:
        service.close()
    assert hits and blob_lengths(home) == {2 * DIM}
    conn = sqlite3.connect(home.catalog)
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 8192, "rows of ~1.9 KB waste less of 8 KB pages"
    conn.close()
    side = json.loads((home.vectors / f"collection-{col.id}.json").read_text())
    assert side["codes"] == CODES == "fp16"
    index = faiss.read_index(str(home.vectors / f"collection-{col.id}.faiss"))
    assert isinstance(faiss.downcast_index(faiss.downcast_index(index).index), faiss.IndexScalarQuantizer)


def make_old_install(tmp_path: Path) -> tuple[paths.Paths, list[tuple[str, float]]]:
    """A home as the version before schema 11 left it: float32 vectors in the catalog, a keyword index
    holding its own copy of the text (deleted from by rowid), an exact float32 vector index file whose
    sidecar says nothing of its codes; catalog schema 10. Returns it and a search's hits."""
    home = paths.resolve(tmp_path / "home")
    service = make(home)
    service.index("docs", [str(write_docs(tmp_path / "docs", 400))])
    col = service.collection("docs")
    service.close()
    conn = sqlite3.connect(home.catalog)
    rows = conn.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
    conn.executemany("UPDATE chunks SET vector = ? WHERE id = ?",
                     [(vecblob.decode(blob, DIM).tobytes(), cid) for cid, blob in rows])
    conn.commit()
    conn.execute("BEGIN")
    conn.execute(f"DROP TABLE {keywords.TABLE}")
    conn.execute(keywords.CREATE_V5)
    conn.execute(f"INSERT INTO {keywords.TABLE}(rowid, text, name) SELECT id, text, {keywords.name_of('file_id')} FROM chunks")
    conn.execute("DROP TRIGGER chunks_ad")
    conn.execute(f"CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN DELETE FROM {keywords.TABLE} WHERE rowid = old.id; END")
    conn.execute(f"CREATE TRIGGER files_au_path AFTER UPDATE OF path ON files BEGIN UPDATE {keywords.TABLE} SET name ="
                 f" {keywords.name_of('new.id')} WHERE rowid IN (SELECT id FROM chunks WHERE file_id = new.id); END")
    conn.execute("ALTER TABLE files DROP COLUMN words_name")
    conn.execute("PRAGMA user_version = 10")
    conn.commit()
    conn.execute("VACUUM")
    conn.close()
    old = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    old.add_with_ids(np.stack([vecblob.decode(b, DIM) for _, b in rows]), np.array([r[0] for r in rows], np.int64))
    faiss.write_index(old, str(home.vectors / f"collection-{col.id}.faiss"))
    side_file = home.vectors / f"collection-{col.id}.json"
    side = json.loads(side_file.read_text())
    del side["codes"]
    with open(home.vectors / f"collection-{col.id}.faiss", "rb") as f:
        side["checksum"] = file_digest(f)
    side_file.write_text(json.dumps(side))
    assert blob_lengths(home) == {4 * DIM}
    service = make(home)
    try:
        hits = [(h.path, round(h.score, 3)) for h in service.search(Query("w350 w357 w364", k=5)).hits]
    finally:
        service.close()
    return home, hits


def test_an_older_install_answers_then_is_rewritten_compacted_and_reindexed(tmp_path: Path) -> None:
    home, before = make_old_install(tmp_path)
    assert before
    size = home.catalog.stat().st_size
    service = make(home)
    try:
        conn = service.catalog.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert compact.pending(conn) and keywords.filling(conn), "the migration notes the work; the writer does it"
        assert [(h.path, round(h.score, 3)) for h in service.search(Query("w350 w357 w364", k=5)).hits] == before
        seen: list[tuple[str, int, int]] = []
        service.index("docs", on_progress=lambda p: seen.append((p.phase, p.done, p.total)))
        assert not compact.pending(conn)
        assert [(h.path, round(h.score, 3)) for h in service.search(Query("w350 w357 w364", k=5)).hits] == before
        col = service.collection("docs")
    finally:
        service.close()
    assert any(phase == "compacting" for phase, _, _ in seen), seen
    assert [(done, total) for phase, done, total in seen if phase == "compacting file"] == [(0, 1), (1, 1)], \
        "the VACUUM (no count of its own) is said while it runs"
    assert any(phase == "upgrading keywords" for phase, _, _ in seen), seen
    assert blob_lengths(home) == {2 * DIM}
    conn = sqlite3.connect(home.catalog)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert f"{keywords.TABLE}_content" not in tables and keywords.OLD_TABLE not in tables
    fresh = paths.resolve(tmp_path / "fresh")
    new = make(fresh)
    try:
        new.index("docs", [str(tmp_path / "docs")])
    finally:
        new.close()
    upgraded = home.catalog.stat().st_size
    assert upgraded < 0.75 * size and upgraded <= 1.1 * fresh.catalog.stat().st_size, \
        "the freed pages are given back: no larger than a catalog made new"
    side = json.loads((home.vectors / f"collection-{col.id}.json").read_text())
    assert side["codes"] == CODES, "the index file is rebuilt with float16 codes"
    reader = VectorIndex(home.vectors, col.id, DIM)
    service = make(home)
    try:
        assert reader.load_or_rebuild(service.catalog, service.catalog.collection("docs"), persist=False) == "loaded"
    finally:
        service.close()


def test_the_rewrite_goes_in_bounded_steps_and_resumes(tmp_path: Path) -> None:
    home, _ = make_old_install(tmp_path)
    service = make(home)
    try:
        conn = service.catalog.conn
        total = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert not compact.step(conn, batch=150), "one bounded step"
        lengths = [r[0] for r in conn.execute("SELECT length(vector) FROM chunks ORDER BY id")]
        assert lengths == [2 * DIM] * 150 + [4 * DIM] * (total - 150)
        calls = iter(range(3))
        assert not compact.run(conn, home.catalog, stop=lambda: next(calls, 99) >= 1), "a stop keeps what was done"
        assert compact.pending(conn)
        assert compact.run(conn, home.catalog)
        assert not compact.pending(conn) and blob_lengths(home) == {2 * DIM}
    finally:
        service.close()
