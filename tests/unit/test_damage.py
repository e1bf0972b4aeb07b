"""A vector index file damaged on disk is noticed by its checksum and rebuilt from SQLite (the truth):
searches never answer from it. Reproduces the fault found by hand: 64 KiB overwritten in the middle of
collection-1.faiss used to give wrong files with scores around 1e35, and no warning."""

import json
import logging

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store.vectors import VectorIndex


def make(home):
    return Service(home, Settings(text_model="hashing", ocr=False, image_model="none"), HashingEmbedder())


def test_a_damaged_index_file_is_rebuilt_not_served(tmp_path, caplog):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(150):
        (docs / f"n{i:03}.txt").write_text(f"note {i}: " + " ".join(f"w{(i * 7 + j) % 997}" for j in range(40)))
    home = paths.resolve(tmp_path / "home")
    service = make(home)
    service.index("docs", [str(docs)])
    query = Query("w350 w357 w364", k=5)
    before = [(h.path, round(h.score, 6)) for h in service.search(query).hits]
    service.close()
    faiss_file = next(home.vectors.glob("collection-*[0-9].faiss"))
    size = faiss_file.stat().st_size
    assert size > 3 * 65536
    with open(faiss_file, "r+b") as f:  # what a bad sector or a stray write does
        f.seek(size // 2)
        f.write(b"\x7f" * 65536)

    with caplog.at_level(logging.WARNING, logger="localsearch.store"):
        service = make(home)
        after = service.search(query)
        service.close()
    assert [(h.path, round(h.score, 6)) for h in after.hits] == before
    assert all(h.score < 1 for h in after.hits)
    assert any("checksum mismatch" in r.getMessage() for r in caplog.records)

    service = make(home)  # the writer's next pass writes a good file again
    service.index("docs")
    service.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="localsearch.store"):
        col = make(home).collection("docs")
        reader = VectorIndex(home.vectors, col.id, col.dim or 0)
        from localsearch.core.store.catalog import Catalog

        assert reader.load_or_rebuild(Catalog(home.catalog), col, persist=False) == "loaded"
    assert not caplog.records


def test_an_index_saved_before_checksums_still_loads(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("harbour lights")
    home = paths.resolve(tmp_path / "home")
    service = make(home)
    service.index("docs", [str(docs)])
    service.close()
    sidecar = next(home.vectors.glob("collection-*[0-9].json"))
    meta = json.loads(sidecar.read_text())
    assert len(meta.pop("checksum")) == 32
    sidecar.write_text(json.dumps(meta))  # as an earlier release wrote it
    from localsearch.core.store.catalog import Catalog

    col = make(home).collection("docs")
    assert VectorIndex(home.vectors, col.id, col.dim or 0).load_or_rebuild(Catalog(home.catalog), col,
                                                                           persist=False) == "loaded"
