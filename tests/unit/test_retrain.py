"""An IVF that grows or drifts is retrained in the background, serving the old index meanwhile; readers
serve a big index that is only behind the catalog instead of stalling to rebuild it."""

import threading

import numpy as np
import pytest

from localsearch.core import search
from localsearch.core import keyword_side
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store import vectors as vec_mod
from localsearch.core.store.catalog import Catalog, FileResult
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.types import Chunk
from tests.unit.test_scale import make_catalog

DIM = 32


def topic_data(n: int, topics: range, seed: int) -> np.ndarray:
    """Passages around some of 200 fixed topics; two calls with disjoint topic ranges never overlap."""
    centres = np.random.default_rng(0).normal(size=(200, DIM)).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = centres[rng.choice(list(topics), n)] + rng.normal(0, 0.35, (n, DIM)).astype(np.float32)
    out: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


@pytest.fixture
def ivf(tmp_path, monkeypatch):
    """A 30k-vector collection, IVF-indexed and saved, trained on topics 0-99 only."""
    monkeypatch.setattr(vec_mod, "FLAT_MAX", 5_000)
    cat, cid = make_catalog(tmp_path, topic_data(30_000, range(100), seed=1))
    vi = VectorIndex(tmp_path, cid, DIM, use_gpu=False)
    vi.load_or_rebuild(cat, cat.collection_by_id(cid))
    assert vi.kind == "ivf" and vi.train_error > 0
    yield cat, cid, vi
    cat.close()


def test_drift_asks_for_a_retrain_only_when_new_kinds_of_material_arrive(ivf, tmp_path):
    cat, cid, vi = ivf
    same = topic_data(4_000, range(100), seed=2)
    vi.add(list(range(10**6, 10**6 + 4_000)), list(same))
    assert vi.drift() < 1.15 and not vi.drifted() and not vi.needs_reshape()

    vi.add(list(range(2 * 10**6, 2 * 10**6 + 4_000)), list(topic_data(4_000, range(100, 200), seed=3)))
    assert vi.drift() > vec_mod.DRIFT_FACTOR and vi.drifted() and vi.needs_reshape()
    assert vi.count < 2 * vi.trained_on, "it is the drift that asks, not the growth"

    vi.save_for(cat.collection_by_id(cid))
    again = VectorIndex(tmp_path, cid, DIM, use_gpu=False)
    again.index = vi.index
    again._adopt(again.read_sidecar())  # the drift figures travel in the sidecar
    assert again.drift() == pytest.approx(vi.drift()) and again.drifted()


def test_a_few_odd_files_are_no_drift(ivf):
    _, _, vi = ivf
    vi.add(list(range(10**6, 10**6 + 500)), list(topic_data(500, range(100, 200), seed=3)))
    assert vi.drift() > vec_mod.DRIFT_FACTOR and not vi.drifted(), "under a tenth of the collection"


def test_background_rebuild_serves_meanwhile_and_replays_what_changed(ivf, monkeypatch):
    cat, cid, vi = ivf
    release = threading.Event()
    real_build = vec_mod.build

    def slow_build(*args, **kwargs):
        release.wait(30)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(vec_mod, "build", slow_build)
    old_index = vi.index
    all_ids = np.array([r[0] for r in cat.conn.execute("SELECT id FROM chunks ORDER BY id")], dtype=np.int64)
    vi.start_rebuild(cat, cat.collection_by_id(cid))
    assert vi.rebuilding and not vi.finish_rebuild(), "not done: nothing is swapped"

    newcomer = topic_data(1, range(100, 200), seed=9)[0]
    vi.add([10**7], [newcomer])  # changes while it trains
    vi.remove(all_ids[:50].tolist())
    assert vi.index is old_index and vi.search(newcomer, 1)[0][0] == 10**7, "the old index serves meanwhile"

    release.set()
    assert vi.finish_rebuild(wait=True)
    assert vi.index is not old_index and not vi.rebuilding and vi.dirty
    assert vi.trained_on == 30_000 and vi.count == 30_000 + 1 - 50, "the changes made meanwhile were replayed"
    assert vi.search(newcomer, 1)[0][0] == 10**7
    found = {i for q in topic_data(20, range(100), seed=4) for i, _ in vi.search(q, 50)}
    assert not found & set(all_ids[:50].tolist())


def test_a_failed_background_rebuild_keeps_the_old_index(ivf, monkeypatch):
    cat, cid, vi = ivf

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(vec_mod, "build", broken)
    old_index, count = vi.index, vi.count
    vi.start_rebuild(cat, cat.collection_by_id(cid))
    assert not vi.finish_rebuild(wait=True)
    assert vi.index is old_index and vi.count == count and not vi.rebuilding


def add_file(cat: Catalog, cid: int, name: str, vectors: np.ndarray) -> None:
    cat.commit_files(cid, [FileResult(name.encode(), 1, 1, name, "document",
                                      [Chunk(0, 5, f"extra {name} {i}") for i in range(len(vectors))], vectors)])


