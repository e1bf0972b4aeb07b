"""`check` finds each kind of damage and `repair` fixes it from the truth (SQLite, then the files);
searches answer right afterwards."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings


def make(home: paths.Paths) -> Service:
    return Service(home, Settings(text_model="hashing", ocr=False, image_model="none"), HashingEmbedder())


def overwrite_index(home: paths.Paths) -> None:
    f = next(home.vectors.glob("collection-*[0-9].faiss"))
    with open(f, "r+b") as out:
        out.seek(f.stat().st_size // 2)
        out.write(b"\x7f" * 4096)


def sql(home: paths.Paths, *statements: str, args: tuple[object, ...] = ()) -> None:
    db = sqlite3.connect(home.catalog)
    for s in statements:
        db.execute(s, args if "?" in s else ())
    db.commit()
    db.close()


def one_vector(value: np.ndarray) -> bytes:
    return value.astype(np.float32).tobytes()


rng = np.random.default_rng(0)
stranger = rng.standard_normal(384).astype(np.float32)
stranger /= np.linalg.norm(stranger)
DAMAGE = {
    "vector index": lambda h: overwrite_index(h),
    "vector index missing": lambda h: next(h.vectors.glob("collection-*[0-9].faiss")).unlink(),
    "keyword rows": lambda h: sql(h, "INSERT INTO chunks_words(chunks_words, rowid, text, name)"
                                     " SELECT 'delete', id, text, NULL FROM chunks WHERE id IN (1, 2, 3)"),
    "keyword index": lambda h: sql(h, "UPDATE chunks_words_data SET block = zeroblob(length(block)) WHERE id > 10"),
    "stored vectors": lambda h: sql(h, "UPDATE chunks SET vector = ? WHERE id = 4",
                                    args=(one_vector(np.full(384, np.nan)),)),
    "model": lambda h: sql(h, "UPDATE chunks SET vector = ?", args=(one_vector(stranger),)),
}
AREA = {"vector index missing": "vector index", "keyword rows": "keyword index"}


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[paths.Paths, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        (docs / f"n{i:02}.txt").write_text(f"note {i} on granite{i} and the ferry timetable " * 3)
    home = paths.resolve(tmp_path / "home")
    service = make(home)
    service.index("docs", [str(docs)])
    assert service.check().healthy
    service.close()
    return home, docs


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_check_finds_it_and_repair_fixes_it(indexed, damage):
    home, _ = indexed
    DAMAGE[damage](home)
    service = make(home)
    try:
        found = service.check()
        assert not found.healthy
        assert {p.area for p in found.problems} >= {AREA.get(damage, damage)}, found.problems
        result = service.repair()
        assert result.done and result.after.healthy, (result.done, result.after.problems)
        assert service.check().healthy
        hits = service.search(Query("granite7", k=3)).hits
        assert hits[0].path.endswith("n07.txt") and np.isfinite(hits[0].score)
    finally:
        service.close()


def test_a_healthy_index_passes_every_check(indexed):
    home, _ = indexed
    service = make(home)
    try:
        result = service.check()
        assert result.healthy and not result.problems
        assert any("sampled passages embed the same" in line for line in result.passed)
        assert any("vector index matches the catalog (40 vectors)" in line for line in result.passed)
    finally:
        service.close()


def test_searches_refuse_a_damaged_keyword_index_and_the_writer_rebuilds_it(indexed, caplog):
    from localsearch.core.errors import KnownError

    home, _ = indexed
    DAMAGE["keyword index"](home)
    service = make(home)
    try:
        with pytest.raises(KnownError, match="keyword index in the catalog is damaged"):
            service.search(Query("granite7", k=3))  # not an answer from the damaged index
        service.index("docs")  # the writer's spot check finds it and rebuilds from the passages
        assert "rebuilding it from the passages" in caplog.text
        assert service.search(Query("granite7", k=3)).hits[0].path.endswith("n07.txt")
        assert service.check(sample=False).healthy
    finally:
        service.close()


def test_check_beside_a_running_writer_never_takes_the_write_lock(indexed):
    """FTS5's integrity-check is an INSERT: it would hold the write lock for minutes on a big catalog and
    starve the window's indexer. While another process writes, check reads only (and says what it skipped)."""
    from localsearch.core.writer import WriterLock

    home, _ = indexed
    other = WriterLock(home.data, "the window")
    assert other.try_acquire()
    service = make(home)
    try:
        result = service.check()
        assert result.healthy and any("another LocalSearch is writing" in s for s in result.skipped)
        assert any("spot check ok" in p for p in result.passed)
        DAMAGE["keyword index"](home)
        service.searcher.forget()
        found = service.check()
        assert [p.area for p in found.problems] == ["keyword index"]
    finally:
        other.release()
        service.close()
