"""Switching the text model without downtime: the next index is built beside the one that serves, which
answers with its own model until the new one takes over in one step; kill -9 mid-way resumes; vectors
of two models never meet in one index. Two "models" here are the model-free hashing embedder at two
sizes (other id, other dimension), so the plumbing is tested without weights."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import faiss
import pytest

from localsearch.core import paths as paths_mod
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store import successor
from tests.integration.test_cli import catalog_counts, run_cli
from tests.processes import kill_when

OLD, NEW = "localsearch/hashing-v1-256", "localsearch/hashing-v1-384"
TIMEOUT = 300 * float(os.environ.get("LOCALSEARCH_TEST_TIMEOUT_SCALE", "1"))


def write_docs(root: Path, n: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"doc{i:04}.txt").write_text(f"Document {i} about subject {i % 7}, item{i} of the ledger.")


def vector_files(home: paths_mod.Paths) -> set[str]:
    return {p.name for p in home.vectors.iterdir() if p.suffix == ".faiss"}


def test_the_old_index_answers_with_its_model_until_the_new_one_takes_over(tmp_path: Path) -> None:
    home = paths_mod.resolve(tmp_path / "home").ensure()
    write_docs(tmp_path / "d", 40)
    settings = Settings(text_model="hashing-256", ocr=False, commit_every_chunks=4)
    service = Service(home, settings)
    service.index("d", [str(tmp_path / "d")])
    old_id = service.catalog.collection("d").id
    seen: list[tuple[str | None, int, list[str], list[str], list[str]]] = []
    before = [h.path for h in service.search(Query("item17 ledger", k=50, mode="meaning")).hits]
    service.apply_settings(replace(settings, text_model="hashing"))
    reader = Service(home, replace(settings, text_model="hashing"))  # another process's view: the window, say

    def during(p) -> None:  # type: ignore[no-untyped-def]
        # files count once committed, in batches: the first report at or past 8, and at or past 30
        due = next((at for at in (8, 30) if p.done >= at and all(s[1] < at for s in seen)), None)
        if p.phase == "indexing" and p.switching and due is not None:
            col = reader.catalog.collection("d")
            result = reader.search(Query("item17 ledger", k=50, mode="meaning"))
            names = [c.name for c in reader.catalog.collections()]
            seen.append((col.model_id, p.done, [h.path for h in result.hits], result.warnings, names))

    try:
        switch_started = time.time()
        report = service.index("d", on_progress=during)
        assert [s[1] >= at for s, at in zip(seen, (8, 30))] == [True, True] and len(seen) == 2 and \
            seen[1][1] < 40, "searched twice while the next index was half built"
        for model_id, _, hits, warnings, names in seen:
            assert model_id == OLD and names == ["d"], "the old index serves; the next one is hidden"
            assert hits == before and len(hits) > 30 and warnings == [], "as before, by meaning, with the old model"
        assert report.reindexed_from == OLD and report.switching_to is None
        col = service.catalog.collection("d")
        assert (col.model_id, col.dim) == (NEW, 384) and col.id != old_id
        assert col.last_indexed is not None and col.last_indexed >= switch_started, "indexed now, not when the old was"
        assert successor.of(service.catalog, col) is None and not successor.any_building(service.catalog)
        assert vector_files(home) == {f"collection-{col.id}.faiss", f"collection-{col.id}-image.faiss"} or \
            vector_files(home) == {f"collection-{col.id}.faiss"}, "the old model's index files are gone"
        assert service.catalog.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 40, "no copies left"
        after = reader.search(Query("item17 ledger", k=5))
        assert not after.warnings and after.hits[0].path.endswith("doc0017.txt")
        assert [h.path for h in reader.search(Query("item17", k=5, collections=["d"])).hits] == \
            [str(tmp_path / "d" / "doc0017.txt")]
    finally:
        reader.close()
        service.close()


SETTINGS = Settings(text_model="hashing-256", ocr=False, commit_every_chunks=2)


@pytest.fixture
def stopped_mid_switch(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A collection of 12 files made by OLD, the setting changed to NEW, and the switch stopped after 4."""
    home = paths_mod.resolve(tmp_path / "home").ensure()
    write_docs(tmp_path / "d", 12)
    service = Service(home, SETTINGS)
    service.index("d", [str(tmp_path / "d")])
    service.old_id = service.catalog.collection("d").id  # type: ignore[attr-defined]
    service.apply_settings(replace(SETTINGS, text_model="hashing"))
    cancel = threading.Event()
    service.index("d", on_progress=lambda p: cancel.set() if p.switching and p.done >= 4 else None, cancel=cancel)
    assert successor.any_building(service.catalog), "stopped mid-switch"
    yield service
    service.close()


def test_keyword_search_over_every_collection_sees_no_copies_mid_switch(stopped_mid_switch: Service,
                                                                        tmp_path: Path) -> None:
    service = stopped_mid_switch
    hits = service.search(Query("item3", k=20, mode="keywords")).hits
    assert [h.path for h in hits] == [str(tmp_path / "d" / "doc0003.txt")], "one hit, from the serving index"
    switching = service.status()["collections"][0]["switching"]
    assert switching["model"] == NEW and 4 <= switching["files"] < 12 and switching["of"] == 12


def test_changing_back_mid_switch_drops_the_next_index(stopped_mid_switch: Service) -> None:
    service = stopped_mid_switch
    next_index = successor.of(service.catalog, service.catalog.collection("d"))
    assert next_index is not None and next_index.model_id == NEW
    assert f"collection-{next_index.id}.faiss" in vector_files(service.paths)
    service.apply_settings(SETTINGS)  # back to the model the collection has
    report = service.index("d")
    col = service.catalog.collection("d")
    assert col.id == service.old_id and col.model_id == OLD and report.added == 0, "nothing re-embedded"  # type: ignore[attr-defined]
    assert successor.of(service.catalog, col) is None
    assert f"collection-{next_index.id}.faiss" not in vector_files(service.paths)
    assert service.catalog.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 12


