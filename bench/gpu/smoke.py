"""Smallest check that faiss' GPU build works on this machine: clone, search, compare with the CPU."""
import faiss
import numpy as np

print("faiss", faiss.__version__, "gpus", faiss.get_num_gpus(), flush=True)
x = np.random.default_rng(0).normal(size=(10_000, 64)).astype(np.float32)
cpu = faiss.IndexIDMap2(faiss.IndexFlatIP(64))
cpu.add_with_ids(x, np.arange(10_000, dtype=np.int64))
res = faiss.StandardGpuResources()
print("resources ok", flush=True)
gpu = faiss.index_cpu_to_gpu(res, 0, cpu)
print("clone ok", type(faiss.downcast_index(gpu.index)).__name__, flush=True)
print("same top-5:", (gpu.search(x[:5], 5)[1] == cpu.search(x[:5], 5)[1]).all(), flush=True)
