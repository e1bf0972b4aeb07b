import json
import sqlite3

import numpy as np
import pytest

from localsearch.core.store import schema
from localsearch.core.store.catalog import Catalog, FileResult
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.types import Chunk


def vec(*xs: float) -> np.ndarray:
    v = np.array(xs + (0.0,) * (4 - len(xs)), dtype=np.float32)
    return v / np.linalg.norm(v)


def result(path: bytes, texts: list[str], vectors: list[np.ndarray]) -> FileResult:
    chunks = [Chunk(0, len(t), t) for t in texts]
    return FileResult(path, 10, 1, "h-" + path.decode(errors="replace"), "document", chunks, np.stack(vectors))


def test_schema_is_versioned_and_in_wal_mode(cat):
    assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert cat.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_counting_a_collections_vectors_reads_an_index_not_every_passage(cat):
    col = cat.ensure_collection("c")
    cat.commit_files(col.id, [result(b"/a.txt", ["apple pie", "banana split"], [vec(1), vec(0, 1)])])
    _, _, source = cat._SPACES["text"]
    plan = " ".join(str(r[3]) for r in cat.conn.execute(f"EXPLAIN QUERY PLAN SELECT count(*) FROM {source}", (col.id,)))
    assert "chunks_with_vector" in plan, plan
    assert cat.vector_count(col.id) == 2


def test_commit_replaces_a_files_chunks_and_keyword_index(cat):
    col = cat.ensure_collection("c")
    first = cat.commit_files(col.id, [result(b"/a.txt", ["apple pie", "banana split"], [vec(1), vec(0, 1)])])
    assert len(first.added_ids) == 2 and not first.removed_ids
    assert [i for i, _ in cat.keyword_search('"apple"', [col.id], 10)] == [first.added_ids[0]]
    second = cat.commit_files(col.id, [result(b"/a.txt", ["cherry tart"], [vec(0, 0, 1)])])
    assert sorted(second.removed_ids) == sorted(first.added_ids)
    assert cat.keyword_search('"apple"', [col.id], 10) == []
    assert cat.stats(col.id) == {"files": 1, "failed": 0, "chunks": 1}
    assert cat.collection_by_id(col.id).vector_version == 2


def test_a_failed_commit_leaves_nothing_behind(cat):
    col = cat.ensure_collection("c")
    bad = result(b"/b.txt", ["x"], [vec(1)])
    bad.chunks = [Chunk(0, 1, None)]  # type: ignore[arg-type]  # NOT NULL violation mid-batch
    with pytest.raises(sqlite3.IntegrityError):
        cat.commit_files(col.id, [result(b"/a.txt", ["fine"], [vec(1)]), bad])
    assert cat.stats(col.id)["files"] == 0 and cat.collection_by_id(col.id).vector_version == 0


def test_move_keeps_chunks_and_renames_in_the_keyword_index(cat):
    col = cat.ensure_collection("c")
    ids = cat.commit_files(col.id, [result(b"/old/report.txt", ["text"], [vec(1)])]).added_ids
    row = cat.files(col.id)[b"/old/report.txt"]
    cat.move_file(row.id, b"/new/summary.txt", 10, 2)
    assert set(cat.files(col.id)) == {b"/new/summary.txt"}
    assert cat.keyword_search('"summary"', [col.id], 5)[0][0] == ids[0]
    assert cat.keyword_search('"report"', [col.id], 5) == []


def test_non_utf8_names_round_trip(cat):
    col = cat.ensure_collection("c")
    raw = b"/tmp/caf\xe9.txt"  # latin-1 byte, invalid UTF-8
    cat.commit_files(col.id, [result(raw, ["coffee"], [vec(1)])])
    assert raw in cat.files(col.id)
    row = next(iter(cat.chunk_rows(cat.keyword_search('"coffee"', [col.id], 1)[0][:1]).values()))
    assert row.path == "/tmp/caf\ufffd.txt"


def test_remove_collection_takes_everything(cat):
    col = cat.ensure_collection("c")
    cat.add_root(col.id, "/x")
    cat.commit_files(col.id, [result(b"/a", ["t"], [vec(1)])])
    cat.remove_collection("c")
    assert cat.collections() == []
    assert cat.conn.execute("SELECT count(*) FROM chunks_words").fetchone()[0] == 0
    assert cat.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 0


