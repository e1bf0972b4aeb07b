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
    assert size > 3 * 32768
    with open(faiss_file, "r+b") as f:  # what a bad sector or a stray write does
        f.seek(size // 3)
        f.write(b"\x7f" * 32768)

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


def cli(home, *args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "localsearch", "--home", str(home), *args], capture_output=True,
                          text=True, timeout=300)


def test_a_damaged_or_newer_catalog_is_one_plain_line_in_every_command(tmp_path):
    import sqlite3

    damaged, newer = tmp_path / "damaged", tmp_path / "newer"
    (damaged / "data").mkdir(parents=True)
    (damaged / "data" / "catalog.sqlite3").write_bytes(b"\x13" * 20000)  # overwritten from the start
    (newer / "data").mkdir(parents=True)
    conn = sqlite3.connect(newer / "data" / "catalog.sqlite3")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    for home, expected in ((damaged, "is damaged"), (newer, "made by a newer LocalSearch")):
        for args in (("status",), ("search", "rent"), ("index", "--collection", "x"), ("collections", "list")):
            r = cli(home, *args)
            assert r.returncode == 1 and "Traceback" not in r.stderr, (args, r.stderr)
            assert expected in r.stderr and str(home / "data" / "catalog.sqlite3") in r.stderr
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_the_window_says_so_instead_of_crashing(tmp_path, qtbot, monkeypatch):
    from localsearch.gui import app

    (tmp_path / "home" / "data").mkdir(parents=True)
    (tmp_path / "home" / "data" / "catalog.sqlite3").write_bytes(b"\x13" * 20000)
    shown: list[str] = []
    monkeypatch.setattr(app, "ask_repair", lambda text: shown.append(text) or False)  # the user chooses Quit
    assert app.main(str(tmp_path / "home")) == 1
    assert len(shown) == 1 and "is damaged" in shown[0] and "Traceback" not in shown[0]
    assert (tmp_path / "home" / "data" / "catalog.sqlite3").exists()  # nothing moved without asking


def test_the_window_repairs_a_damaged_catalog_when_asked(tmp_path):
    from localsearch.gui import app

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"n{i:02}.txt").write_text(f"note {i} on basalt{i}")
    home = paths.resolve(tmp_path / "home")
    service = make(home)
    service.index("docs", [str(docs)])
    service.close()
    with open(home.catalog, "r+b") as f:  # its first pages, collections and roots among them
        f.write(b"\x13" * 20000)
    asked: list[str] = []
    repaired = app.open_service(home, lambda text: asked.append(text) or True, say=asked.append)
    assert repaired is not None and len(asked) == 1 and "is damaged" in asked[0]
    try:
        assert [(c.name, c.roots, c.files) for c in repaired.overview()] == [("docs", [str(docs)], 0)]
        assert list(home.data.glob("catalog.sqlite3.damaged-*"))  # kept for a report
    finally:
        repaired.close()
    again = make(home)  # what the window's catch-up pass does next
    try:
        again.index("docs")
        assert again.search(Query("basalt7", k=1)).hits[0].path.endswith("n07.txt")
    finally:
        again.close()
    newer = paths.resolve(tmp_path / "newer")
    newer.data.mkdir(parents=True)
    import sqlite3

    conn = sqlite3.connect(newer.catalog)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    told: list[str] = []
    assert app.open_service(newer, lambda text: True, say=told.append) is None
    assert "newer LocalSearch" in told[0] and newer.catalog.exists()


def test_sqlite_failures_are_told_apart_by_their_code():
    import sqlite3

    from localsearch.core.errors import catalog_error

    def failure(code: int) -> sqlite3.DatabaseError:
        e = sqlite3.DatabaseError("x")
        e.sqlite_errorcode = code  # type: ignore[attr-defined]
        return e

    assert "damaged" in str(catalog_error("c", failure(11))) and "damaged" in str(catalog_error("c", failure(26)))
    assert "disk holding c is full" in str(catalog_error("c", failure(13)))
    assert "locked" in str(catalog_error("c", failure(5))) and "locked" in str(catalog_error("c", failure(261)))
    assert "permissions" in str(catalog_error("c", failure(14)))
    assert "damaged" not in str(catalog_error("c", failure(10)))  # SQLITE_IOERR: not called damage


def test_a_model_that_returns_nan_never_puts_it_in_the_index(tmp_path):
    """A broken custom model (or an fp16 overflow) returns NaN for one file: that file is recorded as
    failed with a plain reason, the others are indexed, and no search ever ranks a NaN."""
    import numpy as np

    class Flaky(HashingEmbedder):
        def embed_texts(self, texts):
            out = super().embed_texts(texts)
            for i, t in enumerate(texts):
                if "overflow" in t:
                    out[i] = np.nan
            return out

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("lighthouse keeper logbook")
    (docs / "bad.txt").write_text("lighthouse overflow page")
    service = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False,
                                                                 image_model="none"), Flaky())
    try:
        report = service.index("docs", [str(docs)])
        assert report.failed == 1 and "invalid numbers" in report.errors[0][1] and report.errors[0][0].endswith("bad.txt")
        hits = service.search(Query("lighthouse")).hits
        assert [h.path.rsplit("/", 1)[1] for h in hits] == ["good.txt"] and all(np.isfinite(h.score) for h in hits)
        assert service.status()["collections"][0]["failures"][0]["reason"].startswith("the text model returned")
    finally:
        service.close()


def test_a_full_disk_while_saving_is_one_line_and_loses_nothing_committed(tmp_path, monkeypatch, capsys):
    import shutil as shutil_mod
    from collections import namedtuple

    from localsearch import cli
    from localsearch.core.store import vector_file as vectors

    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text('{"text_model": "hashing", "ocr": false, "image_model": "none"}')
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(20):
        (docs / f"n{i}.txt").write_text(f"note {i} about lanterns")

    def full(*args, **kwargs):
        raise RuntimeError("Error: 'ret == (size)' failed: write error 4014 != 1572864")

    usage = namedtuple("usage", "total used free")
    real_write = vectors.faiss.write_index
    monkeypatch.setattr(vectors.faiss, "write_index", full)
    monkeypatch.setattr(vectors.shutil, "disk_usage", lambda p: usage(10 << 30, (10 << 30) - (2 << 20), 2 << 20))
    assert cli.main(["--home", str(home), "index", str(docs), "-c", "docs", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "disk full: 2 MB free on" in err and "nothing committed was lost" in err, err
    assert "Traceback" not in err and "4014" not in err and len(err.strip().splitlines()) == 1, err

    monkeypatch.setattr(vectors.shutil, "disk_usage", lambda p: usage(10 << 30, 0, 5 << 30))  # not the disk
    assert cli.main(["--home", str(home), "index", "-c", "docs", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "cannot save the search index" in err and "nothing committed was lost" in err and "disk full" not in err

    monkeypatch.setattr(vectors.faiss, "write_index", real_write)  # space freed
    monkeypatch.setattr(vectors.shutil, "disk_usage", shutil_mod.disk_usage)
    service = make(paths.resolve(home))
    try:
        assert service.overview()[0].files == 20  # every commit made before the save failed is there
        assert len(service.search(Query("lanterns", k=50)).hits) == 20  # served, rebuilt from the catalog
    finally:
        service.close()