def test_a_reader_serves_a_big_index_that_is_only_behind_instead_of_rebuilding_it(ivf, tmp_path, monkeypatch):
    cat, cid, writer = ivf
    add_file(cat, cid, "/late.txt", topic_data(10, range(100), seed=5))  # committed, index not yet saved
    col = cat.collection_by_id(cid)
    reader = VectorIndex(tmp_path, cid, DIM, use_gpu=False)
    assert reader.load_or_rebuild(cat, col, persist=False, stale_ok=True).startswith("stale: index at version")
    assert reader.stale and reader.count == 30_000 and reader.search(topic_data(1, range(100), 6)[0], 5)
    exact = VectorIndex(tmp_path, cid, DIM, use_gpu=False)
    assert exact.load_or_rebuild(cat, col, persist=False).startswith("rebuilt"), "the writer stays exact"
    assert exact.count == 30_010


def test_a_reader_still_rebuilds_a_small_exact_index_that_is_behind(tmp_path):
    cat, cid = make_catalog(tmp_path, topic_data(1_000, range(100), seed=1))
    VectorIndex(tmp_path, cid, DIM, use_gpu=False).load_or_rebuild(cat, cat.collection_by_id(cid))
    add_file(cat, cid, "/late.txt", topic_data(10, range(100), seed=5))
    reader = VectorIndex(tmp_path, cid, DIM, use_gpu=False)
    state = reader.load_or_rebuild(cat, cat.collection_by_id(cid), persist=False, stale_ok=True)
    assert state.startswith("rebuilt") and reader.count == 1_010 and not reader.stale
    cat.close()


class StubEmbedder:
    model_id, dim = "m", DIM

    def embed_query(self, text: str) -> np.ndarray:
        return topic_data(1, range(100), seed=7)[0]

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return topic_data(len(texts), range(100), seed=8)


def test_search_keeps_serving_until_the_indexer_saves_then_picks_the_new_file_up(tmp_path, monkeypatch):
    from localsearch.core import paths

    monkeypatch.setattr(vec_mod, "FLAT_MAX", 5_000)
    home = paths.resolve(tmp_path / "home").ensure()
    cat = Catalog(home.catalog)
    cid = cat.ensure_collection("big").id
    cat.set_model(cid, "m", DIM)
    data = topic_data(30_000, range(100), seed=1)
    for start in range(0, 30_000, 1_000):
        add_file(cat, cid, f"/f{start}.txt", data[start:start + 1_000])
    writer = VectorIndex(home.vectors, cid, DIM, use_gpu=False)
    writer.load_or_rebuild(cat, cat.collection_by_id(cid))
    service = Service(home, Settings(), StubEmbedder())
    try:
        assert service.search(Query("extra", k=5)).hits
        first = service.searcher.vector_index(service.catalog.collection("big"))
        assert not first.stale and first.count == 30_000

        rebuilds: list[str] = []
        monkeypatch.setattr(VectorIndex, "rebuild", lambda self, *a, **k: rebuilds.append("rebuild"))
        late = topic_data(5, range(100), seed=11)
        add_file(cat, cid, "/late.txt", late)  # the indexer committed; it has not saved yet
        assert service.search(Query("extra", k=5)).hits
        behind = service.searcher.vector_index(service.catalog.collection("big"))
        assert behind.stale and behind.count == 30_000 and rebuilds == []
        assert service.searcher.vector_index(service.catalog.collection("big")) is behind, "not reloaded per search"

        ids = [r[0] for r in cat.conn.execute("SELECT ch.id FROM chunks ch JOIN files f ON f.id = ch.file_id"
                                              " WHERE f.raw_path = ?", (b"/late.txt",))]
        assert len(ids) == 5
        writer.add(ids, list(late))
        writer.save_for(cat.collection_by_id(cid))  # ...and now it has
        service.search(Query("extra", k=5))
        fresh = service.searcher.vector_index(service.catalog.collection("big"))
        assert fresh is not behind and not fresh.stale and fresh.count == 30_005 and rebuilds == []
    finally:
        service.close()
        cat.close()


def test_split_keyword_search_returns_what_one_query_returns(service, tmp_path, monkeypatch):
    root = tmp_path / "docs"
    root.mkdir()
    words = "apple banana cherry damson elder fig grape hazel".split()
    rng = np.random.default_rng(3)
    for i in range(120):
        (root / f"n{i}.txt").write_text(" ".join(rng.choice(words, 30)) + f" note {i}")
    service.index("docs", [str(root)])
    cid = service.catalog.collection("docs").id
    fts = search.fts_query("apple cherry grape")
    whole = service.catalog.keyword_search(fts, [cid], 1000, every_collection=True)
    monkeypatch.setattr(keyword_side, "KEYWORD_SPLIT_AT", 0)
    monkeypatch.setattr(service.searcher.keywords, "word_index", lambda: None)  # the FTS5 path (the word index is current)
    for depth in (1000, 25):
        for every in (True, False):
            split, seconds = service.searcher.keywords.start("apple cherry grape", [cid], depth, every)()
            assert seconds > 0
            assert [round(s, 9) for _, s in split] == [round(s, 9) for _, s in whole[:depth]]
            if depth == 1000:
                assert sorted(split) == sorted(whole) and len(whole) > 100
    # each helper thread has its own connection, and so has the thread that searches
    assert len(service.searcher._readers) == keyword_side.KEYWORD_PARTS + 1
    hits = service.search(Query("apple cherry grape", k=5)).hits
    assert len(hits) == 5