def test_vector_index_is_rebuilt_when_stale_missing_or_damaged(cat, tmp_path):
    col = cat.ensure_collection("c")
    cat.set_model(col.id, "m", 4)
    ids = cat.commit_files(col.id, [result(b"/a", ["x", "y"], [vec(1), vec(0, 1)])]).added_ids
    col = cat.collection_by_id(col.id)
    vi = VectorIndex(tmp_path, col.id, 4)
    assert vi.load_or_rebuild(cat, col).startswith("rebuilt: index file missing")
    assert vi.search(vec(1), 1)[0][0] == ids[0]
    assert VectorIndex(tmp_path, col.id, 4).load_or_rebuild(cat, col) == "loaded"

    cat.commit_files(col.id, [result(b"/b", ["z"], [vec(0, 0, 1)])])  # catalog moves on, file does not
    col = cat.collection_by_id(col.id)
    assert "version" in VectorIndex(tmp_path, col.id, 4).load_or_rebuild(cat, col)

    vi.file.write_bytes(vi.file.read_bytes()[:20])  # truncated
    again = VectorIndex(tmp_path, col.id, 4)
    assert again.load_or_rebuild(cat, col).startswith("rebuilt: unreadable")
    assert again.count == 3

    cat.set_model(col.id, "other-model", 4)
    col = cat.collection_by_id(col.id)
    assert "other-model" in VectorIndex(tmp_path, col.id, 4).load_or_rebuild(cat, col)


def test_vector_add_remove_search(tmp_path):
    vi = VectorIndex(tmp_path, 1, 4, use_gpu=False)
    vi.add([10, 20, 30], [vec(1), vec(0, 1), vec(1, 1)])
    assert [i for i, _ in vi.search(vec(1), 2)] == [10, 30]
    vi.remove([10])
    assert [i for i, _ in vi.search(vec(1), 3)] == [30, 20]
    assert vi.dirty


def test_a_v2_catalog_upgrades_and_queues_photos_and_pdfs_for_text_reading(tmp_path):
    """Catalogs made before OCR: photos and PDFs (which may be scans) are to be read, the rest not."""
    db = tmp_path / "catalog.sqlite3"
    conn = sqlite3.connect(db)
    for step in schema.MIGRATIONS[:2]:
        conn.executescript(step)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO collections(id, name, created) VALUES (1, 'c', 0)")
    for i, (path, kind) in enumerate([("/p/a.jpg", "photo"), ("/p/b.PDF", "document"), ("/p/c.txt", "document")]):
        conn.execute("INSERT INTO files(id, collection_id, raw_path, path, kind, status, indexed_at)"
                     " VALUES (?, 1, ?, ?, ?, 'ok', 0)", (i + 1, path.encode(), path, kind))
    conn.commit()
    conn.close()
    cat = Catalog(db)
    assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert sorted(r.raw_path for r in cat.ocr_todo(1, 10)) == [b"/p/a.jpg", b"/p/b.PDF"]
    assert cat.ocr_left(1) == 2
    cat.close()


def test_a_sidecar_is_one_record_and_a_stale_file_says_why_as_a_kind(tmp_path):
    from dataclasses import asdict

    from localsearch.core.store.vector_file import Sidecar, Stale, VectorFile

    disk = VectorFile(tmp_path, "collection-1")
    side = Sidecar("model-a", 8, 3, 10, "ivf", 12, 10, 0.25, 2, 2, 0.5, "abc", "fp16")
    disk.write_sidecar(side)
    assert disk.read_sidecar() == side
    assert disk.why_stale("model-a", 8, 3).stale is Stale.MISSING  # a sidecar without its index file
    disk.file.write_bytes(b"x")
    assert disk.why_stale("model-a", 8, 3) is None
    assert disk.why_stale("model-a", 8, 4).stale is Stale.BEHIND and "version 3, catalog at 4" in str(
        disk.why_stale("model-a", 8, 4))
    assert disk.why_stale("model-b", 8, 3).stale is Stale.OTHER_MODEL
    older = {k: v for k, v in asdict(side).items() if k not in ("codes", "checksum", "drift_n", "drift_sum")}
    for kind, codes in (("ivf-sq8", "sq8"), ("flat", "float32")):  # written before codes were recorded
        disk.meta_file.write_text(json.dumps({**older, "kind": kind, "dim": "8"}))
        read = disk.read_sidecar()
        assert read is not None and (read.codes, read.dim, read.checksum, read.drift_n) == (codes, 8, "", 0)
    disk.meta_file.write_text('{"model_id": "m"}')  # fields missing: not a sidecar
    assert disk.read_sidecar() is None and disk.why_stale("m", 8, 3).stale is Stale.NO_SIDECAR
