"""ANN search at scale: the index the app builds for N clustered, normalised vectors.

  bench/search_latency.py --vectors 1000000 --dim 384 --queries 500 [--compression sq8] [--flat-baseline]

Prints JSON: build time, bytes per vector (and vs raw float32), recall@10 against exact search, and
single-query latency p50/p95/p99 (one query at a time, as a user's search runs).
"""

import argparse
import json
import os
import statistics
import tempfile
import time

import faiss
import numpy as np

from localsearch.core.store.vectors import build, gpu_count, plan_for, questions_about, recall, to_gpu


def clustered(n: int, dim: int, clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Topics (unit centres) with passages spread around them at cosine ~0.6, as sentence embeddings
    spread around their topic: lumpy like real data, but not trivially separable."""
    return around(topics(clusters, dim, rng), n, rng)


def topics(clusters: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    out: np.ndarray = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    return out


def around(centres: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n passages, each near a topic drawn at random from centres."""
    dim = centres.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):  # in slices: 1M x 384 is 1.5 GB
        m = min(100_000, n - start)
        block = centres[rng.integers(0, len(centres), m)] + rng.normal(0, 1.33 / np.sqrt(dim), (m, dim))
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def latencies(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    found, times = np.empty((len(queries), k), dtype=np.int64), []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        found[i] = index.search(q.reshape(1, -1), k)[1][0]
        times.append((time.perf_counter() - t0) * 1000)
    return found, times


def batch_figures(index: faiss.Index, queries: np.ndarray, size: int) -> dict[str, float]:
    batch = np.resize(queries, (size, queries.shape[1]))
    index.search(batch[:10], 10)  # warm
    t0 = time.perf_counter()
    index.search(batch, 10)
    s = time.perf_counter() - t0
    return {"queries": size, "s": round(s, 3), "queries_per_s": round(size / s, 1)}


def gpu_figures(index: faiss.Index, kind: str, nprobe: int, queries: np.ndarray, truth: np.ndarray,
                cpu_found: np.ndarray, args: argparse.Namespace, exact: faiss.Index) -> dict[str, object]:
    """The app's own GPU clone (vectors.to_gpu), the CPU index's results as the reference."""
    t0 = time.perf_counter()
    gpu = to_gpu(index, kind, nprobe)
    clone_s = time.perf_counter() - t0
    latencies(gpu, queries[:20], 10)  # warm: first calls allocate scratch memory
    found, times = latencies(gpu, queries, 10)
    same = sum(len(set(a) & set(b)) for a, b in zip(found, cpu_found)) / cpu_found.size
    out: dict[str, object] = {
        "clone_s": round(clone_s, 2), "recall_at_10": round(recall(found, truth), 4),
        "top10_overlap_with_cpu": round(same, 4), "query_ms": pct(times),
    }
    if args.batch:
        out["batch"] = batch_figures(gpu, queries, args.batch)
    if args.flat_baseline:
        gexact = faiss.index_cpu_to_all_gpus(exact)
        latencies(gexact, queries[:20], 10)
        _, t = latencies(gexact, queries[:100], 10)
        out["exact_flat_query_ms"] = pct(t)
        if args.batch:
            out["exact_flat_batch"] = batch_figures(gexact, queries, args.batch)
    return out


def pct(values: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(values, n=100)
    return {"p50": round(qs[49], 3), "p95": round(qs[94], 3), "p99": round(qs[98], 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--clusters", type=int, default=2000)
    ap.add_argument("--compression", choices=["none", "sq8"], default="none")
    ap.add_argument("--flat-baseline", action="store_true", help="also time exact search over the same data")
    ap.add_argument("--gpu", action="store_true", help="also clone to the GPU as the app does and time it there")
    ap.add_argument("--batch", type=int, default=0, help="also time one batch of this many queries (throughput)")
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    t0 = time.perf_counter()
    data = clustered(args.vectors, args.dim, args.clusters, rng)
    ids = np.arange(1, args.vectors + 1, dtype=np.int64)
    gen_s = time.perf_counter() - t0
    queries = questions_about(data, args.queries, rng)

    plan = plan_for(args.vectors, args.compression)
    t0 = time.perf_counter()
    built = build(ids, data, plan)
    index, nprobe = built.index, built.nprobe
    build_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "index.faiss")
        faiss.write_index(index, path)
        size = os.path.getsize(path)

    exact = faiss.IndexFlatIP(args.dim)
    exact.add(data)
    t0 = time.perf_counter()
    truth = ids[exact.search(queries, 10)[1]]
    exact_batch_s = time.perf_counter() - t0
    found, times = latencies(index, queries, 10)
    out = {
        "bench": "search_latency",
        "vectors": args.vectors, "dim": args.dim, "queries": args.queries, "threads": faiss.omp_get_max_threads(),
        "gpus": gpu_count(),
        "index": plan.kind, "nlist": plan.nlist, "nprobe": nprobe,
        "data_gen_s": round(gen_s, 1), "build_s": round(build_s, 1),
        "bytes_per_vector": round(size / args.vectors, 1),
        "memory_vs_raw_float32": round(size / (args.vectors * args.dim * 4), 3),
        "recall_at_10": round(recall(found, truth), 4),
        "query_ms": pct(times),
    }
    if args.batch:
        out["batch"] = batch_figures(index, queries, args.batch)
    if args.gpu:
        out["gpu"] = gpu_figures(index, plan.kind, nprobe, queries, truth, found, args, exact)
    if args.flat_baseline:
        _, flat_times = latencies(exact, queries[:100], 10)
        out["exact_flat_query_ms"] = pct(flat_times)
        out["exact_batch_of_queries_s"] = round(exact_batch_s, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
