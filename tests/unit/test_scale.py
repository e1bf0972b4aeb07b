"""Index types that grow with the collection: exact, then IVF (optionally SQ8) with tuned nprobe."""

from pathlib import Path

import faiss
import numpy as np
import pytest

from localsearch.core.store import vectors as vec_mod
from localsearch.core.store.catalog import Catalog, FileResult
from localsearch.core.store.vectors import Plan, VectorIndex, build, plan_for, recall
from localsearch.core.types import Chunk


def clustered(n: int, dim: int = 32, clusters: int = 200, seed: int = 1) -> np.ndarray:
    """Like real embeddings: lumpy, not uniform noise. Same centres for every seed; seed picks points."""
    centres = np.random.default_rng(0).normal(size=(clusters, dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, clusters, n)] + rng.normal(0, 0.35, (n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_ids(ids: np.ndarray, data: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    flat = faiss.IndexFlatIP(data.shape[1])
    flat.add(data)
    return ids[flat.search(queries, k)[1]]


def test_plan_grows_with_the_collection():
    assert plan_for(10_000).kind == "flat"
    big = plan_for(1_000_000)
    assert big.kind == "ivf" and big.nlist == 4000
    assert plan_for(1_000_000, "sq8").kind == "ivf-sq8"


@pytest.mark.parametrize("kind", ["ivf", "ivf-sq8"])
def test_ivf_meets_the_recall_target_on_fresh_queries(kind):
    data = clustered(30_000)
    ids = np.arange(100, 30_100, dtype=np.int64)
    built = build(ids, data, Plan(kind, 692))
    index, nprobe = built.index, built.nprobe
    assert 1 <= nprobe <= 692
    queries = clustered(300, seed=99)
    found = index.search(queries, 10)[1]
    assert recall(found, exact_ids(ids, data, queries)) >= (0.95 if kind == "ivf" else 0.93)


def make_catalog(tmp_path, data: np.ndarray) -> tuple[Catalog, int]:
    cat = Catalog(tmp_path / "c.sqlite3")
    col = cat.ensure_collection("big")
    cat.set_model(col.id, "m", data.shape[1])
    results = [FileResult(f"/f{i}".encode(), 1, 1, f"h{i}", "document",
                          [Chunk(0, 1, f"t{j}") for j in range(100)], data[i * 100:(i + 1) * 100])
               for i in range(len(data) // 100)]
    cat.commit_files(col.id, results)
    return cat, col.id


def test_a_growing_collection_switches_to_ivf_and_keeps_it_across_restarts(tmp_path, monkeypatch):
    monkeypatch.setattr(vec_mod, "FLAT_MAX", 5_000)
    data = clustered(30_000)
    cat, cid = make_catalog(tmp_path, data)
    col = cat.collection_by_id(cid)
    vi = VectorIndex(tmp_path, cid, 32, use_gpu=False)
    vi.load_or_rebuild(cat, col)
    assert vi.kind == "ivf" and vi.nprobe > 0 and vi.trained_on == 30_000
    assert not vi.needs_reshape()

    again = VectorIndex(tmp_path, cid, 32, use_gpu=False)
    assert again.load_or_rebuild(cat, col) == "loaded"
    assert (again.kind, again.nprobe) == (vi.kind, vi.nprobe)
    assert faiss.extract_index_ivf(again.index).nprobe == vi.nprobe, "nprobe is restored on load"

    ids = np.array([r[0] for r in cat.conn.execute("SELECT id FROM chunks ORDER BY id")], dtype=np.int64)
    again.remove(ids[:10].tolist())
    hit_ids = {i for i, _ in again.search(data[0], 20)}
    assert not hit_ids & set(ids[:10].tolist()), "removal works on IVF"
    cat.close()


def test_flat_index_reshapes_once_it_outgrows_exact_search(tmp_path, monkeypatch):
    monkeypatch.setattr(vec_mod, "FLAT_MAX", 5_000)
    vi = VectorIndex(tmp_path, 1, 32, use_gpu=False)
    data = clustered(30_000)
    vi.add(list(range(1, 3001)), list(data[:3000]))
    assert not vi.needs_reshape()
    vi.add(list(range(3001, 30_001)), list(data[3000:]))
    assert vi.needs_reshape()


def test_index_codes_are_half_width_and_sq8_a_quarter(tmp_path):
    """The exact and IVF indexes hold float16 codes (half of float32's bytes); sq8 holds one byte a number."""
    data = clustered(30_000, dim=64)
    ids = np.arange(30_000, dtype=np.int64)
    sizes = {}
    float32 = faiss.IndexIVFFlat(faiss.IndexFlatIP(64), 64, 692, faiss.METRIC_INNER_PRODUCT)
    float32.train(data)
    float32.add_with_ids(data, ids)
    flat32 = faiss.IndexIDMap2(faiss.IndexFlatIP(64))
    flat32.add_with_ids(data, ids)
    built = {"ivf": build(ids, data, Plan("ivf", 692)).index, "ivf-sq8": build(ids, data, Plan("ivf-sq8", 692)).index,
             "flat": build(ids, data, Plan("flat")).index, "ivf float32": float32, "flat float32": flat32}
    for kind, index in built.items():
        faiss.write_index(index, str(tmp_path / kind))
        sizes[kind] = (tmp_path / kind).stat().st_size
    codes = 30_000 * 64 * 4  # bytes of the vectors at float32
    assert sizes["flat float32"] - sizes["flat"] > 0.45 * codes
    assert sizes["ivf float32"] - sizes["ivf"] > 0.45 * codes
    assert sizes["ivf float32"] - sizes["ivf-sq8"] > 0.7 * codes
    query = data[:50] + 0.01
    for exact, half in (("flat float32", "flat"),):
        _, a = built[exact].search(query, 10)
        _, b = built[half].search(query, 10)
        assert np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)]) >= 0.99


def test_several_collections_are_searched_and_merged(service, tmp_path):
    from pathlib import Path

    from localsearch.core.search import Query

    for name in ("one", "two", "three"):
        root = tmp_path / name
        root.mkdir()
        (root / f"{name}.txt").write_text(f"shared topic wombats in collection {name}")
        service.index(name, [str(root)])
    hits = service.search(Query("wombats", k=10)).hits
    assert sorted(Path(h.path).name for h in hits) == ["one.txt", "three.txt", "two.txt"]
    assert {h.collection for h in hits} == {"one", "two", "three"}


def test_gpu_path_clones_keeps_nprobe_and_matches_cpu(monkeypatch):
    """No GPU here: stand in faiss' CPU clone for the GPU clone and check our plumbing around it."""
    calls: list[str] = []

    def fake_to_gpus(index):
        calls.append("clone")
        return faiss.clone_index(index)

    params: dict[str, int] = {}

    class FakeGpuParameterSpace:
        def set_index_parameter(self, index, name, value):
            params[name] = value
            faiss.extract_index_ivf(index).nprobe = value

    monkeypatch.setattr(faiss, "index_cpu_to_all_gpus", fake_to_gpus, raising=False)
    monkeypatch.setattr(faiss, "GpuParameterSpace", FakeGpuParameterSpace, raising=False)
    data = clustered(30_000)
    ids = np.arange(1, 30_001, dtype=np.int64)
    cpu, gpu = (VectorIndex(Path("/nonexistent"), 1, 32, use_gpu=flag) for flag in (False, True))
    for vi in (cpu, gpu):
        built = build(ids, data, Plan("ivf", 692))
        vi.index, vi.nprobe = built.index, built.nprobe
        vi.kind = "ivf"
    queries = clustered(20, seed=5)
    assert [cpu.search(q, 10) for q in queries] == [gpu.search(q, 10) for q in queries]
    assert calls == ["clone"] and params == {"nprobe": gpu.nprobe}
    gpu.add([10**6], [queries[0]])
    assert gpu.search(queries[0], 1)[0][0] == 10**6, "an add reaches the GPU copy"
    assert calls == ["clone"], "adds extend the GPU copy instead of cloning it again"
    gpu.remove([10**6])
    assert gpu.search(queries[0], 1)[0][0] != 10**6
    assert calls == ["clone", "clone"], "a removal re-clones (GPU indexes cannot remove by id)"