def test_a_collection_renamed_mid_switch_keeps_its_new_name(stopped_mid_switch: Service) -> None:
    service = stopped_mid_switch
    service.rename_collection("d", "notes")
    extra = service.paths.data.parent / "more"
    extra.mkdir()
    (extra / "late.txt").write_text("A late note, item99.")
    service.add_folder("notes", str(extra))  # a folder added mid-switch is indexed by the next index too
    report = service.index("notes")
    assert report.reindexed_from == OLD
    assert [(c.name, c.model_id) for c in service.catalog.collections()] == [("notes", NEW)]
    assert [h.path for h in service.search(Query("item99", k=3, mode="keywords")).hits] == [str(extra / "late.txt")]
    assert json.loads(service.catalog.folders_copy.read_text())["notes"][-1] == str(extra)


def test_removing_a_collection_mid_switch_removes_its_next_index(stopped_mid_switch: Service) -> None:
    service = stopped_mid_switch
    building = successor.of(service.catalog, service.catalog.collection("d"))
    assert building is not None and f"collection-{building.id}.faiss" in vector_files(service.paths)
    service.remove_collection("d")
    rows = service.catalog.conn.execute("SELECT count(*) FROM collections").fetchone()[0]
    files = service.catalog.conn.execute("SELECT count(*) FROM files").fetchone()[0]
    assert (rows, files) == (0, 0)
    assert vector_files(service.paths) == set()


def successor_files(home: Path) -> int:
    db = sqlite3.connect(home / "data" / "catalog.sqlite3", timeout=30)
    try:
        row = db.execute("SELECT count(*) FROM files f JOIN collections c ON c.id = f.collection_id"
                         " WHERE c.successor_of IS NOT NULL").fetchone()
        return int(row[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def test_kill_9_mid_switch_then_restart_resumes_and_search_never_breaks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    config = home / "config" / "settings.json"
    config.write_text(json.dumps({"text_model": "hashing-256", "commit_every_chunks": 10, "ocr": False}))
    n = 600
    write_docs(tmp_path / "d", n)
    run_cli(home, "index", str(tmp_path / "d"), "-c", "d")
    config.write_text(json.dumps({"text_model": "hashing", "commit_every_chunks": 10, "ocr": False}))
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "localsearch", "index", "-c", "d", "--no-progress"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = kill_when(proc, lambda: successor_files(home), 100, TIMEOUT)
    assert proc.returncode == -signal.SIGKILL and 100 <= killed_at < n, "killed mid-switch"

    hits = json.loads(run_cli(home, "search", "item417 ledger", "--json", "-k", "3").stdout)
    assert hits and hits[0]["path"].endswith("doc0417.txt"), "the old index answers after the crash"
    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert status["collections"][0]["model"] == OLD

    out = run_cli(home, "index", "-c", "d")
    assert "switched" in out.stdout or "re-indexed" in out.stdout
    files, chunks = catalog_counts(home)
    assert (files, chunks) == (n, n), "one copy of every file, nothing mixed or left over"
    db = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        (cid, model), = db.execute("SELECT id, model_id FROM collections").fetchall()
        ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
    finally:
        db.close()
    assert model == NEW
    index = faiss.read_index(str(home / "data" / "vectors" / f"collection-{cid}.faiss"))
    assert index.d == 384 and index.ntotal == n and set(faiss.vector_to_array(index.id_map).tolist()) == ids
    hits = json.loads(run_cli(home, "search", "item417 ledger", "--json", "-k", "3").stdout)
    assert hits[0]["path"].endswith("doc0417.txt")
    assert sorted(p.name for p in (home / "data" / "vectors").glob("*.faiss")) == [f"collection-{cid}.faiss"] or \
        all(p.name.startswith(f"collection-{cid}") for p in (home / "data" / "vectors").glob("*.faiss"))


@pytest.fixture(autouse=True)
def _quiet_faiss() -> None:
    faiss.omp_set_num_threads(1)


def test_a_recorded_model_id_names_the_setting_that_makes_it() -> None:
    from localsearch.core.embed import factory, multilingual

    for name in ("default", "multilingual", "hashing", "hashing-256", str(Path.cwd())):
        assert factory.name_for(factory.model_id_for(name)) == (name if name != "hashing" else "hashing-384")
    assert factory.describe(multilingual.MODEL_ID) == "the multilingual model"
    assert factory.describe("sentence-transformers/all-MiniLM-L6-v2#int8") == "the built-in English model"


def test_a_collection_of_the_8_bit_variant_needs_no_reindex(service: Service) -> None:
    """The 8-bit passage encoder is the same model: status must not tell the user to re-index it."""
    col = service.catalog.ensure_collection("c")
    service.catalog.set_model(col.id, service.model_id + "#int8", 384)
    assert service.status()["collections"][0]["needs_reindex"] is False
    service.catalog.set_model(col.id, "some/other-model", 384)
    assert service.status()["collections"][0]["needs_reindex"] is True


def test_a_damaged_catalog_mid_switch_is_salvaged_without_the_next_index(stopped_mid_switch: Service) -> None:
    """Repair reads the collections and folders out of a catalog it sets aside: the unfinished next index
    is not one of them (it would come back as a collection named '(next index of #1)')."""
    from localsearch.core import repair

    service = stopped_mid_switch
    service.close()
    salvage = repair.set_aside(service.paths)
    assert list(salvage.collections) == ["d"]
    assert salvage.collections["d"] == [str(service.paths.data.parent.parent / "d")]
