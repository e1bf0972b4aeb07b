"""The real GPU path, where faiss' GPU build and a GPU are present (skipped elsewhere, as in CI).

The same checks run against a CPU stand-in in test_scale.py; these prove the stand-in honest.
"""

from pathlib import Path

import faiss
import numpy as np
import pytest

from localsearch.core.store.vectors import Plan, VectorIndex, build, gpu_count

pytestmark = pytest.mark.skipif(gpu_count() == 0, reason="needs faiss' GPU build and a GPU")


def on_gpu(index: faiss.Index) -> bool:
    inner = faiss.downcast_index(index)
    if isinstance(inner, (faiss.IndexIDMap, faiss.IndexIDMap2)):
        inner = faiss.downcast_index(inner.index)
    return isinstance(inner, faiss.GpuIndex)


def clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(n // 100, 1), dim))
    x = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.3, (n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("kind", ["flat", "ivf", "ivf-sq8"])
def test_gpu_search_matches_cpu(kind):
    data, queries = clustered(50_000), clustered(50, seed=7)
    ids = np.arange(1, len(data) + 1, dtype=np.int64)
    cpu, gpu = (VectorIndex(Path("/nonexistent"), 1, data.shape[1], use_gpu=flag) for flag in (False, True))
    plan = Plan(kind, 0 if kind == "flat" else 256)
    for vi in (cpu, gpu):
        built = build(ids, data, plan)
        vi.index, vi.nprobe = built.index, built.nprobe
        vi.kind = kind
    atol = 2e-3 if kind == "ivf-sq8" else 1e-4
    same = 0
    for q in queries:
        c, g = cpu.search(q, 10), gpu.search(q, 10)
        np.testing.assert_allclose([s for _, s in c], [s for _, s in g], atol=atol)
        cpu_ids = {i for i, _ in c}
        same += len(cpu_ids & {i for i, _ in g})
        # The GPU sums in another order, so scores equal to 1e-4 may swap places; a passage only the GPU
        # returned must score as well as the CPU's tenth (a tie at the edge), never worse.
        assert all(s >= c[-1][1] - atol for i, s in g if i not in cpu_ids)
    # On an H100 (faiss-gpu 1.15.1): 500/500 flat, 482/500 IVF (near-ties at the edge), all ties.
    assert same / (10 * len(queries)) >= 0.95
    assert gpu._gpu_index is not None and on_gpu(gpu._gpu_index)
    assert cpu._gpu_index is None


def test_gpu_copy_follows_adds_and_removals():
    data = clustered(5_000)
    vi = VectorIndex(Path("/nonexistent"), 1, data.shape[1], use_gpu=True)
    vi.add(list(range(1, 5_001)), list(data))
    probe = clustered(1, seed=9)[0]
    first = vi.search(probe, 1)
    copy = vi._gpu_index
    vi.add([99_999], [probe])
    assert vi._gpu_index is copy, "an add extends the GPU copy"
    assert vi.search(probe, 1)[0][0] == 99_999
    vi.remove([99_999])
    assert vi.search(probe, 1)[0][0] == first[0][0]
